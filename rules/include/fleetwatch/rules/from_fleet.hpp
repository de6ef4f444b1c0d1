// Builds the engine's RuleConfig from a parsed fleet file (fleet::Fleet, already validated and
// in WGS-84). Kept out of fleetwatch::rules (target fleetwatch::rules_fleet) so the engine does
// not depend on the YAML model.
//
// Ids: the engine keys vehicles and drivers by database id; `ids` maps plates and license
// numbers to them (storage knows them after `fleet import`). Without a mapping, vehicles get
// 1, 2, ... and drivers 1, 2, ... in file order.
//
// Time: the fleet's zone must be a UTC+8 zone without daylight saving (Asia/Shanghai and the
// other Chinese zones); anything else is a problem. Pledge dates (YYYY-MM-DD) start and end at
// local midnight (valid_to inclusive). A trip with HH:MM times is a daily trip: one Trip per
// local day in [first_day, last_day]; a trip with RFC 3339 times is one Trip.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "fleetwatch/fleet/fleet.hpp"
#include "fleetwatch/rules/config.hpp"

namespace fleetwatch::rules {

struct FleetIds {
    std::function<std::optional<VehicleId>(const std::string& plate)> vehicle;
    std::function<std::optional<DriverId>(const std::string& license_no)> driver;
};

struct FromFleetResult {
    RuleConfig config;
    std::vector<std::string> problems;  // e.g. "trips[3]: vehicle 苏A1 has no id"
};

FromFleetResult from_fleet(const fleet::Fleet& fleet, const FleetIds& ids,
                           core::CivilTime first_day, core::CivilTime last_day);

}  // namespace fleetwatch::rules
