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

}  // namespace
}  // namespace fleetwatch::core
