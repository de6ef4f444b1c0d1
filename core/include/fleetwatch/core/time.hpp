// Time vocabulary shared by every module.
//
// `Timestamp` is a UTC instant with one-second resolution (JT/T 808 times have no sub-second
// part). `CivilTime` is a calendar date and clock time with no zone attached; JT/T 808 carries
// them as BCD in GMT+8 (location reports) or UTC (0x8004), and the caller says which.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace fleetwatch::core {

using Timestamp = std::chrono::sys_seconds;

struct CivilTime {
    int year = 1970;   // full year, e.g. 2026
    int month = 1;     // 1-12
    int day = 1;       // 1-31
    int hour = 0;      // 0-23
    int minute = 0;    // 0-59
    int second = 0;    // 0-59

    friend bool operator==(const CivilTime&, const CivilTime&) = default;
};

// China Standard Time, the zone of every JT/T 808 location time.
inline constexpr std::chrono::seconds kChinaUtcOffset{8 * 3600};

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
constexpr std::int64_t days_from_civil(int year, int month, int day) noexcept {
    const int y = year - (month <= 2 ? 1 : 0);
    const int era = (y >= 0 ? y : y - 399) / 400;
    const int yoe = y - era * 400;
    const int mp = month + (month > 2 ? -3 : 9);
    const int doy = (153 * mp + 2) / 5 + day - 1;
    const int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return static_cast<std::int64_t>(era) * 146097 + doe - 719468;
}

constexpr bool is_leap_year(int year) noexcept {
    return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

constexpr int days_in_month(int year, int month) noexcept {
    constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (month < 1 || month > 12) return 0;
    return month == 2 && is_leap_year(year) ? 29 : kDays[month - 1];
}

// True when every field is in range (no leap seconds).
constexpr bool is_valid(const CivilTime& t) noexcept {
    return t.month >= 1 && t.month <= 12 && t.day >= 1 && t.day <= days_in_month(t.year, t.month) &&
           t.hour >= 0 && t.hour < 24 && t.minute >= 0 && t.minute < 60 && t.second >= 0 &&
           t.second < 60;
}

// The instant at which clocks at `utc_offset` show `local`. `local` must be valid.
constexpr Timestamp to_timestamp(const CivilTime& local, std::chrono::seconds utc_offset) noexcept {
    const std::int64_t secs = days_from_civil(local.year, local.month, local.day) * 86400 +
                              local.hour * 3600 + local.minute * 60 + local.second;
    return Timestamp{std::chrono::seconds{secs} - utc_offset};
}

// The calendar time that clocks at `utc_offset` show at `t`.
CivilTime to_civil(Timestamp t, std::chrono::seconds utc_offset = std::chrono::seconds{0});

// RFC 3339 in UTC with a `Z` suffix, e.g. `2026-03-10T01:02:03Z`.
std::string format_rfc3339(Timestamp t);

// Now, in whole seconds.
inline Timestamp utc_now() {
    return std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now());
}

// ---- parsing: the one place dates and times are read from text ------------------------------

// "YYYY-MM-DD" -> that date at 00:00:00; nullopt when malformed or not a calendar date.
std::optional<CivilTime> parse_date(std::string_view text) noexcept;

// "HH:MM" -> minutes since midnight (0..1439); "24:00" -> 1440 when `allow_24` (the end of a
// daily window).
std::optional<int> parse_clock(std::string_view text, bool allow_24 = false) noexcept;

// A date-time as people and programs write it: "YYYY-MM-DD" then `T`, `t` or a space, "HH:MM",
// optionally ":SS" and then ".fraction" (dropped), optionally a zone `Z`, `z` or "+HH:MM" /
// "-HH:MM". What was present is reported, so each caller decides how strict it is.
struct DateTimeText {
    CivilTime civil;                          // valid
    std::optional<std::chrono::seconds> offset;  // the zone, when the text had one
    bool t_separator = false;                 // `T` or `t` (not a space)
    bool has_seconds = false;
};
std::optional<DateTimeText> parse_date_time(std::string_view text) noexcept;

// The instant of a date-time text; one without a zone is local time at `local_offset`, or
// nullopt when no `local_offset` is given.
std::optional<Timestamp> parse_instant(std::string_view text,
                                       std::optional<std::chrono::seconds> local_offset =
                                           std::nullopt) noexcept;

// Strict RFC 3339 date-time (the HTTP API): `T`, seconds and a zone required.
std::optional<Timestamp> parse_rfc3339(std::string_view text) noexcept;

}  // namespace fleetwatch::core
