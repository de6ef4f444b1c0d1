// terminal_alarm (RULES.md): one episode per alarm bit while it stays set (rising and falling
// edges; a latched bit repeated in every report is still one episode).
#include "fleetwatch/rules/engine.hpp"

#include <gtest/gtest.h>

#include "scenario.hpp"

namespace fleetwatch::rules::test {
namespace {

TEST(TerminalAlarm, SosIsOneCriticalEpisodeWhileTheBitIsSet) {
    Track t(kBus, local(9, 0));
    t.drive(1min, 30);
    t.alarm = 1u << 0;
    t.drive(30s, 30);
    t.alarm = 0;
    t.drive(1min, 30);
    Replay run;
    run.feed(t);
    const auto eps = run.of(ViolationType::terminal_alarm);
    ASSERT_EQ(eps.size(), 1u);
    EXPECT_EQ(eps[0].subtype, "sos");
    EXPECT_EQ(eps[0].severity, Severity::critical);
    EXPECT_EQ(eps[0].start, local(9, 1));
    EXPECT_EQ(eps[0].end, local(9, 1, 30));
}

TEST(TerminalAlarm, ALatchedBitRepeatedInEveryReportIsOneEpisode) {
    Track t(kBus, local(9, 0));
    t.alarm = 1u << 1;  // the terminal's own overspeed verdict, latched
    t.drive(10min, 30);
    Replay run;
    run.feed(t);
    const auto eps = run.of(ViolationType::terminal_alarm);
    ASSERT_EQ(eps.size(), 1u);
    EXPECT_EQ(eps[0].subtype, "overspeed");
    EXPECT_EQ(eps[0].severity, Severity::minor);
    EXPECT_TRUE(eps[0].is_open());
    // The platform's own overspeed verdict does not depend on the terminal's bit.
    EXPECT_TRUE(run.of(ViolationType::overspeed).empty());
}

TEST(TerminalAlarm, EachBitHasItsOwnEpisode) {
    Track t(kBus, local(9, 0));
    t.alarm = (1u << 29);
    t.drive(20s, 30);
    t.alarm = (1u << 29) | (1u << 30);
    t.drive(20s, 30);
    t.alarm = 0;
    t.drive(20s, 0);
    Replay run;
    run.feed(t);
    const auto eps = run.of(ViolationType::terminal_alarm);
    ASSERT_EQ(eps.size(), 2u);
    EXPECT_EQ(eps[0].subtype, "collision");
    EXPECT_EQ(eps[0].start, local(9, 0));
    EXPECT_EQ(eps[1].subtype, "rollover");
    EXPECT_EQ(eps[1].start, local(9, 0, 20));
    for (const auto& e : eps) {
        EXPECT_EQ(e.severity, Severity::critical);
        EXPECT_EQ(e.end, local(9, 0, 40));
    }
}

TEST(TerminalAlarm, AlarmsCountEvenWithoutAPositionFix) {
    Track t(kBus, local(9, 0));
    t.alarm = 1u << 0;
    t.drive(30s, 0);
    t.alarm = 0;
    t.drive(30s, 0);
    for (auto& p : t.fixes) p.valid = false;  // SOS in a tunnel
    Replay run;
    run.feed(t);
    EXPECT_EQ(run.of(ViolationType::terminal_alarm).size(), 1u);
}

}  // namespace
}  // namespace fleetwatch::rules::test
