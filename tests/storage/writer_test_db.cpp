#include "writer_test_db.hpp"

#include <libpq-fe.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <map>
#include <memory>
#include <pqxx/nontransaction>
#include <pqxx/transaction>
#include <stdexcept>

#include "fleetwatch/storage/migrations.hpp"

namespace fleetwatch::storage::testing {
namespace {

std::map<std::string, std::string> parse_conninfo(const std::string& url) {
    char* error = nullptr;
    PQconninfoOption* options = PQconninfoParse(url.c_str(), &error);
    if (options == nullptr) {
        const std::string message = error != nullptr ? error : "out of memory";
        PQfreemem(error);
        throw std::runtime_error("FLEETWATCH_TEST_DATABASE_URL: " + message);
    }
    std::map<std::string, std::string> out;
    for (auto* o = options; o->keyword != nullptr; ++o) {
        if (o->val != nullptr && o->val[0] != '\0') out[o->keyword] = o->val;
    }
    PQconninfoFree(options);
    return out;
}

std::string quote(const std::string& value) {
    std::string out = "'";
    for (const char c : value) {
        if (c == '\'' || c == '\\') out += '\\';
        out += c;
    }
    return out + "'";
}

std::string first_host(const std::map<std::string, std::string>& kv) {
    auto it = kv.find("hostaddr");
    if (it == kv.end()) it = kv.find("host");
    std::string host = it == kv.end() ? "/var/run/postgresql" : it->second;
    return host.substr(0, host.find(','));
}

}  // namespace

}  // namespace fleetwatch::storage::testing

// LeakSanitizer (FLEETWATCH_SANITIZE builds): libpqxx 6.4 leaks a libpq result on some error
// paths of a connection that broke mid-COPY, which these tests do on purpose (TcpProxy,
// pg_terminate_backend). Not ours to fix; everything else is still checked.
extern "C" const char* __lsan_default_suppressions();   // NOLINT(bugprone-reserved-identifier)
extern "C" const char* __lsan_default_suppressions() {  // NOLINT(bugprone-reserved-identifier)
    return "leak:libpqxx\n";
}

namespace fleetwatch::storage::testing {

std::optional<std::string> test_database_url() {
    const char* url = std::getenv("FLEETWATCH_TEST_DATABASE_URL");
    if (url == nullptr || url[0] == '\0') return std::nullopt;
    return std::string(url);
}

bool database_required() {
    const char* v = std::getenv("FLEETWATCH_REQUIRE_DB");
    return v != nullptr && std::string(v) == "1";
}

TestSchema::TestSchema(const std::string& url) : url_(url) {
    static std::atomic<int> counter{0};
    name_ = "fwtest_" + std::to_string(::getpid()) + "_" + std::to_string(counter++);
    {
        pqxx::connection admin(url_);
        pqxx::work tx(admin);
        // CREATE EXTENSION is not safe to race; parallel test processes take turns.
        tx.exec("SELECT pg_advisory_xact_lock(8080808)");
        tx.exec("CREATE EXTENSION IF NOT EXISTS postgis");
        tx.exec("DROP SCHEMA IF EXISTS " + name_ + " CASCADE");
        tx.exec("CREATE SCHEMA " + name_);
        tx.commit();
    }
    // The real schema (storage/migrations), inside this test's schema.
    migrate(conninfo());
    conn_ = std::make_unique<pqxx::connection>(conninfo());
}

TestSchema::~TestSchema() {
    conn_.reset();
    try {
        pqxx::connection admin(url_);
        pqxx::nontransaction tx(admin);
        tx.exec("DROP SCHEMA IF EXISTS " + name_ + " CASCADE");
    } catch (...) {
        // Leaving a schema behind in a throwaway cluster is harmless.
    }
}

std::string TestSchema::build(const std::optional<std::uint16_t>& proxy_port) const {
    auto kv = parse_conninfo(url_);
    kv["options"] = (kv.count("options") != 0U ? kv["options"] + " " : "") +
                    "-c search_path=" + name_ + ",public";
    kv["application_name"] = name_;
    if (proxy_port) {
        kv.erase("hostaddr");
        kv["host"] = "127.0.0.1";
        kv["port"] = std::to_string(*proxy_port);
    }
    std::string out;
    for (const auto& [k, v] : kv) {
        if (!out.empty()) out += ' ';
        out += k + "=" + quote(v);
    }
    return out;
}

std::string TestSchema::conninfo() const { return build(std::nullopt); }

std::string TestSchema::conninfo_via(std::uint16_t port) const { return build(port); }

std::string TestSchema::proxy_target() const {
    const auto kv = parse_conninfo(url_);
    const std::string host = first_host(kv);
    const auto it = kv.find("port");
    std::string port = it == kv.end() ? "5432" : it->second;
    port = port.substr(0, port.find(','));
    if (!host.empty() && host[0] == '/') return host + "/.s.PGSQL." + port;
    return host + ":" + port;
}

}  // namespace fleetwatch::storage::testing
