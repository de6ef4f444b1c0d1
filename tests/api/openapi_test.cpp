// docs/openapi.yaml against the server's route table: every documented route exists, every
// route is documented, and each route's roles are the documented x-roles.
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <set>

#include "fleetwatch/api/endpoints.hpp"
#include "fleetwatch/api/live.hpp"
#include "fleetwatch/api/router.hpp"

namespace fleetwatch::api {
namespace {

std::string lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return s;
}

TEST(OpenApi, DocumentsExactlyTheRoutesTheServerHasWithTheirRoles) {
    Router router;
    Endpoints endpoints("", EndpointOptions{});  // no database needed to list routes
    endpoints.add_routes(router);
    add_live_route(router);  // as app::Service does

    const YAML::Node doc =
        YAML::LoadFile(std::string(FLEETWATCH_SOURCE_DIR) + "/docs/openapi.yaml");
    static const std::set<std::string> kMethods{"get",   "put",  "post",   "delete",
                                                "patch", "head", "options"};
    std::map<std::string, std::set<std::string>> documented;  // "GET /path" -> roles
    for (const auto& path : doc["paths"]) {
        for (const auto& op : path.second) {
            const std::string method = op.first.as<std::string>();
            if (kMethods.count(method) == 0) continue;
            std::string upper = method;
            std::transform(upper.begin(), upper.end(), upper.begin(),
                           [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
            std::set<std::string> roles;
            ASSERT_TRUE(op.second["x-roles"])
                << upper << " " << path.first.as<std::string>() << " has no x-roles";
            for (const auto& r : op.second["x-roles"]) roles.insert(r.as<std::string>());
            documented[upper + " " + path.first.as<std::string>()] = roles;
        }
    }
    std::map<std::string, std::set<std::string>> served;
    for (const auto& r : router.routes()) {
        std::set<std::string> roles;
        for (const auto role : r.roles) roles.insert(std::string(to_string(role)));
        served[r.method + " " + r.pattern] = roles;
    }
    for (const auto& [route, roles] : served) {
        ASSERT_TRUE(documented.count(route)) << route << " is not in docs/openapi.yaml";
        EXPECT_EQ(documented[route], roles) << route << ": x-roles differ from the server's";
    }
    for (const auto& [route, roles] : documented) {
        EXPECT_TRUE(served.count(route))
            << route << " is documented but the server has no such route";
    }
    EXPECT_EQ(lower(doc["openapi"].as<std::string>()).substr(0, 2), "3.");
}

}  // namespace
}  // namespace fleetwatch::api
