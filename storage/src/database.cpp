#include "fleetwatch/storage/database.hpp"

#include <libpq-fe.h>

#include <cstdlib>
#include <exception>
#include <map>
#include <pqxx/nontransaction>
#include <pqxx/prepared_statement>

#include "connection_impl.hpp"

namespace fleetwatch::storage {
namespace {

std::string one_line(std::string text) {
    for (char& c : text) {
        if (c == '\n' || c == '\r' || c == '\t') c = ' ';
    }
    while (!text.empty() && text.back() == ' ') text.pop_back();
    return text;
}

// The constraint named in a PostgreSQL error message: ... constraint "vehicles_phone_key_key".
std::string constraint_in(const std::string& message) {
    const std::string marker = "constraint \"";
    const auto at = message.find(marker);
    if (at == std::string::npos) return {};
    const auto start = at + marker.size();
    const auto end = message.find('"', start);
    return end == std::string::npos ? std::string() : message.substr(start, end - start);
}

std::string with_connect_timeout(const std::string& conninfo, std::chrono::seconds timeout) {
    if (timeout.count() <= 0 || conninfo.find("connect_timeout") != std::string::npos)
        return conninfo;
    const std::string value = std::to_string(timeout.count());
    const bool uri = conninfo.starts_with("postgresql://") || conninfo.starts_with("postgres://");
    if (!uri) return conninfo + (conninfo.empty() ? "" : " ") + "connect_timeout=" + value;
    return conninfo + (conninfo.find('?') == std::string::npos ? "?" : "&") +
           "connect_timeout=" + value;
}

}  // namespace

std::string default_conninfo() {
    const char* env = std::getenv("FLEETWATCH_DATABASE_URL");
    return env != nullptr && *env != '\0' ? std::string(env) : std::string(kDefaultConninfo);
}

DatabaseError::DatabaseError(const std::string& message, std::string sqlstate,
                             std::string constraint)
    : std::runtime_error(message),
      sqlstate_(std::move(sqlstate)),
      constraint_(std::move(constraint)) {}

namespace detail {

void rethrow_as_database_error(const std::string& what) {
    try {
        throw;
    } catch (const pqxx::sql_error& e) {
        const std::string message = one_line(e.what());
        throw DatabaseError(what + ": " + message, e.sqlstate(), constraint_in(message));
    } catch (const pqxx::pqxx_exception& e) {
        throw DatabaseError(what + ": " + one_line(e.base().what()));
    }
}

}  // namespace detail

Connection::Connection(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Connection::Connection(Connection&&) noexcept = default;
Connection& Connection::operator=(Connection&&) noexcept = default;
Connection::~Connection() = default;

bool Connection::is_open() const noexcept { return impl_ && impl_->conn.is_open(); }

Database::Database(std::string conninfo, std::chrono::seconds connect_timeout)
    : conninfo_(std::move(conninfo)), connect_timeout_(connect_timeout) {}

Connection Database::connect() const {
    return detail::translate_errors("cannot connect to the database", [&] {
        return Connection(
            std::make_unique<Connection::Impl>(with_connect_timeout(conninfo_, connect_timeout_)));
    });
}

bool Database::is_available() const noexcept {
    try {
        Connection c = connect();
        query_text(c, "SELECT 1");
        return true;
    } catch (const std::exception&) {
        return false;
    }
}

std::string with_database(const std::string& conninfo, const std::string& dbname) {
    char* error = nullptr;
    PQconninfoOption* options = PQconninfoParse(conninfo.c_str(), &error);
    if (options == nullptr) {
        const std::string message = error != nullptr ? one_line(error) : "out of memory";
        PQfreemem(error);
        throw DatabaseError("connection string: " + message);
    }
    std::map<std::string, std::string> kv;
    for (const PQconninfoOption* o = options; o->keyword != nullptr; ++o) {
        if (o->val != nullptr && o->val[0] != '\0') kv[o->keyword] = o->val;
    }
    PQconninfoFree(options);
    kv["dbname"] = dbname;
    std::string out;
    for (const auto& [key, value] : kv) {
        out += (out.empty() ? "" : " ") + key + "='";
        for (const char c : value) {
            if (c == '\'' || c == '\\') out += '\\';
            out += c;
        }
        out += '\'';
    }
    return out;
}

std::vector<TextRow> query_text(Connection& conn, const std::string& sql,
                                const std::vector<std::optional<std::string>>& params) {
    return detail::translate_errors("query", [&] {
        pqxx::nontransaction tx(detail::native(conn));
        const pqxx::result r =
            params.empty() ? tx.exec(sql)
                           : tx.exec_params(sql, pqxx::prepare::make_dynamic_params(params));
        std::vector<TextRow> rows;
        rows.reserve(r.size());
        for (const auto& row : r) {
            TextRow out;
            out.reserve(row.size());
            for (const auto& field : row) {
                out.push_back(field.is_null() ? std::nullopt
                                              : std::optional<std::string>(field.c_str()));
            }
            rows.push_back(std::move(out));
        }
        return rows;
    });
}

}  // namespace fleetwatch::storage
