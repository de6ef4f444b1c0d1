#include "fleetwatch/storage/violations.hpp"

#include <gtest/gtest.h>

#include "storage_test_db.hpp"

namespace fleetwatch::storage {
namespace {

using namespace std::chrono_literals;

const core::Timestamp kT0 = core::to_timestamp({2026, 3, 10, 8, 0, 0}, core::kChinaUtcOffset);

class ViolationStoreTest : public testing::DatabaseTest {
  protected:
    void SetUp() override {
        DatabaseTest::SetUp();
        if (IsSkipped() || HasFatalFailure()) return;
        migrate_schema();
        vehicle_ = std::stoll(scalar(
            "INSERT INTO vehicles (plate, class, terminal_phone) "
            "VALUES ('苏AS0201', 'school_bus', '013900000201') RETURNING id"));
        driver_ = std::stoll(scalar(
            "INSERT INTO drivers (license_no, name, certificate_no) "
            "VALUES ('320102197512030043', '陈秀英', 'QC320100000003') RETURNING id"));
        conn_.emplace(connect());
    }

    ViolationChange overspeed(ViolationChangeKind kind, std::uint64_t episode, double peak,
                              std::optional<core::Timestamp> end = std::nullopt) const {
        ViolationChange c;
        c.kind = kind;
        c.episode_id = episode;
        ViolationRecord& r = c.record;
        r.type = "overspeed";
        r.severity = peak >= 72 ? "moderate" : "minor";
        r.vehicle_id = static_cast<core::VehicleId>(vehicle_);
        r.driver_id = static_cast<core::DriverId>(driver_);
        r.started_at = kT0;
        r.ended_at = end;
        r.peak = peak;
        r.peak_unit = "kmh";
        r.thresholds = {{"limit_kmh", 60}, {"tolerance_s", 10}};
        r.pledge_version = 2;
        r.path = {{32'060'000, 118'790'000}, {32'060'500, 118'790'400}, {32'061'000, 118'791'000}};
        return c;
    }

    std::vector<std::int64_t> apply(ViolationStore& store, std::vector<ViolationChange> changes) {
        return store.apply(*conn_, changes);
    }

    std::vector<std::string> actions(std::int64_t id) {
        std::vector<std::string> out;
        for (const auto& a : violation_audit(*conn_, id)) {
            EXPECT_EQ(a.actor, "engine");
            out.push_back(a.action);
        }
        return out;
    }

    long long vehicle_ = 0;
    long long driver_ = 0;
    std::optional<Connection> conn_;
};

TEST_F(ViolationStoreTest, AnEpisodeIsOneRowWithItsPathAndEveryEventAnAuditRow) {
    ViolationStore store;
    const auto opened = apply(store, {overspeed(ViolationChangeKind::open, 1, 68)});
    ASSERT_EQ(opened.size(), 1u);
    const auto updated = apply(store, {overspeed(ViolationChangeKind::update, 1, 75)});
    const auto closed = apply(store, {overspeed(ViolationChangeKind::close, 1, 75, kT0 + 40s)});
    EXPECT_EQ(updated, opened);
    EXPECT_EQ(closed, opened);
    const std::string id = std::to_string(opened[0]);
    EXPECT_EQ(count("SELECT 1 FROM violations"), 1);
    EXPECT_EQ(scalar("SELECT concat_ws('|', type, severity, peak, status, pledge_version, "
                     "thresholds->>'limit_kmh', ended_at - started_at, "
                     "ST_NPoints(path::geometry), ST_AsText(start_point)) "
                     "FROM violations WHERE id = " + id),
              "overspeed|moderate|75|new|2|60.0|00:00:40|3|POINT(118.79 32.06)");
    EXPECT_EQ(actions(opened[0]), (std::vector<std::string>{"opened", "updated", "closed"}));
}

TEST_F(ViolationStoreTest, ARecomputedUpdateAndARetractionAreAuditedAndTheRowKept) {
    ViolationStore store;
    auto update = overspeed(ViolationChangeKind::update, 7, 80, kT0 + 30s);
    update.recomputed = true;
    const auto ids = apply(store, {overspeed(ViolationChangeKind::open, 7, 70), update,
                                   overspeed(ViolationChangeKind::retract, 7, 80, kT0 + 30s)});
    ASSERT_EQ(ids.size(), 3u);
    EXPECT_EQ(ids[0], ids[1]);
    EXPECT_EQ(ids[0], ids[2]);
    EXPECT_EQ(scalar("SELECT status FROM violations WHERE id = " + std::to_string(ids[0])),
              "retracted");
    EXPECT_EQ(actions(ids[0]), (std::vector<std::string>{"opened", "recomputed", "retracted"}));
}

TEST_F(ViolationStoreTest, AuditRowsCannotBeChangedOrDeleted) {
    ViolationStore store;
    const auto id = apply(store, {overspeed(ViolationChangeKind::open, 1, 68)})[0];
    const std::string where = " WHERE violation_id = " + std::to_string(id);
    EXPECT_THROW(scalar("UPDATE violation_audit SET note = 'x'" + where + " RETURNING id"),
                 DatabaseError);
    EXPECT_THROW(scalar("DELETE FROM violation_audit" + where + " RETURNING id"), DatabaseError);
    EXPECT_EQ(actions(id), std::vector<std::string>{"opened"});
}

TEST_F(ViolationStoreTest, AfterARestartTheSameEpisodeFindsItsRowInsteadOfASecondOne) {
    std::int64_t id = 0;
    {
        ViolationStore before;
        id = apply(before, {overspeed(ViolationChangeKind::open, 3, 68)})[0];
    }
    // A new engine rebuilt from the positions gives the episode a new id; it starts at the
    // same time (same start), then ends.
    ViolationStore after;
    EXPECT_EQ(apply(after, {overspeed(ViolationChangeKind::open, 90, 70)})[0], id);
    EXPECT_EQ(apply(after, {overspeed(ViolationChangeKind::close, 90, 70, kT0 + 20s)})[0], id);
    EXPECT_EQ(count("SELECT 1 FROM violations"), 1);
    EXPECT_EQ(actions(id), (std::vector<std::string>{"opened", "updated", "closed"}));
    // A later, separate episode of the same vehicle is a new row.
    auto later = overspeed(ViolationChangeKind::open, 91, 66);
    later.record.started_at = kT0 + 1h;
    EXPECT_NE(apply(after, {later})[0], id);
    EXPECT_EQ(count("SELECT 1 FROM violations"), 2);
}

TEST_F(ViolationStoreTest, AFailedBatchChangesNothingAndCanBeRetried) {
    ViolationStore store;
    auto bad = overspeed(ViolationChangeKind::open, 2, 68);
    bad.record.severity = "apocalyptic";  // refused by the CHECK
    EXPECT_THROW(apply(store, {overspeed(ViolationChangeKind::open, 1, 68), bad}), DatabaseError);
    EXPECT_EQ(count("SELECT 1 FROM violations"), 0);
    EXPECT_EQ(count("SELECT 1 FROM violation_audit"), 0);
    const auto ids = apply(store, {overspeed(ViolationChangeKind::open, 1, 68)});
    EXPECT_EQ(actions(ids[0]), std::vector<std::string>{"opened"});
}

TEST_F(ViolationStoreTest, RetractingAnEpisodeNeverStoredStoresNothing) {
    ViolationStore store;
    EXPECT_EQ(apply(store, {overspeed(ViolationChangeKind::retract, 5, 68)}),
              std::vector<std::int64_t>{0});
    EXPECT_EQ(count("SELECT 1 FROM violations"), 0);
}

TEST_F(ViolationStoreTest, ADriverLevelEpisodeWithoutAVehicleIsKeyedByItsDriver) {
    ViolationStore store;
    ViolationChange c = overspeed(ViolationChangeKind::open, 1, 200);
    c.record.type = "fatigue_continuous";
    c.record.severity = "serious";
    c.record.vehicle_id = 0;
    c.record.peak_unit = "min";
    c.record.path.clear();
    const auto id = apply(store, {c})[0];
    EXPECT_EQ(scalar("SELECT concat_ws('|', vehicle_id IS NULL, driver_id = " +
                     std::to_string(driver_) + ", path IS NULL, start_point IS NULL) "
                     "FROM violations WHERE id = " + std::to_string(id)),
              "t|t|t|t");
    ViolationStore after_restart;
    c.episode_id = 44;
    c.kind = ViolationChangeKind::close;
    c.record.ended_at = kT0 + 4h;
    EXPECT_EQ(apply(after_restart, {c})[0], id);
}

}  // namespace
}  // namespace fleetwatch::storage
