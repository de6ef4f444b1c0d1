#include "fleetwatch/storage/terminals.hpp"

#include <gtest/gtest.h>

#include "storage_test_db.hpp"

namespace fleetwatch::storage {
namespace {

using namespace std::chrono_literals;

class TerminalsTest : public testing::DatabaseTest {
  protected:
    void SetUp() override {
        DatabaseTest::SetUp();
        if (IsSkipped() || HasFatalFailure()) return;
        migrate_schema();
        scalar(R"sql(
            INSERT INTO vehicles (plate, class, terminal_phone, requires_card) VALUES
                ('苏AX0101', 'bus', '013900000101', true),
                ('苏AX0102', 'bus', '013900000102', false),
                ('苏A-NOTERM', 'car', NULL, false)
            RETURNING 1)sql");
        conn_.emplace(connect());
    }

    core::Timestamp at(int hour, int minute = 0) {
        return core::to_timestamp(core::CivilTime{2026, 3, 10, hour, minute, 0},
                                  std::chrono::seconds{0});
    }

    std::optional<Connection> conn_;
};

TEST_F(TerminalsTest, LoadTerminalsListsEveryVehicleWithAPhoneBeforeAnyRegistration) {
    const auto terminals = load_terminals(*conn_);
    ASSERT_EQ(terminals.size(), 2u);
    EXPECT_EQ(terminals[0].phone_key, "13900000101");
    EXPECT_EQ(terminals[0].plate, "苏AX0101");
    EXPECT_TRUE(terminals[0].requires_card);
    EXPECT_EQ(terminals[0].auth_code, std::nullopt);
    EXPECT_EQ(terminals[0].dialect, std::nullopt);
    EXPECT_LT(terminals[0].vehicle_id, terminals[1].vehicle_id);
}

TEST_F(TerminalsTest, ARegistrationStoresTheAuthCodeAndDialect) {
    TerminalRegistration reg;
    reg.phone_key = "13900000102";
    reg.auth_code = "fw-7f3a";
    reg.dialect = "2019";
    reg.registered_at = at(7);
    reg.province_id = 32;
    reg.city_id = 100;
    reg.maker_id = "70111";
    reg.model = "BSJ-A6";
    reg.terminal_id = "T000102";
    reg.plate = "苏AX0102";
    reg.plate_color = 2;
    const auto vehicle = save_registration(*conn_, reg);
    ASSERT_TRUE(vehicle.has_value());
    const auto terminals = load_terminals(*conn_);
    EXPECT_EQ(terminals[1].vehicle_id, *vehicle);
    EXPECT_EQ(terminals[1].auth_code, "fw-7f3a");
    EXPECT_EQ(terminals[1].dialect, "2019");
    EXPECT_EQ(terminals[0].auth_code, std::nullopt);

    // Registering again replaces the code.
    reg.auth_code = "fw-0001";
    save_registration(*conn_, reg);
    EXPECT_EQ(load_terminals(*conn_)[1].auth_code, "fw-0001");
    EXPECT_EQ(count("terminals"), 1);
    EXPECT_EQ(scalar("SELECT concat_ws(',', maker_id, model, terminal_id, reported_plate, "
                     "province_id) FROM terminals"),
              "70111,BSJ-A6,T000102,苏AX0102,32");
}

TEST_F(TerminalsTest, AnUnknownPhoneRegistersWithoutAVehicle) {
    TerminalRegistration reg;
    reg.phone_key = "13800138000";
    reg.auth_code = "x";
    reg.dialect = "2013";
    reg.registered_at = at(7);
    EXPECT_EQ(save_registration(*conn_, reg), std::nullopt);
    EXPECT_EQ(scalar("SELECT vehicle_id IS NULL FROM terminals WHERE phone_key = '13800138000'"),
              "t");
    EXPECT_EQ(load_terminals(*conn_).size(), 2u);
}

TEST_F(TerminalsTest, AutoRegistrationCreatesAVehicleForAnUnknownPhoneOnce) {
    TerminalRegistration reg;
    reg.phone_key = "13800138000";
    reg.auth_code = "auto";
    reg.dialect = "2013";
    reg.registered_at = at(7);
    reg.plate = "苏AX0101";  // taken by another vehicle: the new one is named after its phone
    reg.plate_color = 1;
    const core::VehicleId id = auto_register_vehicle(*conn_, reg);
    EXPECT_EQ(scalar("SELECT concat_ws(',', plate, class, plate_color, phone_key) FROM vehicles "
                     "WHERE id = $1",
                     {std::to_string(id)}),
              "AUTO-13800138000,other,1,13800138000");
    EXPECT_EQ(auto_register_vehicle(*conn_, reg), id);
    EXPECT_EQ(load_terminals(*conn_).back().auth_code, "auto");

    reg.phone_key = "13800138001";
    reg.plate = "苏A77777";
    const core::VehicleId second = auto_register_vehicle(*conn_, reg);
    EXPECT_EQ(scalar("SELECT plate FROM vehicles WHERE id = $1", {std::to_string(second)}),
              "苏A77777");
    // A known phone keeps its vehicle.
    reg.phone_key = "13900000101";
    EXPECT_EQ(auto_register_vehicle(*conn_, reg), load_terminals(*conn_)[0].vehicle_id);
    EXPECT_EQ(count("vehicles"), 5);
}

TEST_F(TerminalsTest, LastSeenOnlyMovesForward) {
    const TerminalSeen seen[] = {
        {"13900000101", at(9)}, {"13900000101", at(8)}, {"13900000102", at(7)}};
    record_terminals_seen(*conn_, seen);
    record_terminal_seen(*conn_, "13900000101", at(6));
    EXPECT_EQ(
        scalar(
            "SELECT string_agg(concat_ws(' ', phone_key, to_char(last_seen_at AT TIME ZONE 'UTC', "
            "'HH24:MI'), vehicle_id IS NOT NULL), ', ' ORDER BY phone_key) FROM terminals"),
        "13900000101 09:00 t, 13900000102 07:00 t");
}

TEST_F(TerminalsTest, AnAuthenticationKeepsImeiAndSoftwareVersion) {
    TerminalAuthentication auth;
    auth.phone_key = "13900000101";
    auth.authenticated_at = at(7, 5);
    auth.dialect = "2019";
    auth.imei = "860000000000001";
    auth.software_version = "1.2.3";
    save_authentication(*conn_, auth);
    auth.imei.clear();  // a later 2013 authentication does not erase it
    auth.software_version.clear();
    auth.dialect.clear();
    save_authentication(*conn_, auth);
    EXPECT_EQ(scalar("SELECT concat_ws(',', imei, software_version, dialect) FROM terminals"),
              "860000000000001,1.2.3,2019");
}

}  // namespace
}  // namespace fleetwatch::storage
