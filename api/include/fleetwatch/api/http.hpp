// The vocabulary of fleetwatch's HTTP API, without Beast in it: a parsed request as a handler
// sees it, the response it returns, the error it throws, roles and the authenticated caller.
//
// Errors (API.md): `{"error":{"code":"snake_case","message":"human sentence","field":"..."}}`.
// A handler reports a client error by throwing ApiError; the router turns it into that shape.
// Anything else a handler throws is a 500 with the same shape (the server's barrier).
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace fleetwatch::api {

// API.md's four roles.
enum class Role : std::uint8_t { admin, dispatcher, manager, leader };
std::optional<Role> parse_role(std::string_view text) noexcept;
std::string_view to_string(Role role) noexcept;

// The caller, once its bearer token checked out.
struct Principal {
    std::int64_t user_id = 0;
    std::string username;
    Role role = Role::leader;
};

// A client error (4xx) or an unavailable dependency (503) with API.md's error shape.
class ApiError : public std::runtime_error {
  public:
    ApiError(int status, std::string code, const std::string& message, std::string field = {});
    int status() const noexcept { return status_; }
    const std::string& code() const noexcept { return code_; }
    const std::string& field() const noexcept { return field_; }
    // Seconds for a Retry-After header (429, 503); 0 = none.
    ApiError& retry_after(std::chrono::seconds s) {
        retry_after_ = s;
        return *this;
    }
    std::chrono::seconds retry_after() const noexcept { return retry_after_; }

  private:
    int status_;
    std::string code_;
    std::string field_;
    std::chrono::seconds retry_after_{0};
};

struct Request {
    std::string method;  // "GET", "POST", ...
    std::string target;  // as sent: path and query
    std::string path;    // target without the query, percent-decoded
    std::map<std::string, std::string, std::less<>> query;    // decoded; last value wins
    std::map<std::string, std::string, std::less<>> params;   // from {name} in the route pattern
    std::map<std::string, std::string, std::less<>> headers;  // names lower-case
    std::string body;
    std::string remote_address;          // peer IP, no port
    std::optional<Principal> principal;  // set by the router on authenticated routes
    std::string bearer_token;            // the token that authenticated it (same routes)

    const std::string* header(std::string_view lower_name) const;
    const std::string* query_param(std::string_view name) const;
    // The body as JSON. Throws ApiError 400 `bad_json` when it does not parse, and 400
    // `bad_json` when it is not an object.
    nlohmann::json json_object() const;
    // A path parameter as a positive integer; anything else is 404 `not_found`.
    std::int64_t id_param(std::string_view name) const;
    // The caller (authenticated routes only; a logic error otherwise).
    const Principal& caller() const;
};

struct Response {
    int status = 200;
    std::string content_type = "application/json";
    std::string body;
    std::vector<std::pair<std::string, std::string>> headers;  // extra headers
};

Response json_response(const nlohmann::json& body, int status = 200);
Response error_response(int status, std::string_view code, std::string_view message,
                        std::string_view field = {});
Response error_response(const ApiError& e);

// "a%20b" -> "a b" ('+' stays '+', as in a path); nullopt for a bad escape.
std::optional<std::string> percent_decode(std::string_view text, bool plus_is_space = false);
// Splits "path?a=1&b=2" into a decoded path and query map. False for a bad escape.
bool split_target(std::string_view target, std::string& path,
                  std::map<std::string, std::string, std::less<>>& query);

}  // namespace fleetwatch::api
