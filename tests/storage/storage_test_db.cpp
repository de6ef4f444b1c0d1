#include "storage_test_db.hpp"

#include <chrono>
#include <thread>

#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <random>

#include "fleetwatch/storage/migrations.hpp"

namespace fleetwatch::storage::testing {
namespace {

std::optional<std::string> env(const char* name) {
    const char* v = std::getenv(name);
    if (v == nullptr || *v == '\0') return std::nullopt;
    return std::string(v);
}

}  // namespace

void DatabaseTest::SetUp() {
    const auto url = env("FLEETWATCH_TEST_DATABASE_URL");
    if (!url) {
        if (env("FLEETWATCH_REQUIRE_DB") == "1") {
            FAIL() << "FLEETWATCH_TEST_DATABASE_URL not set but FLEETWATCH_REQUIRE_DB=1; run under "
                      "scripts/with-postgres.sh";
        }
        GTEST_SKIP() << "FLEETWATCH_TEST_DATABASE_URL not set; run under scripts/with-postgres.sh";
    }
    url_ = *url;
    static std::atomic<int> counter{0};
    std::random_device random;
    name_ = "fwtest_" + std::to_string(::getpid()) + "_" + std::to_string(counter++) + "_" +
            std::to_string(random() % 1000000);
    Connection admin = Database(url_).connect();
    query_text(admin, "CREATE DATABASE " + name_ + " TEMPLATE template1");
    conninfo_ = with_database(url_, name_);
    db_.emplace(connect());
}

void DatabaseTest::TearDown() {
    db_.reset();
    if (name_.empty()) return;
    // A backend of the test may still be closing; retry briefly before calling it a failure.
    std::string error;
    for (int attempt = 0; attempt < 5; ++attempt) {
        try {
            Connection admin = Database(url_).connect();
            query_text(admin, "DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)");
            return;
        } catch (const std::exception& e) {
            error = e.what();
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    ADD_FAILURE() << "could not drop " << name_ << ": " << error;
}

void DatabaseTest::migrate_schema() { migrate(*db_); }

std::string DatabaseTest::scalar(const std::string& sql,
                                 const std::vector<std::optional<std::string>>& params) {
    const auto rows = query_text(*db_, sql, params);
    if (rows.empty() || rows[0].empty()) {
        ADD_FAILURE() << "no rows from: " << sql;
        return {};
    }
    return rows[0][0].value_or("");
}

long long DatabaseTest::count(const std::string& table_or_query) {
    const bool query = table_or_query.find(' ') != std::string::npos;
    return std::stoll(scalar("SELECT count(*) FROM " +
                             (query ? "(" + table_or_query + ") AS q" : table_or_query)));
}

}  // namespace fleetwatch::storage::testing
