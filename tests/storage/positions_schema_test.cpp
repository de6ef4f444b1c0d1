// The positions table as the writer uses it: daily partitions, dedup by primary key.
#include <gtest/gtest.h>

#include <mutex>
#include <thread>

#include "fleetwatch/storage/vehicle_queries.hpp"
#include "storage_test_db.hpp"

namespace fleetwatch::storage {
namespace {

constexpr const char* kInsert = R"sql(
    INSERT INTO positions (vehicle_id, gps_time, received_at, geom, altitude_m, speed_kmh, direction,
                           alarm, status, valid, mileage_km, fuel_l, satellites, signal_strength, source)
    VALUES ($1::bigint, $2::timestamptz, now(), ST_GeogFromText('SRID=4326;POINT(118.9586 32.1103)'),
            12, $3::real, 90, 0, 2, true, 1234.5, NULL, 9, 25, 0)
    ON CONFLICT (vehicle_id, gps_time) DO NOTHING
    RETURNING tableoid::regclass::text)sql";

class PositionsTest : public testing::DatabaseTest {
  protected:
    void SetUp() override {
        DatabaseTest::SetUp();
        if (IsSkipped() || HasFatalFailure()) return;
        migrate_schema();
    }

    // The partition the row went to, or "" when ON CONFLICT skipped it.
    std::string insert(const std::string& vehicle, const std::string& time,
                       const std::string& speed = "42.5") {
        Connection c = connect();
        const auto rows = query_text(c, kInsert, {vehicle, time, speed});
        return rows.empty() ? "" : rows[0][0].value_or("");
    }
};

TEST_F(PositionsTest, EnsurePartitionCreatesADailyUtcPartitionOnce) {
    EXPECT_EQ(scalar("SELECT fleetwatch_ensure_position_partition('2026-03-10')"),
              "positions_20260310");
    EXPECT_EQ(scalar("SELECT fleetwatch_ensure_position_partition('2026-03-10')"),
              "positions_20260310");
    EXPECT_EQ(scalar("SELECT pg_get_expr(relpartbound, oid) FROM pg_class WHERE relname = "
                     "'positions_20260310'"),
              "FOR VALUES FROM ('2026-03-10 00:00:00+00') TO ('2026-03-11 00:00:00+00')");
    // A report at 07:59:59 Beijing time on the 11th is still the 10th in UTC.
    EXPECT_EQ(insert("1", "2026-03-11T07:59:59+08:00"), "positions_20260310");
    EXPECT_EQ(insert("1", "2026-03-11T08:00:00+08:00"), "positions_default");
}

TEST_F(PositionsTest, ARetransmittedReportIsStoredOnce) {
    scalar("SELECT fleetwatch_ensure_position_partition('2026-03-10')");
    EXPECT_EQ(insert("7", "2026-03-10T01:02:03Z"), "positions_20260310");
    EXPECT_EQ(insert("7", "2026-03-10T01:02:03Z", "99"), "");
    EXPECT_EQ(insert("8", "2026-03-10T01:02:03Z"), "positions_20260310");
    EXPECT_EQ(count("positions"), 2);
    EXPECT_EQ(scalar("SELECT speed_kmh FROM positions WHERE vehicle_id = 7"), "42.5");
    EXPECT_EQ(scalar("SELECT ST_AsText(geom) FROM positions WHERE vehicle_id = 7"),
              "POINT(118.9586 32.1103)");
}

TEST_F(PositionsTest, RowsInTheDefaultPartitionMoveWhenTheirDayIsEnsured) {
    EXPECT_EQ(insert("3", "2026-03-12T05:00:00Z"), "positions_default");
    EXPECT_EQ(insert("3", "2026-03-13T05:00:00Z"), "positions_default");
    scalar("SELECT fleetwatch_ensure_position_partition('2026-03-12')");
    EXPECT_EQ(
        scalar("SELECT string_agg(tableoid::regclass::text, ',' ORDER BY gps_time) FROM positions"),
        "positions_20260312,positions_default");
    // Dedup still holds across the move.
    EXPECT_EQ(insert("3", "2026-03-12T05:00:00Z"), "");
}

TEST_F(PositionsTest, ConcurrentEnsureOfTheSameDayAllSucceed) {
    std::mutex mutex;
    std::vector<std::string> errors;
    std::vector<std::thread> threads;
    for (int i = 0; i < 8; ++i) {
        threads.emplace_back([&] {
            try {
                Connection c = connect();
                for (const char* day : {"2026-04-01", "2026-04-02", "2026-04-03"}) {
                    query_text(c, "SELECT fleetwatch_ensure_position_partition($1::date)",
                               {std::string(day)});
                }
            } catch (const std::exception& e) {
                const std::lock_guard lock(mutex);
                errors.emplace_back(e.what());
            }
        });
    }
    for (auto& t : threads) t.join();
    EXPECT_TRUE(errors.empty()) << errors.front();
    EXPECT_EQ(count("SELECT 1 FROM pg_inherits WHERE inhparent = 'positions'::regclass"),
              4);  // + default
}

TEST_F(PositionsTest, VehicleBetweenTimesUsesThePrimaryKey) {
    scalar("SELECT fleetwatch_ensure_position_partition('2026-03-10')");
    insert("5", "2026-03-10T01:00:00Z");
    const std::string plan = scalar(
        "EXPLAIN (COSTS OFF) SELECT * FROM positions WHERE vehicle_id = 5 "
        "AND gps_time >= '2026-03-10T00:30:00Z' AND gps_time < '2026-03-10T02:00:00Z'");
    EXPECT_EQ(plan.find("Seq Scan on positions_2026"), std::string::npos) << plan;
    const std::string gist = scalar(
        "SELECT count(*) FROM pg_indexes WHERE tablename = 'positions_20260310' AND indexdef LIKE "
        "'%gist (geom)%'");
    EXPECT_EQ(gist, "1");
}

TEST_F(PositionsTest, ForEachPositionPagesThroughTimeThenVehicleWithoutLosingTies) {
    scalar("SELECT fleetwatch_ensure_position_partition('2026-03-10')");
    // Three vehicles at the same seconds: pages of 2 split the ties.
    for (const char* t : {"2026-03-10T01:00:00Z", "2026-03-10T01:00:01Z"}) {
        for (const char* v : {"9", "7", "8"}) ASSERT_NE(insert(v, t), "");
    }
    ASSERT_NE(insert("7", "2026-03-10T02:00:00Z"), "");  // outside [from, to)
    Connection c = connect();
    std::vector<std::string> seen;
    int pages = 0;
    for_each_position(c, *core::parse_rfc3339("2026-03-10T01:00:00Z"),
                      *core::parse_rfc3339("2026-03-10T02:00:00Z"), 2,
                      [&](std::span<const core::Position> page) {
                          ++pages;
                          for (const auto& p : page) {
                              seen.push_back(core::format_rfc3339(p.gps_time).substr(17, 2) + "/" +
                                             std::to_string(p.vehicle_id));
                              EXPECT_EQ(p.speed_dkmh, 425);
                              EXPECT_EQ(p.point, (core::GeoPoint{32'110'300, 118'958'600}));
                              EXPECT_EQ(p.mileage_100m, 12345u);
                              EXPECT_TRUE(p.valid);
                          }
                      });
    EXPECT_EQ(seen, (std::vector<std::string>{"00/7", "00/8", "00/9", "01/7", "01/8", "01/9"}));
    EXPECT_EQ(pages, 3);
}

}  // namespace
}  // namespace fleetwatch::storage
