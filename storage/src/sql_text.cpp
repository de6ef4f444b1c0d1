#include "sql_text.hpp"

#include <cstdio>
#include <cstdlib>

namespace fleetwatch::storage::detail {

std::string text_array(const std::vector<std::string>& items) {
    std::string out = "{";
    for (std::size_t i = 0; i < items.size(); ++i) {
        if (i > 0) out += ',';
        out += '"';
        for (const char c : items[i]) {
            if (c == '"' || c == '\\') out += '\\';
            out += c;
        }
        out += '"';
    }
    return out + "}";
}

std::string degrees(std::int32_t e6) {
    const long long v = e6;
    const long long a = std::llabs(v);
    char buf[32];
    std::snprintf(buf, sizeof buf, "%s%lld.%06lld", v < 0 ? "-" : "", a / 1000000, a % 1000000);
    return buf;
}

std::string wkt_coordinate(core::GeoPoint p) { return degrees(p.lon_e6) + " " + degrees(p.lat_e6); }

}  // namespace fleetwatch::storage::detail
