#include "fleetwatch/core/time.hpp"

#include <gtest/gtest.h>

namespace fleetwatch::core {
namespace {

TEST(CivilTime, RoundTripsThroughTimestampAcrossYearsAndOffsets) {
    for (int year : {1999, 2000, 2019, 2024, 2026, 2099}) {
        for (int month = 1; month <= 12; ++month) {
            const CivilTime c{year, month, days_in_month(year, month), 23, 59, 58};
            ASSERT_TRUE(is_valid(c));
            EXPECT_EQ(to_civil(to_timestamp(c, kChinaUtcOffset), kChinaUtcOffset), c);
        }
    }
}

TEST(CivilTime, ChinaTimeIsEightHoursAheadOfUtc) {
    const CivilTime beijing{2026, 3, 10, 9, 2, 3};
    EXPECT_EQ(format_rfc3339(to_timestamp(beijing, kChinaUtcOffset)), "2026-03-10T01:02:03Z");
    const CivilTime past_midnight{2026, 1, 1, 7, 0, 0};
    EXPECT_EQ(format_rfc3339(to_timestamp(past_midnight, kChinaUtcOffset)), "2025-12-31T23:00:00Z");
}

TEST(CivilTime, RejectsImpossibleDates) {
    EXPECT_FALSE(is_valid(CivilTime{2026, 2, 29, 0, 0, 0}));
    EXPECT_TRUE(is_valid(CivilTime{2024, 2, 29, 0, 0, 0}));
    EXPECT_FALSE(is_valid(CivilTime{2026, 13, 1, 0, 0, 0}));
    EXPECT_FALSE(is_valid(CivilTime{2026, 0, 1, 0, 0, 0}));
    EXPECT_FALSE(is_valid(CivilTime{2026, 1, 1, 24, 0, 0}));
    EXPECT_FALSE(is_valid(CivilTime{2026, 1, 1, 0, 60, 0}));
    EXPECT_FALSE(is_valid(CivilTime{2000, 0, 0, 0, 0, 0}));
}

TEST(CivilTime, EpochIsDayZero) {
    EXPECT_EQ(days_from_civil(1970, 1, 1), 0);
    EXPECT_EQ(format_rfc3339(Timestamp{}), "1970-01-01T00:00:00Z");
}

// ---- parsing ---------------------------------------------------------------------------------

TEST(ParseDate, ReadsRealCalendarDatesOnly) {
    EXPECT_EQ(parse_date("2024-02-29"), (CivilTime{2024, 2, 29, 0, 0, 0}));
    EXPECT_FALSE(parse_date("2026-02-29"));
    EXPECT_FALSE(parse_date("2026-13-01"));
    EXPECT_FALSE(parse_date("2026-3-01"));
    EXPECT_FALSE(parse_date("2026-03-01x"));
    EXPECT_FALSE(parse_date("2026/03/01"));
}

TEST(ParseClock, ReadsHoursAndMinutesAnd2400OnlyWhenAllowed) {
    EXPECT_EQ(parse_clock("00:00"), 0);
    EXPECT_EQ(parse_clock("22:05"), 22 * 60 + 5);
    EXPECT_FALSE(parse_clock("24:00"));
    EXPECT_EQ(parse_clock("24:00", true), 24 * 60);
    EXPECT_FALSE(parse_clock("24:59", true));
    EXPECT_FALSE(parse_clock("23:60"));
    EXPECT_FALSE(parse_clock("7:00"));
}

TEST(ParseDateTime, ReportsWhatTheTextHad) {
    const auto a = parse_date_time("2026-03-10 09:02");
    ASSERT_TRUE(a);
    EXPECT_EQ(a->civil, (CivilTime{2026, 3, 10, 9, 2, 0}));
    EXPECT_FALSE(a->offset);
    EXPECT_FALSE(a->t_separator);
    EXPECT_FALSE(a->has_seconds);
    const auto b = parse_date_time("2026-03-10t09:02:03.25-02:30");
    ASSERT_TRUE(b);
    EXPECT_EQ(b->civil, (CivilTime{2026, 3, 10, 9, 2, 3}));
    EXPECT_EQ(b->offset, std::chrono::seconds{-(2 * 3600 + 30 * 60)});
    EXPECT_TRUE(b->t_separator);
    EXPECT_TRUE(b->has_seconds);
    for (const char* bad : {"2026-03-10T09:02:03+08:00x", "2026-03-10T09:02:03+0800",
                            "2026-03-10T09:02:03.Z", "2026-03-10T09:02:61Z", "2026-03-10T24:00Z",
                            "2026-03-10X09:02Z", "2026-03-10T09:02:03+24:00", "yesterday"}) {
        EXPECT_FALSE(parse_date_time(bad)) << bad;
    }
}

TEST(ParseInstant, ZoneFromTheTextElseTheLocalOffsetElseNothing) {
    const Timestamp z = to_timestamp(CivilTime{2026, 3, 10, 1, 2, 3}, std::chrono::seconds{0});
    EXPECT_EQ(parse_instant("2026-03-10T01:02:03Z"), z);
    EXPECT_EQ(parse_instant("2026-03-10T09:02:03+08:00"), z);
    EXPECT_EQ(parse_instant("2026-03-10 09:02:03", kChinaUtcOffset), z);
    EXPECT_EQ(parse_instant("2026-03-10T09:02:03+08:00", std::chrono::seconds{0}), z);
    EXPECT_FALSE(parse_instant("2026-03-10T09:02:03"));
    EXPECT_EQ(format_rfc3339(*parse_instant("2026-03-10T01:02Z")), "2026-03-10T01:02:00Z");
}

TEST(ParseRfc3339, NeedsTheSeparatorTSecondsAndAZone) {
    const auto z = parse_rfc3339("2026-03-10T01:02:03Z");
    ASSERT_TRUE(z);
    EXPECT_EQ(format_rfc3339(*z), "2026-03-10T01:02:03Z");
    EXPECT_EQ(parse_rfc3339("2026-03-10T09:02:03+08:00"), z);
    EXPECT_EQ(parse_rfc3339("2026-03-10T01:02:03.999Z"), z);
    EXPECT_EQ(parse_rfc3339("2026-03-09T23:02:03-02:00"), z);
    EXPECT_FALSE(parse_rfc3339("2026-03-10 01:02:03Z"));
    EXPECT_FALSE(parse_rfc3339("2026-03-10T01:02Z"));
    EXPECT_FALSE(parse_rfc3339("2026-02-30T01:02:03Z"));
    EXPECT_FALSE(parse_rfc3339("2026-03-10T01:02:03"));
    EXPECT_FALSE(parse_rfc3339("yesterday"));
}

}  // namespace
}  // namespace fleetwatch::core
