// A fresh PostgreSQL database per test, on the cluster FLEETWATCH_TEST_DATABASE_URL points at
// (scripts/with-postgres.sh starts one). Without the variable the tests skip — or fail when
// FLEETWATCH_REQUIRE_DB=1, as in scripts/test.sh, so CI cannot pass by skipping them.
#pragma once

#include <gtest/gtest.h>

#include <optional>
#include <string>

#include "fleetwatch/storage/database.hpp"

namespace fleetwatch::storage::testing {

class DatabaseTest : public ::testing::Test {
  protected:
    // Creates database fwtest_<pid>_<n>_<random> from template1 (which has PostGIS).
    void SetUp() override;
    // Drops it (WITH (FORCE): connections a test leaked do not keep it alive).
    void TearDown() override;

    // Connection string of this test's database.
    const std::string& conninfo() const { return conninfo_; }
    Connection connect() const { return Database(conninfo_).connect(); }
    // Applies the migrations.
    void migrate_schema();

    // The first field of the first row of `sql` on this test's database ("" for NULL, and
    // a failure when there is no row).
    std::string scalar(const std::string& sql,
                       const std::vector<std::optional<std::string>>& params = {});
    long long count(const std::string& table_or_query);

  private:
    std::string url_;
    std::string name_;
    std::string conninfo_;
    std::optional<Connection> db_;
};

}  // namespace fleetwatch::storage::testing
