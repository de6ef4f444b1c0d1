// The fleet routes (vehicles create/delete, drivers, pledges, routes, zones, convoys, trips):
// api/src/fleet_routes.cpp says how a create is validated.
#pragma once

#include "route_support.hpp"

namespace fleetwatch::api {

// Adds the routes to `router`; `pool` must outlive the router's use.
void add_fleet_routes(Router& router, DbPool& pool);

}  // namespace fleetwatch::api
