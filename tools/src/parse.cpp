#include "fleetwatch/sim/parse.hpp"

#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdlib>

namespace fleetwatch::sim {

std::optional<std::chrono::milliseconds> parse_duration(std::string_view text) {
    if (text.empty()) return std::nullopt;
    double total_ms = 0;
    std::size_t i = 0;
    bool any = false;
    while (i < text.size()) {
        std::size_t j = i;
        while (j < text.size() && (std::isdigit(static_cast<unsigned char>(text[j])) || text[j] == '.')) ++j;
        if (j == i) return std::nullopt;
        const std::string number(text.substr(i, j - i));
        char* end = nullptr;
        const double v = std::strtod(number.c_str(), &end);
        if (end != number.c_str() + number.size() || !std::isfinite(v)) return std::nullopt;
        std::size_t k = j;
        while (k < text.size() && std::isalpha(static_cast<unsigned char>(text[k]))) ++k;
        const std::string_view unit = text.substr(j, k - j);
        double scale = 0;
        if (unit.empty() || unit == "s") scale = 1000;
        else if (unit == "ms") scale = 1;
        else if (unit == "m" || unit == "min") scale = 60'000;
        else if (unit == "h") scale = 3'600'000;
        else return std::nullopt;
        if (unit.empty() && (i != 0 || k != text.size())) return std::nullopt;  // "90" only alone
        total_ms += v * scale;
        any = true;
        i = k;
    }
    if (!any) return std::nullopt;
    return std::chrono::milliseconds{static_cast<std::int64_t>(std::llround(total_ms))};
}


}  // namespace fleetwatch::sim
