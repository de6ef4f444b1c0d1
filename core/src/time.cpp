#include "fleetwatch/core/time.hpp"

#include <cstdio>

namespace fleetwatch::core {

CivilTime to_civil(Timestamp t, std::chrono::seconds utc_offset) {
    const std::int64_t secs = (t.time_since_epoch() + utc_offset).count();
    std::int64_t days = secs / 86400;
    std::int64_t rem = secs % 86400;
    if (rem < 0) {
        rem += 86400;
        --days;
    }
    // Inverse of days_from_civil (H. Hinnant's civil_from_days).
    const std::int64_t z = days + 719468;
    const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const std::int64_t doe = z - era * 146097;
    const std::int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const std::int64_t mp = (5 * doy + 2) / 153;
    const std::int64_t day = doy - (153 * mp + 2) / 5 + 1;
    const std::int64_t month = mp < 10 ? mp + 3 : mp - 9;
    const std::int64_t year = yoe + era * 400 + (month <= 2 ? 1 : 0);
    return CivilTime{static_cast<int>(year), static_cast<int>(month), static_cast<int>(day),
                     static_cast<int>(rem / 3600), static_cast<int>(rem % 3600 / 60),
                     static_cast<int>(rem % 60)};
}

std::string format_rfc3339(Timestamp t) {
    const CivilTime c = to_civil(t);
    char buf[32];
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02dZ", c.year, c.month, c.day, c.hour,
                  c.minute, c.second);
    return buf;
}

namespace {

// `len` decimal digits at `at`, or -1.
int digits(std::string_view s, std::size_t at, std::size_t len) noexcept {
    if (at + len > s.size()) return -1;
    int v = 0;
    for (std::size_t i = at; i < at + len; ++i) {
        if (s[i] < '0' || s[i] > '9') return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

}  // namespace

std::optional<CivilTime> parse_date(std::string_view text) noexcept {
    if (text.size() != 10 || text[4] != '-' || text[7] != '-') return std::nullopt;
    const CivilTime c{digits(text, 0, 4), digits(text, 5, 2), digits(text, 8, 2), 0, 0, 0};
    if (c.year < 0 || !is_valid(c)) return std::nullopt;
    return c;
}

std::optional<int> parse_clock(std::string_view text, bool allow_24) noexcept {
    if (text.size() != 5 || text[2] != ':') return std::nullopt;
    const int h = digits(text, 0, 2);
    const int m = digits(text, 3, 2);
    if (h < 0 || m < 0 || m > 59) return std::nullopt;
    if (h == 24 && m == 0 && allow_24) return 24 * 60;
    if (h > 23) return std::nullopt;
    return h * 60 + m;
}

std::optional<DateTimeText> parse_date_time(std::string_view s) noexcept {
    if (s.size() < 16) return std::nullopt;
    const auto date = parse_date(s.substr(0, 10));
    const char sep = s[10];
    const auto clock = parse_clock(s.substr(11, 5));
    if (!date || !clock || (sep != 'T' && sep != 't' && sep != ' ')) return std::nullopt;
    DateTimeText out;
    out.civil = *date;
    out.civil.hour = *clock / 60;
    out.civil.minute = *clock % 60;
    out.t_separator = sep != ' ';
    std::size_t at = 16;
    if (at < s.size() && s[at] == ':') {
        out.civil.second = digits(s, at + 1, 2);
        if (out.civil.second < 0 || out.civil.second > 59) return std::nullopt;
        out.has_seconds = true;
        at += 3;
        if (at < s.size() && s[at] == '.') {
            const std::size_t start = ++at;
            while (at < s.size() && s[at] >= '0' && s[at] <= '9') ++at;
            if (at == start) return std::nullopt;
        }
    }
    const std::string_view zone = s.substr(at);
    if (zone == "Z" || zone == "z") {
        out.offset = std::chrono::seconds{0};
    } else if (zone.size() == 6 && (zone[0] == '+' || zone[0] == '-') && zone[3] == ':') {
        const int h = digits(zone, 1, 2);
        const int m = digits(zone, 4, 2);
        if (h < 0 || h > 23 || m < 0 || m > 59) return std::nullopt;
        out.offset = std::chrono::seconds{(zone[0] == '-' ? -1 : 1) * (h * 3600 + m * 60)};
    } else if (!zone.empty()) {
        return std::nullopt;
    }
    return out;
}

std::optional<Timestamp> parse_instant(std::string_view text,
                                       std::optional<std::chrono::seconds> local_offset) noexcept {
    const auto t = parse_date_time(text);
    if (!t) return std::nullopt;
    const auto offset = t->offset ? t->offset : local_offset;
    if (!offset) return std::nullopt;
    return to_timestamp(t->civil, *offset);
}

std::optional<Timestamp> parse_rfc3339(std::string_view text) noexcept {
    const auto t = parse_date_time(text);
    if (!t || !t->t_separator || !t->has_seconds || !t->offset) return std::nullopt;
    return to_timestamp(t->civil, *t->offset);
}

}  // namespace fleetwatch::core
