#include "fleetwatch/storage/driver_cards.hpp"

#include <gtest/gtest.h>

#include "fleetwatch/storage/migrations.hpp"
#include "storage_test_db.hpp"

namespace fleetwatch::storage {
namespace {

using namespace std::chrono_literals;

class DriverCardTest : public testing::DatabaseTest {
  protected:
    void SetUp() override {
        DatabaseTest::SetUp();
        if (IsSkipped() || HasFatalFailure()) return;
        migrate_schema();
        vehicle_ =
            std::stoll(scalar("INSERT INTO vehicles (plate, class, terminal_phone) "
                              "VALUES ('苏AS0201', 'school_bus', '013900000201') RETURNING id"));
        driver_ = scalar(
            "INSERT INTO drivers (license_no, name, certificate_no) "
            "VALUES ('320102197512030043', '陈秀英', 'QC320100000003') RETURNING id");
        conn_.emplace(connect());
    }

    core::DriverCardEvent event(bool inserted, core::Timestamp t,
                                const std::string& certificate = "QC320100000003") {
        core::DriverCardEvent e;
        e.vehicle_id = vehicle_;
        e.time = t;
        e.received_at = t + 2s;
        e.inserted = inserted;
        if (inserted) e.ic_result = 0;
        e.driver_name = inserted ? "陈秀英" : "";
        e.certificate_no = certificate;
        e.issuer = "南京市交通运输局";
        return e;
    }

    CardSessionChange apply(const core::DriverCardEvent& e) {
        return insert_driver_card_event(*conn_, e);
    }

    // "in..out" of every session in order, with the matched driver id.
    std::string sessions() {
        return scalar(R"sql(
            SELECT coalesce(string_agg(concat_ws(' ', to_char(card_in_at AT TIME ZONE 'UTC', 'HH24:MI'),
                                                  to_char(card_out_at AT TIME ZONE 'UTC', 'HH24:MI'),
                                                  closed_by, coalesce(driver_id::text, '-')),
                                        '; ' ORDER BY coalesce(card_in_at, card_out_at)), '')
            FROM driver_card_sessions)sql");
    }

    // "HH:MM in|out CERTIFICATE; " for each event list_card_events gives.
    std::string listed(core::Timestamp from, core::Timestamp to) {
        std::string out;
        for (const auto& e : list_card_events(*conn_, from, to)) {
            out += core::format_rfc3339(e.time).substr(11, 5) + (e.inserted ? " in " : " out ") +
                   e.certificate_no + "; ";
        }
        return out;
    }

    core::Timestamp at(int hour, int minute = 0) {
        return core::to_timestamp(core::CivilTime{2026, 3, 10, hour, minute, 0},
                                  std::chrono::seconds{0});
    }

    core::VehicleId vehicle_ = 0;
    std::string driver_;
    std::optional<Connection> conn_;
};

TEST_F(DriverCardTest, CardInOpensASessionMatchedByCertificateAndCardOutClosesIt) {
    EXPECT_EQ(apply(event(true, at(7))), CardSessionChange::opened);
    EXPECT_EQ(sessions(), "07:00 " + driver_);
    EXPECT_EQ(
        scalar("SELECT concat_ws(',', driver_name, issuer, ic_result) FROM driver_card_sessions"),
        "陈秀英,南京市交通运输局,0");
    EXPECT_EQ(apply(event(false, at(11, 30))), CardSessionChange::closed);
    EXPECT_EQ(sessions(), "07:00 11:30 card_out " + driver_);
}

TEST_F(DriverCardTest, ACardInWhileOneIsOpenClosesTheOldSessionAtTheNewTime) {
    apply(event(true, at(7)));
    EXPECT_EQ(apply(event(true, at(9), "QC-UNKNOWN")), CardSessionChange::replaced);
    EXPECT_EQ(sessions(), "07:00 09:00 card_in " + driver_ + "; 09:00 -");
    EXPECT_EQ(count("SELECT 1 FROM driver_card_sessions WHERE card_out_at IS NULL"), 1);
}

TEST_F(DriverCardTest, ListedCardEventsAreTheSessionsOverlappingTheWindowInTimeOrder) {
    apply(event(true, at(6)));
    apply(event(false, at(7)));   // ends before the window
    apply(event(true, at(8)));    // before the window, still open in it
    apply(event(false, at(10)));
    apply(event(true, at(11), "QC-UNKNOWN"));
    apply(event(true, at(13)));   // after the window
    EXPECT_EQ(listed(at(9), at(12)),
              "08:00 in QC320100000003; 10:00 out QC320100000003; 11:00 in QC-UNKNOWN; "
              "13:00 out QC-UNKNOWN; ");
}

TEST_F(DriverCardTest, AtTheSameTimeTheListedCardOutComesBeforeTheCardIn) {
    apply(event(true, at(8), "QC-UNKNOWN"));
    apply(event(true, at(9)));  // closes the unknown card's session at 09:00
    EXPECT_EQ(listed(at(7), at(12)), "08:00 in QC-UNKNOWN; 09:00 out QC-UNKNOWN; 09:00 in QC320100000003; ");
}

TEST_F(DriverCardTest, ReplayedEventsChangeNothing) {
    apply(event(true, at(7)));
    apply(event(false, at(8)));
    EXPECT_EQ(apply(event(true, at(7))), CardSessionChange::duplicate);
    EXPECT_EQ(apply(event(false, at(8))), CardSessionChange::duplicate);
    EXPECT_EQ(sessions(), "07:00 08:00 card_out " + driver_);
}

TEST_F(DriverCardTest, ACardOutWithNothingOpenIsKeptAndALateCardInCompletesIt) {
    EXPECT_EQ(apply(event(false, at(12))), CardSessionChange::orphan_card_out);
    EXPECT_EQ(sessions(), "12:00 card_out " + driver_);
    EXPECT_EQ(apply(event(true, at(8))), CardSessionChange::recorded_late);
    EXPECT_EQ(sessions(), "08:00 12:00 card_out " + driver_);
}

TEST_F(DriverCardTest, ALateCardInBeforeTheOpenSessionBecomesAClosedSession) {
    apply(event(true, at(10), "QC-OTHER"));
    EXPECT_EQ(apply(event(true, at(8))), CardSessionChange::recorded_late);
    EXPECT_EQ(sessions(), "08:00 10:00 card_in " + driver_ + "; 10:00 -");
}

TEST_F(DriverCardTest, ALateCardOutShortensTheSessionALaterCardInClosed) {
    apply(event(true, at(7)));
    apply(event(true, at(12), "QC-OTHER"));
    EXPECT_EQ(apply(event(false, at(11))), CardSessionChange::recorded_late);
    EXPECT_EQ(sessions(), "07:00 11:00 card_out " + driver_ + "; 12:00 -");
}

TEST_F(DriverCardTest, AnUnknownVehicleIsAnError) {
    core::DriverCardEvent e = event(true, at(7));
    e.vehicle_id = 987654;
    EXPECT_THROW(apply(e), DatabaseError);
    EXPECT_EQ(count("driver_card_sessions"), 0);
}

}  // namespace
}  // namespace fleetwatch::storage
