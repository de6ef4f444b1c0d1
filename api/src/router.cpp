#include "fleetwatch/api/router.hpp"

#include <algorithm>
#include <cctype>
#include <stdexcept>

namespace fleetwatch::api {
namespace {

std::vector<std::string_view> split_path(std::string_view path) {
    std::vector<std::string_view> out;
    std::size_t start = 1;  // after the leading '/'
    while (start <= path.size()) {
        const auto slash = path.find('/', start);
        const auto end = slash == std::string_view::npos ? path.size() : slash;
        out.push_back(path.substr(start, end - start));
        if (slash == std::string_view::npos) break;
        start = slash + 1;
    }
    return out;
}

bool is_param(std::string_view segment) {
    return segment.size() > 2 && segment.front() == '{' && segment.back() == '}';
}

// "Bearer abc" -> "abc" (scheme case-insensitive).
std::optional<std::string_view> bearer_token(const Request& r) {
    const std::string* h = r.header("authorization");
    if (h == nullptr || h->size() <= 7) return std::nullopt;
    std::string scheme = h->substr(0, 7);
    std::transform(scheme.begin(), scheme.end(), scheme.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (scheme != "bearer ") return std::nullopt;
    std::string_view token = std::string_view(*h).substr(7);
    while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
    while (!token.empty() && token.back() == ' ') token.remove_suffix(1);
    if (token.empty()) return std::nullopt;
    return token;
}

}  // namespace

void Router::add(std::string method, std::string pattern, std::vector<Role> roles,
                 Handler handler) {
    if (pattern.empty() || pattern.front() != '/') {
        throw std::invalid_argument("route pattern must start with '/': " + pattern);
    }
    for (const auto& r : routes_) {
        if (r.info.method == method && r.info.pattern == pattern) {
            throw std::invalid_argument("duplicate route " + method + " " + pattern);
        }
    }
    Route route;
    for (const auto s : split_path(pattern)) route.segments.emplace_back(s);
    route.info = RouteInfo{std::move(method), std::move(pattern), std::move(roles)};
    route.handler = std::move(handler);
    routes_.push_back(std::move(route));
}

void Router::set_authenticator(Authenticator authenticator) {
    authenticator_ = std::move(authenticator);
}

void Router::set_static(Handler handler) { static_ = std::move(handler); }

bool Router::match(const Route& route, const std::vector<std::string_view>& path,
                   Request& request) {
    if (route.segments.size() != path.size()) return false;
    std::map<std::string, std::string, std::less<>> params;
    for (std::size_t i = 0; i < path.size(); ++i) {
        const std::string& seg = route.segments[i];
        if (is_param(seg)) {
            if (path[i].empty()) return false;
            params[seg.substr(1, seg.size() - 2)] = std::string(path[i]);
        } else if (seg != path[i]) {
            return false;
        }
    }
    request.params = std::move(params);
    return true;
}

Response Router::dispatch(Request& request) const {
    if (request.path.empty() || request.path.front() != '/') {
        return error_response(404, "not_found", "no such resource");
    }
    const auto path = split_path(request.path);
    const Route* found = nullptr;
    std::string allow;
    for (const auto& route : routes_) {
        if (!match(route, path, request)) continue;
        if (route.info.method == request.method) {
            found = &route;
            break;
        }
        allow += (allow.empty() ? "" : ", ") + route.info.method;
    }
    if (found == nullptr) {
        if (allow.empty() && static_ && request.method == "GET" && request.path != "/api" &&
            !request.path.starts_with("/api/")) {
            try {
                return static_(request);
            } catch (const ApiError& e) {
                return error_response(e);
            }
        }
        if (allow.empty()) return error_response(404, "not_found", "no such resource");
        Response r =
            error_response(405, "method_not_allowed",
                           request.method + " is not allowed here (allowed: " + allow + ")");
        r.headers.emplace_back("Allow", allow);
        return r;
    }
    match(*found, path, request);  // the params of the route chosen
    try {
        if (!found->info.roles.empty()) {
            const auto token = bearer_token(request);
            std::optional<Principal> who;
            if (token && authenticator_) who = authenticator_(*token);
            if (!who) {
                Response r =
                    error_response(401, "unauthenticated",
                                   "a valid token is required: Authorization: Bearer TOKEN "
                                   "(POST /api/v1/auth/login)");
                r.headers.emplace_back("WWW-Authenticate", "Bearer");
                return r;
            }
            request.principal = std::move(who);
            request.bearer_token = std::string(*token);
            const auto& roles = found->info.roles;
            if (std::find(roles.begin(), roles.end(), request.principal->role) == roles.end()) {
                return error_response(403, "forbidden",
                                      "the role " +
                                          std::string(to_string(request.principal->role)) +
                                          " may not do this");
            }
        }
        return found->handler(request);
    } catch (const ApiError& e) {
        return error_response(e);
    }
}

std::vector<RouteInfo> Router::routes() const {
    std::vector<RouteInfo> out;
    out.reserve(routes_.size());
    for (const auto& r : routes_) out.push_back(r.info);
    return out;
}

}  // namespace fleetwatch::api
