#include "fleetwatch/sim/scenario.hpp"

#include <gtest/gtest.h>

namespace fleetwatch::sim {
namespace {

fleet::Fleet demo() {
    const auto r = fleet::parse_fleet_file(std::string(FLEETWATCH_SOURCE_DIR) + "/deploy/demo-fleet.yaml");
    EXPECT_TRUE(r.fleet) << (r.problems.empty() ? std::string() : r.problems.front().to_string());
    return r.fleet.value_or(fleet::Fleet{});
}

const TerminalSpec* find(const BuildResult& b, std::string_view plate) {
    for (const auto& t : b.terminals) {
        if (t.identity.plate == plate) return &t;
    }
    return nullptr;
}

TEST(BuildTerminals, TheDemoFleetGivesOneTerminalPerSimulationEntry) {
    const BuildResult b = build_terminals(demo(), {});
    ASSERT_TRUE(b.problems.empty()) << b.problems.front();
    ASSERT_EQ(b.terminals.size(), 6u);
    const TerminalSpec* shuttle = find(b, "苏AX0101");
    ASSERT_NE(shuttle, nullptr);
    EXPECT_EQ(shuttle->identity.phone_key, "13900000101");
    EXPECT_EQ(shuttle->identity.dialect, jt808::Dialect::v2013);
    EXPECT_TRUE(shuttle->drive.loop);
    EXPECT_EQ(shuttle->drive.cruise_kmh, 18);
    EXPECT_TRUE(shuttle->route->closed());
}

TEST(BuildTerminals, ProtocolAndCardComeFromTheTerminalEntry) {
    const BuildResult b = build_terminals(demo(), {});
    const TerminalSpec* school_bus = find(b, "苏AS0201");
    ASSERT_NE(school_bus, nullptr);
    EXPECT_EQ(school_bus->identity.dialect, jt808::Dialect::v2019);
    ASSERT_TRUE(school_bus->card);
    EXPECT_EQ(school_bus->card->name, "陈秀英");
    EXPECT_EQ(school_bus->card->certificate_no, "QC320100000003");
}

TEST(BuildTerminals, MisbehaviourWindowsAreInSimulatedSeconds) {
    const BuildResult b = build_terminals(demo(), {});
    const TerminalSpec* straggler = find(b, "苏AF0303");
    ASSERT_NE(straggler, nullptr);
    EXPECT_EQ(straggler->drive.start_delay_s, 60);
    ASSERT_EQ(straggler->drive.misbehaviour.size(), 3u);
    const Misbehaviour& leave = straggler->drive.misbehaviour[0];
    EXPECT_EQ(leave.kind, Misbehaviour::Kind::leave_route);
    EXPECT_EQ(leave.start_s, 600);
    EXPECT_EQ(leave.end_s, 780);
    EXPECT_EQ(leave.offset_m, 400);
    EXPECT_EQ(straggler->drive.misbehaviour[2].kind, Misbehaviour::Kind::blind_zone);
    // The commuter line is drawn in GCJ-02; the fleet parser converted it, so its first point is
    // a few hundred metres from the numbers in the file.
    const TerminalSpec* commuter = find(b, "苏AX0102");
    ASSERT_NE(commuter, nullptr);
    EXPECT_NE(commuter->route->points().front().lon, 118.963716);
}

TEST(BuildTerminals, OnlyKeepsTheNamedPlates) {
    BuildOptions o;
    o.only_plates = {"苏AF0301", "苏AF0302"};
    const BuildResult b = build_terminals(demo(), o);
    ASSERT_TRUE(b.problems.empty());
    ASSERT_EQ(b.terminals.size(), 2u);
    EXPECT_EQ(b.terminals[0].identity.plate, "苏AF0301");
}

TEST(BuildTerminals, NamesAnUnknownOnlyPlate) {
    BuildOptions o;
    o.only_plates = {"苏A99999"};
    const BuildResult b = build_terminals(demo(), o);
    ASSERT_EQ(b.problems.size(), 1u);
    EXPECT_NE(b.problems[0].find("苏A99999"), std::string::npos);
}

TEST(BuildTerminals, AFleetWithoutASimulationSectionIsAProblem) {
    fleet::Fleet f = demo();
    f.simulation.reset();
    EXPECT_FALSE(build_terminals(f, {}).problems.empty());
}

}  // namespace
}  // namespace fleetwatch::sim
