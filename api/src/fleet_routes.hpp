// The fleet routes (vehicles create/delete, drivers, pledges, routes, zones, convoys, trips):
// api/src/fleet_routes.cpp says how a create is validated.
#pragma once

#include <functional>

#include "route_support.hpp"

namespace fleetwatch::api {

// Adds the routes to `router`; `pool` must outlive the router's use. `changed` runs after
// every fleet change that was stored (a create, change or delete).
void add_fleet_routes(Router& router, DbPool& pool, std::function<void()> changed = {});

}  // namespace fleetwatch::api
