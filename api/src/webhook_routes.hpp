// The webhook routes (docs/api.md "Webhooks"): create, list, read, change and delete webhooks,
// and list a webhook's deliveries with their status. Admin only: a webhook sends violation
// data (plates, drivers' names, places) to a URL outside, and its secret signs what we send.
#pragma once

#include "route_support.hpp"

namespace fleetwatch::api {

// Adds the routes to `router`; `pool` must outlive the router's use.
void add_webhook_routes(Router& router, DbPool& pool);

}  // namespace fleetwatch::api
