// Routes: method + path pattern ("/api/v1/vehicles/{id}") -> handler, with the roles that may
// call it. Matching is segment by segment; `{name}` matches one non-empty segment and lands in
// Request::params.
//
// dispatch() answers, in this order: 404 `not_found` (no pattern matches the path), 405
// `method_not_allowed` with Allow (a pattern matches, the method does not), 401
// `unauthenticated` (a protected route without a valid `Authorization: Bearer` token), 403
// `forbidden` (the caller's role is not among the route's), else the handler's response.
// ApiError from the authenticator or the handler becomes its error response; any other
// exception propagates to the caller (the server's one barrier per request: 500).
//
// Thread-safety: add routes and set the authenticator before serving; dispatch() is const and
// may run on many threads.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "fleetwatch/api/http.hpp"

namespace fleetwatch::api {

using Handler = std::function<Response(Request&)>;
// Bearer token -> caller; nullopt for an unknown or expired token. May throw ApiError (503).
using Authenticator = std::function<std::optional<Principal>(std::string_view token)>;

inline const std::vector<Role> kAllRoles{Role::admin, Role::dispatcher, Role::manager,
                                         Role::leader};

struct RouteInfo {
    std::string method;
    std::string pattern;
    std::vector<Role> roles;  // empty: public (no token)
};

class Router {
  public:
    // `roles` empty = public. Throws std::invalid_argument for a malformed pattern or a
    // duplicate method + pattern.
    void add(std::string method, std::string pattern, std::vector<Role> roles, Handler handler);
    void set_authenticator(Authenticator authenticator);
    // Answers a GET that no route matches and whose path is not under /api/ (the dashboard's
    // files); without one such a request is 404 like any other.
    void set_static(Handler handler);

    Response dispatch(Request& request) const;

    // Every route, in the order added (for docs/openapi.yaml's test).
    std::vector<RouteInfo> routes() const;

  private:
    struct Route {
        RouteInfo info;
        std::vector<std::string> segments;  // "{id}" kept as is
        Handler handler;
    };
    static bool match(const Route& route, const std::vector<std::string_view>& path,
                      Request& request);

    std::vector<Route> routes_;
    Authenticator authenticator_;
    Handler static_;
};

}  // namespace fleetwatch::api
