#include "fleetwatch/fleet/fleet.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "parse.hpp"

namespace fleetwatch::fleet {

std::string_view to_string(VehicleClass c) noexcept {
    switch (c) {
        case VehicleClass::school_bus:
            return "school_bus";
        case VehicleClass::bus:
            return "bus";
        case VehicleClass::car:
            return "car";
        case VehicleClass::truck:
            return "truck";
        case VehicleClass::other:
            return "other";
    }
    return "other";
}

std::string FleetProblem::to_string() const {
    std::string s = file + ":" + std::to_string(line) + ": ";
    if (!field.empty()) s += field + ": ";
    return s + message;
}

std::string phone_key(std::string_view phone) {
    const auto first = phone.find_first_not_of('0');
    if (first == std::string_view::npos) return phone.empty() ? std::string() : std::string("0");
    return std::string(phone.substr(first));
}

FleetParseResult parse_fleet_text(const std::string& text, const std::string& name) {
    detail::Reader reader(name);
    FleetParseResult result;
    YAML::Node root;
    try {
        root = YAML::Load(text);
    } catch (const YAML::Exception& e) {
        // yaml-cpp marks are 0-based.
        reader.problem(e.mark.is_null() ? 0 : e.mark.line + 1, "", "not valid YAML: " + e.msg);
        result.problems = reader.take_problems();
        return result;
    }
    Fleet fleet;
    detail::read_fleet(reader, root, fleet);
    detail::validate_fleet(reader, fleet);
    if (reader.has_problems()) {
        result.problems = reader.take_problems();
        std::stable_sort(
            result.problems.begin(), result.problems.end(),
            [](const FleetProblem& a, const FleetProblem& b) { return a.line < b.line; });
    } else {
        result.fleet = std::move(fleet);
    }
    return result;
}

FleetParseResult parse_fleet_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        FleetParseResult result;
        result.problems.push_back(FleetProblem{path, 0, "", "cannot open the file"});
        return result;
    }
    std::ostringstream text;
    text << in.rdbuf();
    return parse_fleet_text(text.str(), path);
}

}  // namespace fleetwatch::fleet
