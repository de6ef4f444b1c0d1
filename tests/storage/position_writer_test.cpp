#include "fleetwatch/storage/position_writer.hpp"

#include <gtest/gtest.h>
#include <prometheus/registry.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>
#include <optional>
#include <pqxx/pqxx>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "fleetwatch/storage/spool.hpp"
#include "tcp_proxy.hpp"
#include "writer_test_db.hpp"

namespace fleetwatch::storage {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using testing::TcpProxy;
using testing::TestSchema;

// 2026-03-10T00:00:00Z
constexpr core::Timestamp kDay{std::chrono::seconds{1'773'100'800}};

core::Position make_position(core::VehicleId vehicle, int i) {
    core::Position p;
    p.vehicle_id = vehicle;
    p.gps_time = kDay + std::chrono::seconds{i * 10};
    p.received_at = p.gps_time + 2s;
    p.point = core::GeoPoint{31'000'000 + i, 118'000'000 - i};
    p.altitude_m = static_cast<std::uint16_t>(i % 1000);
    p.speed_dkmh = static_cast<std::uint16_t>(i % 1200);
    p.direction = static_cast<std::uint16_t>(i % 360);
    p.status = 0x2;
    p.valid = true;
    p.source = core::PositionSource::live;
    return p;
}

std::vector<core::Position> make_positions(core::VehicleId vehicle, int first, int count) {
    std::vector<core::Position> out;
    out.reserve(static_cast<std::size_t>(count));
    for (int i = first; i < first + count; ++i) out.push_back(make_position(vehicle, i));
    return out;
}

double metric(prometheus::Registry& registry, const std::string& name,
              const std::map<std::string, std::string>& labels = {}) {
    for (const auto& family : registry.Collect()) {
        if (family.name != name) continue;
        for (const auto& m : family.metric) {
            std::map<std::string, std::string> have;
            for (const auto& l : m.label) have[l.name] = l.value;
            bool match = true;
            for (const auto& [k, v] : labels) match = match && have[k] == v;
            if (!match) continue;
            switch (family.type) {
                case prometheus::MetricType::Counter:
                    return m.counter.value;
                case prometheus::MetricType::Gauge:
                    return m.gauge.value;
                case prometheus::MetricType::Histogram:
                    return static_cast<double>(m.histogram.sample_count);
                default:
                    return 0;
            }
        }
    }
    return -1;
}

// Polls `done` until it holds or `timeout` passes; returns its last value.
template <typename Predicate>
bool wait_until(Predicate done, std::chrono::milliseconds timeout = 20s) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!done()) {
        if (std::chrono::steady_clock::now() >= deadline) return done();
        std::this_thread::sleep_for(10ms);
    }
    return true;
}

class PositionWriterTest : public ::testing::Test {
  protected:
    void SetUp() override {
        const auto url = testing::test_database_url();
        if (!url) {
            if (testing::database_required()) {
                FAIL() << "FLEETWATCH_REQUIRE_DB=1 but FLEETWATCH_TEST_DATABASE_URL is not set";
            }
            GTEST_SKIP() << "FLEETWATCH_TEST_DATABASE_URL is not set (scripts/with-postgres.sh "
                            "starts a throwaway PostGIS and sets it)";
        }
        schema_ = std::make_unique<TestSchema>(*url);
        spool_dir_ = fs::temp_directory_path() / ("fw-writer-" + schema_->name());
        fs::remove_all(spool_dir_);
    }

    void TearDown() override {
        if (!spool_dir_.empty()) fs::remove_all(spool_dir_);
    }

    PositionWriterConfig config(std::optional<std::uint16_t> proxy_port = std::nullopt) {
        PositionWriterConfig c;
        c.conninfo = proxy_port ? schema_->conninfo_via(*proxy_port) : schema_->conninfo();
        c.batch_size = 500;
        c.batch_interval = 20ms;
        c.queue_capacity = 100'000;
        c.spool_dir = spool_dir_;
        c.spool_max_bytes = 64 << 20;
        c.spool_segment_bytes = 64 << 10;  // small: replay crosses many segments
        c.reconnect_initial_backoff = 20ms;
        c.reconnect_max_backoff = 200ms;
        c.connect_timeout = 2s;
        return c;
    }

    std::int64_t scalar(const std::string& sql) {
        pqxx::nontransaction tx(schema_->conn());
        return tx.exec1(sql)[0].as<std::int64_t>();
    }

    std::int64_t stored(core::VehicleId vehicle) {
        return scalar("SELECT count(*) FROM positions WHERE vehicle_id = " +
                      std::to_string(vehicle));
    }

    // Polls until `vehicle` has `count` rows or `timeout` passes; returns the last count.
    std::int64_t wait_stored(core::VehicleId vehicle, std::int64_t count,
                             std::chrono::milliseconds timeout = 20s) {
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        std::int64_t n = stored(vehicle);
        while (n < count && std::chrono::steady_clock::now() < deadline) {
            std::this_thread::sleep_for(20ms);
            n = stored(vehicle);
        }
        return n;
    }

    // Every gps_time of `vehicle` appears exactly once, and they are the ones submitted.
    void expect_exactly_once(core::VehicleId vehicle,
                             const std::vector<core::Position>& submitted) {
        pqxx::nontransaction tx(schema_->conn());
        const auto rows = tx.exec(
            "SELECT extract(epoch FROM gps_time)::bigint, count(*) FROM positions WHERE vehicle_id "
            "= " +
            std::to_string(vehicle) + " GROUP BY 1");
        std::set<std::int64_t> want;
        for (const auto& p : submitted) want.insert(p.gps_time.time_since_epoch().count());
        std::set<std::int64_t> have;
        for (const auto& row : rows) {
            EXPECT_EQ(row[1].as<std::int64_t>(), 1) << "gps_time " << row[0].as<std::int64_t>();
            have.insert(row[0].as<std::int64_t>());
        }
        EXPECT_EQ(have.size(), want.size());
        EXPECT_TRUE(have == want) << "stored set differs from the submitted set";
    }

    void outage(std::size_t connections, bool check_order);

    std::unique_ptr<TestSchema> schema_;
    fs::path spool_dir_;
    prometheus::Registry registry_;
};

TEST_F(PositionWriterTest, StoredRowsCarryTheSubmittedValues) {
    std::vector<core::Position> in;
    core::Position a = make_position(101, 1);
    a.point = core::GeoPoint{-33'868'820, 151'209'290};  // south and east
    a.altitude_m = 65535;
    a.speed_dkmh = 1234;
    a.direction = 359;
    a.alarm = 0x80000001U;
    a.status = 0xFFFFFFFFU;
    a.mileage_100m = 123456;
    a.fuel_100ml = 655;
    a.satellites = 12;
    a.signal_strength = 31;
    a.source = core::PositionSource::blind_zone;
    in.push_back(a);
    core::Position b = make_position(101, 2);
    b.point = core::GeoPoint{40'712'776, -74'005'974};  // north and west
    b.valid = false;
    b.gps_time = kDay + std::chrono::hours{24 * 40};  // another day: another partition
    in.push_back(b);

    PositionWriter writer(config(), registry_);
    ASSERT_TRUE(writer.submit(in));
    ASSERT_TRUE(writer.flush(10s));
    EXPECT_TRUE(writer.db_up());

    pqxx::nontransaction tx(schema_->conn());
    const auto rows = tx.exec(
        "SELECT extract(epoch FROM gps_time)::bigint, extract(epoch FROM received_at)::bigint, "
        "ST_Y(geom::geometry), ST_X(geom::geometry), altitude_m, speed_kmh, direction, alarm, "
        "status, "
        "valid, mileage_km, fuel_l, satellites, signal_strength, source, tableoid::regclass::text "
        "FROM positions WHERE vehicle_id = 101 ORDER BY gps_time");
    ASSERT_EQ(rows.size(), 2U);
    for (std::size_t i = 0; i < 2; ++i) {
        const auto& p = in[i];
        const auto r = rows[static_cast<pqxx::result::size_type>(i)];
        EXPECT_EQ(r[0].as<std::int64_t>(), p.gps_time.time_since_epoch().count());
        EXPECT_EQ(r[1].as<std::int64_t>(), p.received_at.time_since_epoch().count());
        EXPECT_EQ(r[2].as<double>(), p.point.lat_e6 / 1e6);
        EXPECT_EQ(r[3].as<double>(), p.point.lon_e6 / 1e6);
        EXPECT_EQ(r[4].as<int>(), p.altitude_m);
        EXPECT_FLOAT_EQ(r[5].as<float>(), static_cast<float>(p.speed_kmh()));
        EXPECT_EQ(r[6].as<int>(), p.direction);
        EXPECT_EQ(r[7].as<std::int64_t>(), p.alarm);
        EXPECT_EQ(r[8].as<std::int64_t>(), p.status);
        EXPECT_EQ(r[9].as<bool>(), p.valid);
        EXPECT_EQ(r[14].as<int>(), static_cast<int>(p.source));
        EXPECT_NE(r[15].as<std::string>(), "positions_default") << "no daily partition was made";
    }
    EXPECT_FLOAT_EQ(rows[0][10].as<float>(), 12345.6F);
    EXPECT_FLOAT_EQ(rows[0][11].as<float>(), 65.5F);
    EXPECT_EQ(rows[0][12].as<int>(), 12);
    EXPECT_EQ(rows[0][13].as<int>(), 31);
    for (int col = 10; col <= 13; ++col) EXPECT_TRUE(rows[1][col].is_null()) << "column " << col;

    EXPECT_EQ(metric(registry_, "fleetwatch_storage_positions_accepted_total"), 2);
    EXPECT_EQ(metric(registry_, "fleetwatch_storage_positions_stored_total"), 2);
    EXPECT_EQ(metric(registry_, "fleetwatch_storage_db_up"), 1);
}

TEST_F(PositionWriterTest, RetransmittedPositionsAreStoredOnce) {
    PositionWriter writer(config(), registry_);
    const auto first = make_positions(102, 0, 300);
    ASSERT_TRUE(writer.submit(first));
    ASSERT_TRUE(writer.flush(10s));
    // The terminal did not get our ack and sends the same reports again, some twice in one go.
    auto again = make_positions(102, 200, 200);  // 100 old, 100 new
    const auto dup = make_positions(102, 350, 10);
    again.insert(again.end(), dup.begin(), dup.end());
    ASSERT_TRUE(writer.submit(again));
    ASSERT_TRUE(writer.flush(10s));

    EXPECT_EQ(stored(102), 400);
    expect_exactly_once(102, make_positions(102, 0, 400));
    EXPECT_EQ(metric(registry_, "fleetwatch_storage_positions_stored_total"), 400);
    EXPECT_EQ(metric(registry_, "fleetwatch_storage_positions_duplicate_total"), 110);
}

TEST_F(PositionWriterTest, BatchesAreCutAtBatchSize) {
    auto c = config();
    c.batch_size = 100;
    c.batch_interval = 10s;  // only size cuts batches here
    PositionWriter writer(c, registry_);
    for (int i = 0; i < 10; ++i) ASSERT_TRUE(writer.submit(make_positions(103, i * 100, 100)));
    EXPECT_EQ(wait_stored(103, 1000), 1000);
    EXPECT_TRUE(wait_until([&] {
        return metric(registry_, "fleetwatch_storage_batch_size") == 10;
    })) << metric(registry_, "fleetwatch_storage_batch_size")
        << " batches";
}

TEST_F(PositionWriterTest, APartialBatchIsWrittenAfterTheBatchInterval) {
    auto c = config();
    c.batch_size = 5000;
    c.batch_interval = 50ms;
    PositionWriter writer(c, registry_);
    ASSERT_TRUE(writer.submit(make_positions(104, 0, 3)));
    EXPECT_EQ(wait_stored(104, 3, 5s), 3);
}

// The outage scenario, with `connections` lanes. With one lane the spool is also committed in
// exactly the order it was written, which `check_order` verifies.
void PositionWriterTest::outage(std::size_t connections, bool check_order) {
    TcpProxy proxy(schema_->proxy_target());
    auto c = config(proxy.port());
    c.connections = connections;
    PositionWriter writer(c, registry_);

    const auto before = make_positions(105, 0, 1000);
    ASSERT_TRUE(writer.submit(before));
    ASSERT_TRUE(writer.flush(10s));
    ASSERT_EQ(stored(105), 1000);

    proxy.set_up(false);  // PostgreSQL is gone for the writer
    const auto during = make_positions(105, 1000, 5000);
    for (std::size_t i = 0; i < during.size(); i += 50) {
        ASSERT_TRUE(writer.submit(std::span(during).subspan(i, 50))) << "refused at " << i;
        std::this_thread::sleep_for(1ms);
    }
    ASSERT_TRUE(writer.flush(10s));  // durable = in the spool, since the database is away
    EXPECT_FALSE(writer.db_up());
    EXPECT_EQ(metric(registry_, "fleetwatch_storage_db_up"), 0);
    EXPECT_GT(writer.spooled_records(), 0U);
    EXPECT_GT(metric(registry_, "fleetwatch_storage_spool_records"), 0);
    EXPECT_EQ(stored(105), 1000);

    proxy.set_up(true);
    const auto after = make_positions(105, 6000, 1000);
    ASSERT_TRUE(writer.submit(after));
    EXPECT_EQ(wait_stored(105, 7000), 7000);
    ASSERT_TRUE(writer.flush(10s));
    EXPECT_TRUE(writer.db_up());
    // The spool is consumed right after the commit that made the rows visible.
    EXPECT_TRUE(wait_until([&] { return writer.spooled_records() == 0; }));

    auto all = before;
    all.insert(all.end(), during.begin(), during.end());
    all.insert(all.end(), after.begin(), after.end());
    expect_exactly_once(105, all);

    EXPECT_EQ(metric(registry_, "fleetwatch_storage_positions_accepted_total"), 7000);
    EXPECT_GE(metric(registry_, "fleetwatch_storage_errors_total", {{"reason", "write"}}), 1);
    if (!check_order) return;

    // The spool was replayed in submission order: a position accepted during the outage was
    // committed in the same transaction as, or a later one than, every position accepted before
    // it (xmin does not wrap in a test cluster).
    pqxx::nontransaction tx(schema_->conn());
    const auto rows = tx.exec(
        "SELECT xmin::text::bigint FROM positions WHERE vehicle_id = 105 AND gps_time >= "
        "to_timestamp(" +
        std::to_string(during.front().gps_time.time_since_epoch().count()) +
        ") AND gps_time <= to_timestamp(" +
        std::to_string(during.back().gps_time.time_since_epoch().count()) + ") ORDER BY gps_time");
    ASSERT_EQ(rows.size(), during.size());
    std::int64_t last = 0;
    for (const auto& row : rows) {
        const auto xid = row[0].as<std::int64_t>();
        ASSERT_GE(xid, last) << "a later position was replayed before an earlier one";
        last = xid;
    }
}

TEST_F(PositionWriterTest, PositionsAcceptedDuringAnOutageAreStoredExactlyOnceInOrder) {
    outage(1, true);
}

TEST_F(PositionWriterTest, PositionsAcceptedDuringAnOutageAreStoredExactlyOnceWithTwoLanes) {
    outage(2, false);
}

TEST_F(PositionWriterTest, AWriterStartedWithoutTheDatabaseSpoolsAndTheNextOneReplays) {
    TcpProxy proxy(schema_->proxy_target());
    proxy.set_up(false);
    const auto positions = make_positions(106, 0, 2500);
    {
        PositionWriter writer(config(proxy.port()), registry_);
        ASSERT_TRUE(writer.submit(positions));
        writer.stop();  // SIGTERM while PostgreSQL is away
        EXPECT_EQ(writer.spooled_records(), 2500U);
        EXPECT_FALSE(writer.submit(positions)) << "a stopped writer takes nothing";
    }
    EXPECT_EQ(stored(106), 0);

    proxy.set_up(true);
    prometheus::Registry second;
    PositionWriter writer(config(proxy.port()), second);  // a new process finds the old spool
    EXPECT_EQ(wait_stored(106, 2500), 2500);
    expect_exactly_once(106, positions);
    EXPECT_TRUE(wait_until(
        [&] { return metric(second, "fleetwatch_storage_positions_replayed_total") == 2500; }));
}

TEST_F(PositionWriterTest, StopWritesEverythingAcceptedIntoTheTable) {
    auto c = config();
    c.batch_interval = 60s;  // nothing would be written on time
    c.batch_size = 1000;
    const auto positions = make_positions(107, 0, 1234);
    {
        PositionWriter writer(c, registry_);
        ASSERT_TRUE(writer.submit(positions));
        writer.stop();
    }
    EXPECT_EQ(stored(107), 1234);
    // Straight into the table: the spool was not needed (its directory always holds LOCK, so
    // the metric says it, not the directory).
    EXPECT_EQ(metric(registry_, "fleetwatch_storage_positions_spooled_total"), 0);
}

TEST_F(PositionWriterTest, AKilledBackendLosesNothing) {
    PositionWriter writer(config(), registry_);
    std::vector<core::Position> all;
    for (int round = 0; round < 5; ++round) {
        const auto chunk = make_positions(108, round * 2000, 2000);
        all.insert(all.end(), chunk.begin(), chunk.end());
        for (std::size_t i = 0; i < chunk.size(); i += 100) {
            ASSERT_TRUE(writer.submit(std::span(chunk).subspan(i, 100)));
        }
        // An administrator (or a failover) ends the writer's session mid-stream.
        pqxx::nontransaction tx(schema_->conn());
        tx.exec("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = " +
                tx.quote(schema_->name()) + " AND pid <> pg_backend_pid()");
    }
    EXPECT_EQ(wait_stored(108, 10'000), 10'000);
    ASSERT_TRUE(writer.flush(10s));
    expect_exactly_once(108, all);
}

TEST_F(PositionWriterTest, AFullSpoolMakesSubmitRefuseAndWhatWasAcceptedIsStored) {
    TcpProxy proxy(schema_->proxy_target());
    proxy.set_up(false);
    auto c = config(proxy.port());
    c.queue_capacity = 1000;
    c.batch_size = 100;
    c.spool_max_bytes = 32 << 10;  // a few hundred positions
    c.spool_segment_bytes = 8 << 10;
    std::vector<core::Position> accepted;
    std::size_t refused = 0;
    {
        PositionWriter writer(c, registry_);
        for (int i = 0; i < 100 && refused == 0; ++i) {
            const auto chunk = make_positions(109, i * 50, 50);
            if (writer.submit(chunk)) {
                accepted.insert(accepted.end(), chunk.begin(), chunk.end());
            } else {
                ++refused;
            }
            std::this_thread::sleep_for(2ms);
        }
        ASSERT_EQ(refused, 1U) << "the spool never filled";
        EXPECT_GT(
            metric(registry_, "fleetwatch_storage_refusals_total", {{"reason", "spool_full"}}), 0);
        EXPECT_GT(accepted.size(), 1000U) << "the spool took nothing beyond the queue";

        proxy.set_up(true);
        EXPECT_EQ(wait_stored(109, static_cast<std::int64_t>(accepted.size())),
                  static_cast<std::int64_t>(accepted.size()));
        ASSERT_TRUE(writer.flush(10s));
        // Room again.
        EXPECT_TRUE(writer.submit(make_positions(109, 100'000, 1)));
    }
    accepted.push_back(make_position(109, 100'000));
    expect_exactly_once(109, accepted);
}

TEST_F(PositionWriterTest, SubmitDoesNotWaitForAStalledDatabase) {
    auto c = config();
    c.queue_capacity = 2000;
    c.batch_size = 500;
    PositionWriter writer(c, registry_);
    ASSERT_TRUE(writer.submit(make_positions(110, 0, 10)));
    ASSERT_TRUE(writer.flush(10s));

    // Hold a lock the writer's INSERT needs: its transaction hangs inside PostgreSQL.
    pqxx::connection blocker(schema_->conninfo());
    pqxx::work lock_tx(blocker);
    lock_tx.exec("LOCK TABLE positions IN ACCESS EXCLUSIVE MODE");

    std::vector<core::Position> all = make_positions(110, 0, 10);
    auto worst = std::chrono::steady_clock::duration::zero();
    for (int i = 0; i < 100; ++i) {
        const auto chunk = make_positions(110, 10 + i * 100, 100);
        const auto start = std::chrono::steady_clock::now();
        ASSERT_TRUE(writer.submit(chunk));
        worst = std::max(worst, std::chrono::steady_clock::now() - start);
        all.insert(all.end(), chunk.begin(), chunk.end());
    }
    // The INSERT is blocked until the lock goes, far longer than this; what submit may cost is
    // a write(2) and, once per batch interval, an fdatasync (a few ms here, with tails on
    // shared virtual disks).
    EXPECT_LT(worst, 250ms) << "submit waited on the database";
    std::printf("worst submit while the database was stalled: %.1f ms\n",
                std::chrono::duration<double, std::milli>(worst).count());
    EXPECT_GT(writer.spooled_records(), 0U) << "the queue should have overflowed into the spool";
    lock_tx.abort();

    EXPECT_EQ(wait_stored(110, static_cast<std::int64_t>(all.size())),
              static_cast<std::int64_t>(all.size()));
    expect_exactly_once(110, all);
}

core::DriverCardEvent card_event(core::VehicleId vehicle, bool inserted, core::Timestamp t) {
    core::DriverCardEvent e;
    e.vehicle_id = vehicle;
    e.time = t;
    e.received_at = t + 1s;
    e.inserted = inserted;
    if (inserted) e.ic_result = 0;
    e.driver_name = "陈秀英";
    e.certificate_no = "QC320100000003";
    e.issuer = "南京市交通运输局";
    return e;
}

TEST_F(PositionWriterTest, DriverCardEventsSurviveAnOutageAndAreRecordedOnce) {
    const auto vehicle = scalar("INSERT INTO vehicles (plate) VALUES ('苏A12345') RETURNING id");
    TcpProxy proxy(schema_->proxy_target());
    PositionWriter writer(config(proxy.port()), registry_);
    ASSERT_TRUE(writer.submit(card_event(vehicle, true, kDay + 7h)));
    ASSERT_TRUE(writer.flush(10s));

    proxy.set_up(false);
    ASSERT_TRUE(writer.submit(card_event(vehicle, false, kDay + 11h)));
    ASSERT_TRUE(writer.submit(card_event(vehicle, true, kDay + 13h)));
    ASSERT_TRUE(writer.flush(10s));
    EXPECT_EQ(writer.spooled_records(), 2U);

    proxy.set_up(true);
    ASSERT_TRUE(wait_until([&] { return writer.spooled_records() == 0; }));
    ASSERT_TRUE(writer.flush(10s));
    EXPECT_EQ(scalar("SELECT count(*) FROM driver_card_sessions"), 2);
    EXPECT_EQ(scalar("SELECT count(*) FROM driver_card_sessions WHERE card_out_at IS NULL"), 1);
    EXPECT_EQ(scalar("SELECT count(*) FROM driver_card_sessions WHERE closed_by = 'card_out' AND "
                     "card_out_at = to_timestamp(" +
                     std::to_string((kDay + 11h).time_since_epoch().count()) + ")"),
              1);
    EXPECT_EQ(metric(registry_, "fleetwatch_storage_driver_card_events_stored_total"), 3);
}

TEST_F(PositionWriterTest, ACardEventTheDatabaseRejectsDoesNotHoldBackItsBatch) {
    PositionWriter writer(config(), registry_);
    const auto positions = make_positions(111, 0, 100);
    ASSERT_TRUE(writer.submit(card_event(999'999, true, kDay + 7h)));  // no such vehicle
    ASSERT_TRUE(writer.submit(positions));
    ASSERT_TRUE(writer.flush(10s));
    EXPECT_EQ(stored(111), 100);
    EXPECT_TRUE(writer.db_up());
    EXPECT_EQ(writer.spooled_records(), 0U);
    EXPECT_EQ(
        metric(registry_, "fleetwatch_storage_errors_total", {{"reason", "card_event_rejected"}}),
        1);
}

}  // namespace
}  // namespace fleetwatch::storage
