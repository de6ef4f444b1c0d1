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

}  // namespace fleetwatch::core
