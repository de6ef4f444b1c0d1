// The database side of the writer tests: FLEETWATCH_TEST_DATABASE_URL, a fresh schema per
// test (so tests can run in parallel against one cluster), and connection strings that point
// the writer at it directly or through a TcpProxy.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <pqxx/connection>
#include <string>

namespace fleetwatch::storage::testing {

// FLEETWATCH_TEST_DATABASE_URL when set and not empty.
std::optional<std::string> test_database_url();
// FLEETWATCH_REQUIRE_DB=1: a missing database fails the tests instead of skipping them.
bool database_required();

class TestSchema {
  public:
    // Creates schema `fwtest_<pid>_<n>` and migrates it (storage/migrations).
    explicit TestSchema(const std::string& url);
    ~TestSchema();
    TestSchema(const TestSchema&) = delete;
    TestSchema& operator=(const TestSchema&) = delete;

    const std::string& name() const noexcept { return name_; }
    // key=value conninfo reaching the database directly, search_path = this schema.
    std::string conninfo() const;
    // The same through a proxy listening on 127.0.0.1:port.
    std::string conninfo_via(std::uint16_t port) const;
    // Where the proxy should connect: "host:port" or a Unix socket path.
    std::string proxy_target() const;
    // A connection for assertions, search_path = this schema.
    pqxx::connection& conn() { return *conn_; }

  private:
    std::string build(const std::optional<std::uint16_t>& proxy_port) const;

    std::string url_;
    std::string name_;
    std::unique_ptr<pqxx::connection> conn_;
};

}  // namespace fleetwatch::storage::testing
