#include "fleetwatch/storage/migrations.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <mutex>
#include <thread>

#include "storage_test_db.hpp"

namespace fleetwatch::storage {
namespace {

using testing::DatabaseTest;

std::vector<int> all_versions() {
    std::vector<int> v;
    for (const auto& m : migrations()) v.push_back(m.version);
    return v;
}

TEST(Migrations, AreEmbeddedInVersionOrderStartingWithPostgis) {
    ASSERT_GE(migrations().size(), 2u);
    EXPECT_EQ(migrations()[0].version, 1);
    EXPECT_EQ(migrations()[0].name, "fleet");
    EXPECT_NE(migrations()[0].sql.find("CREATE EXTENSION IF NOT EXISTS postgis"),
              std::string_view::npos);
    for (std::size_t i = 1; i < migrations().size(); ++i) {
        EXPECT_LT(migrations()[i - 1].version, migrations()[i].version);
    }
}

class MigrateTest : public DatabaseTest {};

TEST_F(MigrateTest, AppliesEveryMigrationOnceAndTheSecondRunIsANoOp) {
    Connection conn = connect();
    EXPECT_EQ(schema_version(conn), 0);
    EXPECT_EQ(migrate(conn), all_versions());
    EXPECT_EQ(schema_version(conn), all_versions().back());
    const std::string applied_at = scalar("SELECT max(applied_at) FROM schema_migrations");
    EXPECT_TRUE(migrate(conn).empty());
    EXPECT_TRUE(migrate(conninfo()).empty());
    EXPECT_EQ(count("schema_migrations"), static_cast<long long>(migrations().size()));
    EXPECT_EQ(scalar("SELECT max(applied_at) FROM schema_migrations"), applied_at);
    EXPECT_EQ(scalar("SELECT name FROM schema_migrations WHERE version = 2"), "positions");
}

TEST_F(MigrateTest, CreatesTheTablesTheOtherModulesUse) {
    migrate_schema();
    for (const char* table :
         {"vehicles", "terminals", "drivers", "pledges", "routes", "zones", "convoys", "trips",
          "driver_card_sessions", "positions", "positions_default", "settings"}) {
        EXPECT_EQ(scalar("SELECT to_regclass($1) IS NOT NULL", {std::string(table)}), "t") << table;
    }
    EXPECT_EQ(scalar("SELECT value FROM settings WHERE key = 'timezone'"), "Asia/Shanghai");
    // positions is partitioned by gps_time with the primary key the writer relies on.
    EXPECT_EQ(scalar("SELECT pg_get_partkeydef('positions'::regclass)"), "RANGE (gps_time)");
    EXPECT_EQ(scalar("SELECT pg_get_constraintdef(oid) FROM pg_constraint "
                     "WHERE conrelid = 'positions'::regclass AND contype = 'p'"),
              "PRIMARY KEY (vehicle_id, gps_time)");
    EXPECT_EQ(scalar("SELECT format_type(atttypid, atttypmod) FROM pg_attribute "
                     "WHERE attrelid = 'positions'::regclass AND attname = 'geom'"),
              "geography(Point,4326)");
    EXPECT_EQ(scalar("SELECT count(*) FROM pg_indexes WHERE tablename = 'positions' AND indexdef "
                     "LIKE '%gist%'"),
              "1");
}

TEST_F(MigrateTest, ConcurrentMigrationsApplyEachVersionExactlyOnce) {
    constexpr int kServers = 6;
    std::mutex mutex;
    std::vector<int> applied;
    std::vector<std::string> errors;
    std::vector<std::thread> threads;
    for (int i = 0; i < kServers; ++i) {
        threads.emplace_back([&] {
            try {
                const std::vector<int> mine = migrate(conninfo());
                const std::lock_guard lock(mutex);
                applied.insert(applied.end(), mine.begin(), mine.end());
            } catch (const std::exception& e) {
                const std::lock_guard lock(mutex);
                errors.emplace_back(e.what());
            }
        });
    }
    for (auto& t : threads) t.join();
    EXPECT_TRUE(errors.empty()) << errors.front();
    std::sort(applied.begin(), applied.end());
    EXPECT_EQ(applied, all_versions());
    EXPECT_EQ(count("schema_migrations"), static_cast<long long>(migrations().size()));
}

TEST_F(MigrateTest, RefusesADatabaseMigratedByANewerFleetwatch) {
    migrate_schema();
    scalar(
        "INSERT INTO schema_migrations (version, name) VALUES (9999, 'from_the_future') RETURNING "
        "1");
    Connection conn = connect();
    try {
        migrate(conn);
        FAIL() << "expected DatabaseError";
    } catch (const DatabaseError& e) {
        EXPECT_NE(std::string(e.what()).find("newer than this fleetwatch"), std::string::npos)
            << e.what();
    }
}

TEST_F(MigrateTest, AnUnreachableDatabaseIsADatabaseError) {
    const Database nowhere("host=127.0.0.1 port=1 dbname=x user=x", std::chrono::seconds{2});
    EXPECT_FALSE(nowhere.is_available());
    EXPECT_THROW(migrate("host=127.0.0.1 port=1 dbname=x user=x connect_timeout=2"), DatabaseError);
    EXPECT_TRUE(Database(conninfo()).is_available());
}

}  // namespace
}  // namespace fleetwatch::storage
