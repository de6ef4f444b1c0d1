#include "fleetwatch/storage/fleet_import.hpp"

#include <gtest/gtest.h>

#include <cstdio>

#include "fleetwatch/geo/china_datum.hpp"
#include "fleetwatch/geo/distance.hpp"
#include "storage_test_db.hpp"

namespace fleetwatch::storage {
namespace {

const std::string kDemo = std::string(FLEETWATCH_SOURCE_DIR) + "/deploy/demo-fleet.yaml";

fleet::Fleet demo_fleet() {
    fleet::FleetParseResult r = fleet::parse_fleet_file(kDemo);
    EXPECT_TRUE(r.problems.empty()) << r.problems.front().to_string();
    return std::move(*r.fleet);
}

class FleetImportTest : public testing::DatabaseTest {
  protected:
    void SetUp() override {
        DatabaseTest::SetUp();
        if (IsSkipped() || HasFatalFailure()) return;
        migrate_schema();
    }

    // Row counts of every table the import writes, and a digest of their content.
    std::string snapshot() {
        return scalar(R"sql(
            SELECT concat_ws(' | ',
              (SELECT string_agg(concat_ws(',', id, plate, plate_color, class, terminal_phone, phone_key, requires_card), ';' ORDER BY id) FROM vehicles),
              (SELECT string_agg(concat_ws(',', id, license_no, name, ic_card_no, certificate_no), ';' ORDER BY id) FROM drivers),
              (SELECT string_agg(concat_ws(',', id, driver_id, version, max_speed_kmh, forbidden_hours::text, valid_to), ';' ORDER BY id) FROM pledges),
              (SELECT string_agg(concat_ws(',', id, name, source_crs, ST_AsText(geom), corridor_m, speed_limit_kmh), ';' ORDER BY id) FROM routes),
              (SELECT string_agg(concat_ws(',', id, name, kind, ST_AsText(geom), ST_AsText(center), radius_m), ';' ORDER BY id) FROM zones),
              (SELECT string_agg(concat_ws(',', id, name, leader_username, max_gap_m), ';' ORDER BY id) FROM convoys),
              (SELECT string_agg(concat_ws(',', id, vehicle_id, driver_id, route_id, convoy_id, planned_start, planned_end, students_aboard), ';' ORDER BY id) FROM trips))
        )sql");
    }
};

TEST_F(FleetImportTest, TheDemoFleetImportsAndASecondImportChangesNothing) {
    const fleet::Fleet f = demo_fleet();
    const ImportSummary first = import_fleet(conninfo(), f);
    EXPECT_EQ(first.vehicles, (ImportCounts{6, 0, 0}));
    EXPECT_EQ(first.drivers, (ImportCounts{6, 0, 0}));
    EXPECT_EQ(first.pledges, (ImportCounts{2, 0, 0}));
    EXPECT_EQ(first.routes, (ImportCounts{4, 0, 0}));
    EXPECT_EQ(first.zones, (ImportCounts{2, 0, 0}));
    EXPECT_EQ(first.convoys, (ImportCounts{1, 0, 0}));
    EXPECT_EQ(first.trips, (ImportCounts{6, 0, 0}));
    const std::string before = snapshot();

    const ImportSummary second = import_fleet(conninfo(), f);
    EXPECT_EQ(second.vehicles, (ImportCounts{0, 0, 6}));
    EXPECT_EQ(second.drivers, (ImportCounts{0, 0, 6}));
    EXPECT_EQ(second.pledges, (ImportCounts{0, 0, 2}));
    EXPECT_EQ(second.routes, (ImportCounts{0, 0, 4}));
    EXPECT_EQ(second.zones, (ImportCounts{0, 0, 2}));
    EXPECT_EQ(second.convoys, (ImportCounts{0, 0, 1}));
    EXPECT_EQ(second.trips, (ImportCounts{0, 0, 6}));
    EXPECT_EQ(snapshot(), before);
    EXPECT_EQ(count("vehicles"), 6);
    EXPECT_EQ(count("trips"), 6);
    EXPECT_NE(first.to_string().find("vehicles   6 (6 inserted, 0 updated, 0 unchanged)"),
              std::string::npos)
        << first.to_string();
}

TEST_F(FleetImportTest, AChangedRowIsUpdatedInPlace) {
    fleet::Fleet f = demo_fleet();
    import_fleet(conninfo(), f);
    const std::string id = scalar("SELECT id FROM vehicles WHERE plate = '苏AX0101'");
    f.vehicles[0].vehicle_class = fleet::VehicleClass::school_bus;
    f.vehicles[0].terminal_phone = "013900000999";
    f.trips[0].students_aboard = false;
    const ImportSummary s = import_fleet(conninfo(), f);
    EXPECT_EQ(s.vehicles, (ImportCounts{0, 1, 5}));
    EXPECT_EQ(s.trips, (ImportCounts{0, 1, 5}));
    EXPECT_EQ(
        scalar(
            "SELECT concat_ws(',', id, class, phone_key) FROM vehicles WHERE plate = '苏AX0101'"),
        id + ",school_bus,13900000999");
}

TEST_F(FleetImportTest, TwoVehiclesMaySwapTerminalPhonesInOneImport) {
    fleet::Fleet f = demo_fleet();
    import_fleet(conninfo(), f);
    std::swap(f.vehicles[0].terminal_phone, f.vehicles[1].terminal_phone);
    const ImportSummary s = import_fleet(conninfo(), f);
    EXPECT_EQ(s.vehicles.updated, 2);
    EXPECT_EQ(scalar("SELECT phone_key FROM vehicles WHERE plate = '苏AX0101'"), "13900000102");
}

TEST_F(FleetImportTest, ABadRowCommitsNothingAndNamesItsLine) {
    // A vehicle outside the file already has the phone the file gives 苏AF0303.
    scalar(
        "INSERT INTO vehicles (plate, class, terminal_phone) VALUES ('苏Z99999', 'car', "
        "'13900000303') "
        "RETURNING id");
    const fleet::Fleet f = demo_fleet();
    try {
        import_fleet(conninfo(), f);
        FAIL() << "expected FleetImportError";
    } catch (const FleetImportError& e) {
        ASSERT_EQ(e.problems().size(), 1u);
        const fleet::FleetProblem& p = e.problems()[0];
        EXPECT_EQ(p.field, "vehicles[5].terminal_phone");
        EXPECT_EQ(p.line, f.vehicles[5].line);
        EXPECT_NE(p.message.find("already belongs to vehicle 苏Z99999"), std::string::npos)
            << p.message;
    }
    // Nothing of the file was committed, not even the rows before the bad one.
    EXPECT_EQ(count("vehicles"), 1);
    EXPECT_EQ(count("drivers"), 0);
    EXPECT_EQ(count("routes"), 0);
    EXPECT_EQ(count("trips"), 0);
}

TEST_F(FleetImportTest, ASignedPledgeIsNeverChangedByAnImport) {
    fleet::Fleet f = demo_fleet();
    import_fleet(conninfo(), f);
    f.pledges[1].max_speed_kmh = 45;
    f.vehicles[0].requires_card = false;  // would be an update, but nothing commits
    try {
        import_fleet(conninfo(), f);
        FAIL() << "expected FleetImportError";
    } catch (const FleetImportError& e) {
        ASSERT_EQ(e.problems().size(), 1u);
        EXPECT_EQ(e.problems()[0].field, "pledges[1].version");
        EXPECT_EQ(e.problems()[0].line, f.pledges[1].line);
        EXPECT_NE(e.problems()[0].message.find("give the new terms version 2"), std::string::npos);
    }
    EXPECT_EQ(scalar("SELECT max_speed_kmh FROM pledges p JOIN drivers d ON d.id = p.driver_id "
                     "WHERE d.license_no = '320102197512030043'"),
              "50");
    EXPECT_EQ(scalar("SELECT requires_card FROM vehicles WHERE plate = '苏AX0101'"), "t");
    // The new terms as version 2 go in beside version 1.
    f.pledges[1].version = 2;
    EXPECT_EQ(import_fleet(conninfo(), f).pledges, (ImportCounts{1, 0, 1}));
}

TEST_F(FleetImportTest, AnUnknownTimezoneIsRejectedByTheDatabase) {
    fleet::Fleet f = demo_fleet();
    f.timezone = "Asia/Nanjing";
    f.timezone_line = 11;
    try {
        import_fleet(conninfo(), f);
        FAIL() << "expected FleetImportError";
    } catch (const FleetImportError& e) {
        ASSERT_EQ(e.problems().size(), 1u);
        EXPECT_EQ(e.problems()[0].field, "timezone");
        EXPECT_EQ(e.problems()[0].line, 11);
    }
    EXPECT_EQ(count("vehicles"), 0);
}

TEST_F(FleetImportTest, AGcj02RouteIsStoredInWgs84) {
    import_fleet(conninfo(), demo_fleet());
    EXPECT_EQ(scalar("SELECT source_crs FROM routes WHERE name = '仙林-鼓楼通勤线'"), "gcj02");
    const std::string start = scalar(
        "SELECT ST_AsText(ST_StartPoint(geom::geometry)) FROM routes WHERE name = "
        "'仙林-鼓楼通勤线'");
    double lon = 0;
    double lat = 0;
    ASSERT_EQ(std::sscanf(start.c_str(), "POINT(%lf %lf)", &lon, &lat), 2) << start;
    // The file says [118.963716, 32.108140] in GCJ-02 (AMap).
    const geo::LatLon expected = geo::gcj02_to_wgs84({32.108140, 118.963716});
    EXPECT_LT(geo::distance_m({lat, lon}, expected), 1.0) << start;
    EXPECT_GT(geo::distance_m({lat, lon}, {32.108140, 118.963716}), 400.0);
    // The same place is where the WGS-84 campus loop starts.
    EXPECT_LT(
        std::stod(scalar("SELECT ST_Distance(ST_StartPoint(c.geom::geometry)::geography, "
                         "ST_StartPoint(l.geom::geometry)::geography) FROM routes c, routes l "
                         "WHERE c.name = '仙林-鼓楼通勤线' AND l.name = '仙林校区环线'")),
        1.0);
    EXPECT_EQ(scalar("SELECT ST_AsText(ST_StartPoint(geom::geometry)) FROM routes WHERE name = "
                     "'仙林校区环线'"),
              "POINT(118.9586 32.1103)");
}

TEST_F(FleetImportTest, ACircleZoneIsStoredAsABufferedPolygonWithCenterAndRadius) {
    import_fleet(conninfo(), demo_fleet());
    EXPECT_EQ(
        scalar("SELECT concat_ws(',', radius_m, ST_AsText(center), GeometryType(geom::geometry)) "
               "FROM zones WHERE name = '鼓楼校区'"),
        "600,POINT(118.779 32.056),POLYGON");
    const double area =
        std::stod(scalar("SELECT ST_Area(geom) FROM zones WHERE name = '鼓楼校区'"));
    EXPECT_NEAR(area, 3.14159265 * 600 * 600, 0.01 * 3.14159265 * 600 * 600);
    EXPECT_EQ(
        scalar("SELECT ST_Covers(geom, ST_GeogFromText('POINT(118.7795 32.0562)')) FROM zones "
               "WHERE name = '鼓楼校区'"),
        "t");
    EXPECT_EQ(scalar("SELECT speed_limit_kmh FROM zones WHERE name = '仙林校区'"), "20");
}

TEST_F(FleetImportTest, TripsReferenceTheirRowsAndTheTimezoneIsStored) {
    import_fleet(conninfo(), demo_fleet());
    EXPECT_EQ(scalar(R"sql(
        SELECT concat_ws(',', v.plate, d.name, r.name, c.name, t.planned_start, t.students_aboard)
        FROM trips t JOIN vehicles v ON v.id = t.vehicle_id JOIN drivers d ON d.id = t.driver_id
        JOIN routes r ON r.id = t.route_id JOIN convoys c ON c.id = t.convoy_id
        WHERE v.plate = '苏AF0302')sql"),
              "苏AF0302,孙丽娟,紫金山生物实习线,生物学野外实习,08:00,t");
    EXPECT_EQ(
        scalar(
            "SELECT forbidden_hours::text FROM pledges WHERE version = 1 ORDER BY id DESC LIMIT 1"),
        "{02:00-05:00,22:00-24:00}");
    EXPECT_EQ(scalar("SELECT value FROM settings WHERE key = 'timezone'"), "Asia/Shanghai");
}

TEST_F(FleetImportTest, ImportLinksTerminalsThatRegisteredBeforeTheirVehicleExisted) {
    scalar(
        "INSERT INTO terminals (phone_key, auth_code) VALUES ('13900000101', 'abc') RETURNING 1");
    import_fleet(conninfo(), demo_fleet());
    EXPECT_EQ(scalar("SELECT v.plate FROM terminals t JOIN vehicles v ON v.id = t.vehicle_id "
                     "WHERE t.phone_key = '13900000101'"),
              "苏AX0101");
}

}  // namespace
}  // namespace fleetwatch::storage
