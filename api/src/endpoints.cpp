#include "fleetwatch/api/endpoints.hpp"

#include <spdlog/spdlog.h>

#include <array>
#include <charconv>
#include <mutex>
#include <nlohmann/json.hpp>
#include <vector>

#include "fleetwatch/api/router.hpp"
#include "fleet_routes.hpp"
#include "route_support.hpp"
#include "webhook_routes.hpp"
#include "fleetwatch/api/terminal_link.hpp"
#include "fleetwatch/core/time.hpp"
#include "fleetwatch/storage/database.hpp"
#include "fleetwatch/storage/users.hpp"
#include "fleetwatch/storage/vehicle_queries.hpp"
#include "fleetwatch/storage/violation_queries.hpp"
#include "fleetwatch/storage/violations.hpp"
#include "fleetwatch/webhooks/format.hpp"

namespace fleetwatch::api {

using nlohmann::json;

namespace {

json to_json(const storage::PositionRow& p) {
    return json{{"time", core::format_rfc3339(p.time)},
                {"lat", p.lat},
                {"lon", p.lon},
                {"speed_kmh", p.speed_kmh},
                {"direction", p.direction},
                {"altitude_m", p.altitude_m},
                {"alarm", p.alarm},
                {"status", p.status},
                {"valid", p.valid},
                {"mileage_km", p.mileage_km ? json(*p.mileage_km) : json(nullptr)}};
}


constexpr std::size_t kMaxNoteBytes = 4000;

// API.md's violation object: the same as a webhook's `data` (push/webhooks).
json to_json(const storage::ViolationRow& v) { return webhooks::violation_json(v); }

json to_json(const storage::ViolationAuditRow& a) {
    json detail = json::parse(a.detail_json, nullptr, false);
    if (!detail.is_object()) detail = json::object();
    return json{{"id", a.id},       {"at", core::format_rfc3339(a.at)}, {"actor", a.actor},
                {"role", a.role},   {"action", a.action},              {"note", a.note},
                {"detail", std::move(detail)}};
}

}  // namespace

// ---- the routes -------------------------------------------------------------------------------

Endpoints::Endpoints(std::string conninfo, EndpointOptions options)
    : pool_(std::make_unique<DbPool>(std::move(conninfo))),
      options_(options),
      limiter_(options.login_max_failures, options.login_window) {}

Endpoints::~Endpoints() = default;

void Endpoints::add_routes(Router& router) {
    const auto bind = [this](Response (Endpoints::*fn)(Request&)) {
        return [this, fn](Request& r) { return (this->*fn)(r); };
    };
    router.add("GET", "/api/v1/health", {}, bind(&Endpoints::health));
    router.add("POST", "/api/v1/auth/login", {}, bind(&Endpoints::login));
    router.add("POST", "/api/v1/auth/logout", kAllRoles, bind(&Endpoints::logout));
    router.add("GET", "/api/v1/me", kAllRoles, bind(&Endpoints::me));
    router.add("GET", "/api/v1/users", {Role::admin}, bind(&Endpoints::users));
    router.add("GET", "/api/v1/vehicles", kAllRoles, bind(&Endpoints::vehicles));
    router.add("GET", "/api/v1/vehicles/{id}", kAllRoles, bind(&Endpoints::vehicle));
    router.add("GET", "/api/v1/vehicles/{id}/positions", kAllRoles, bind(&Endpoints::positions));
    router.add("POST", "/api/v1/vehicles/{id}/text", {Role::admin, Role::dispatcher},
               bind(&Endpoints::vehicle_text));
    router.add("GET", "/api/v1/vehicles/{id}/track", kAllRoles, bind(&Endpoints::track));
    router.add("GET", "/api/v1/live/vehicles", kAllRoles, bind(&Endpoints::live_vehicles));
    router.add("GET", "/api/v1/violations", kAllRoles, bind(&Endpoints::violations));
    router.add("GET", "/api/v1/violations/{id}", kAllRoles, bind(&Endpoints::violation));
    router.add("POST", "/api/v1/violations/{id}/actions", kAllRoles,
               bind(&Endpoints::violation_action));
    add_fleet_routes(router, *pool_, [this] {
        if (fleet_changed_) fleet_changed_();
    });
    add_webhook_routes(router, *pool_);
    router.set_authenticator([this](std::string_view token) { return authenticate(token); });
}

std::optional<Principal> Endpoints::authenticate(std::string_view token) {
    if (token.size() > 256) return std::nullopt;
    const std::string hash = token_sha256(token);
    const auto user = pool_->with(
        [&](storage::Connection& c) { return storage::find_token_user(c, hash, core::utc_now()); });
    if (!user) return std::nullopt;
    const auto role = parse_role(user->role);
    if (!role) return std::nullopt;
    return Principal{user->id, user->username, *role};
}

Response Endpoints::health(Request&) {
    bool database = false;
    try {
        pool_->with([](storage::Connection& c) { storage::query_text(c, "SELECT 1"); });
        database = true;
    } catch (const std::exception&) {
        database = false;
    }
    return json_response(json{{"status", "ok"}, {"database", database}});
}

Response Endpoints::login(Request& r) {
    const json body = r.json_object();
    const auto field = [&](const char* name) -> std::string {
        const auto it = body.find(name);
        if (it == body.end() || !it->is_string()) {
            throw ApiError(400, "invalid_parameter", std::string(name) + " must be a string", name);
        }
        return it->get<std::string>();
    };
    const std::string username = field("username");
    const std::string password = field("password");
    if (username.size() > 256 || password.size() > 1024) {
        throw ApiError(400, "invalid_parameter", "username or password too long",
                       username.size() > 256 ? "username" : "password");
    }
    // Only a name that could be a user reaches the log (a peer's bytes could forge log lines);
    // refusals while blocked are debug: a brute force would otherwise write one line per try.
    const std::string_view shown = valid_username(username) ? std::string_view{username}
                                                            : std::string_view{"(invalid name)"};
    if (const auto wait = limiter_.blocked_for(username, r.remote_address)) {
        spdlog::debug("api: login for '{}' from {} refused: too many failures", shown,
                      r.remote_address);
        throw ApiError(
            429, "too_many_attempts",
            "too many failed logins; try again in " + std::to_string(wait->count()) + " s")
            .retry_after(*wait);
    }
    std::optional<storage::User> user;
    if (valid_username(username)) {
        user = pool_->with([&](storage::Connection& c) { return storage::find_user(c, username); });
    }
    const bool ok = user && !user->disabled && verify_password(user->password_hash, password);
    if (!user) burn_password_verification(password);
    if (!ok) {
        limiter_.record_failure(username, r.remote_address);
        spdlog::info("api: failed login for '{}' from {}", shown, r.remote_address);
        throw ApiError(401, "bad_credentials", "wrong username or password");
    }
    limiter_.record_success(username);
    const std::string token = new_token();
    const core::Timestamp expires = core::utc_now() + options_.token_ttl;
    pool_->with([&](storage::Connection& c) {
        storage::save_token(c, token_sha256(token), user->id, expires);
    });
    r.principal =
        Principal{user->id, user->username, parse_role(user->role).value_or(Role::leader)};
    return json_response(json{{"token", token},
                              {"role", user->role},
                              {"username", user->username},
                              {"expires_at", core::format_rfc3339(expires)}});
}

Response Endpoints::logout(Request& r) {
    pool_->with(
        [&](storage::Connection& c) { storage::delete_token(c, token_sha256(r.bearer_token)); });
    Response res;
    res.status = 204;
    return res;
}

Response Endpoints::me(Request& r) {
    const auto& p = r.caller();
    return json_response(
        json{{"id", p.user_id}, {"username", p.username}, {"role", to_string(p.role)}});
}

Response Endpoints::users(Request&) {
    const auto rows = pool_->with([](storage::Connection& c) { return storage::list_users(c); });
    json items = json::array();
    for (const auto& u : rows) {
        items.push_back(json{{"id", u.id},
                             {"username", u.username},
                             {"role", u.role},
                             {"disabled", u.disabled},
                             {"created_at", core::format_rfc3339(u.created_at)}});
    }
    return json_response(json{{"items", std::move(items)}, {"next_cursor", nullptr}});
}

Response Endpoints::vehicles(Request& r) {
    const auto& p = r.caller();
    std::optional<std::string> leader;
    if (p.role == Role::leader) leader = p.username;
    const auto rows =
        pool_->with([&](storage::Connection& c) { return storage::list_vehicles(c, leader); });
    json items = json::array();
    for (const auto& v : rows) items.push_back(vehicle_json(v));
    return json_response(json{{"items", std::move(items)}, {"next_cursor", nullptr}});
}

Response Endpoints::vehicle(Request& r) {
    const auto id = r.id_param("id");
    return json_response(vehicle_json(visible_vehicle(*pool_, r.caller(), id)));
}

Response Endpoints::positions(Request& r) {
    const auto id = r.id_param("id");
    const core::Timestamp to = time_param(r, "to", core::utc_now() + std::chrono::seconds{1});
    const core::Timestamp from = time_param(r, "from", to - options_.positions_default_span);
    if (from >= to) throw ApiError(400, "invalid_parameter", "from must be before to", "from");
    const std::size_t limit =
        limit_param(r, options_.positions_default_limit, options_.positions_max_limit);
    std::optional<core::Timestamp> after;
    if (const std::string* c = r.query_param("cursor"); c != nullptr && !c->empty()) {
        const auto v = parse_int(*c);
        if (!v)
            throw ApiError(400, "invalid_parameter", "cursor is not one this server gave",
                           "cursor");
        after = core::Timestamp{std::chrono::seconds{*v}};
    }
    (void)visible_vehicle(*pool_, r.caller(), id);
    auto rows = pool_->with([&](storage::Connection& c) {
        return storage::list_positions(c, id, from, to, after, limit + 1);
    });
    json next = nullptr;
    if (rows.size() > limit) {
        rows.resize(limit);
        next = std::to_string(rows.back().time.time_since_epoch().count());
    }
    json items = json::array();
    for (const auto& p : rows) items.push_back(to_json(p));
    return json_response(json{{"items", std::move(items)}, {"next_cursor", std::move(next)}});
}

Response Endpoints::track(Request& r) {
    const auto id = r.id_param("id");
    const core::Timestamp to = time_param(r, "to", core::utc_now() + std::chrono::seconds{1});
    const core::Timestamp from = time_param(r, "from", to - options_.positions_default_span);
    if (from >= to) throw ApiError(400, "invalid_parameter", "from must be before to", "from");
    if (to - from > options_.track_max_span) {
        throw ApiError(400, "invalid_parameter",
                       "a track spans at most " +
                           std::to_string(options_.track_max_span.count() / 86400) + " days",
                       "from");
    }
    (void)visible_vehicle(*pool_, r.caller(), id);
    const auto track = pool_->with([&](storage::Connection& c) {
        return storage::vehicle_track(c, id, from, to, options_.track_max_points);
    });
    json props{{"vehicle_id", id},
               {"from", core::format_rfc3339(from)},
               {"to", core::format_rfc3339(to)},
               {"fixes", track ? track->fixes : 0},
               {"length_m", track ? track->length_m : 0.0}};
    json geometry = nullptr;
    if (track) geometry = json::parse(track->geojson);
    return json_response(
        json{{"type", "Feature"}, {"geometry", std::move(geometry)}, {"properties", std::move(props)}});
}

Response Endpoints::live_vehicles(Request& r) {
    const auto& p = r.caller();
    std::optional<std::string> leader;
    if (p.role == Role::leader) leader = p.username;
    const auto rows = pool_->with([&](storage::Connection& c) {
        return storage::live_vehicles(c, leader, options_.live_lookback);
    });
    json items = json::array();
    for (const auto& v : rows) {
        items.push_back(json{
            {"vehicle_id", v.id},
            {"plate", v.plate},
            {"class", v.vehicle_class},
            {"position", v.position ? to_json(*v.position) : json(nullptr)},
            {"last_seen_at",
             time_json(v.last_seen_at)},
            {"open_violations", v.open_violations}});
    }
    return json_response(json{{"items", std::move(items)}, {"next_cursor", nullptr}});
}

// ---- violations -------------------------------------------------------------------------------

Response Endpoints::violations(Request& r) {
    const auto& p = r.caller();
    storage::ViolationFilter f;
    f.vehicle_id = id_query(r, "vehicle_id");
    f.driver_id = id_query(r, "driver_id");
    f.type = enum_param(r, "type", storage::kViolationTypes);
    f.status = enum_param(r, "status", storage::kViolationStatuses);
    if (const std::string* v = r.query_param("from"); v != nullptr && !v->empty()) {
        f.from = time_param(r, "from", {});
    }
    if (const std::string* v = r.query_param("to"); v != nullptr && !v->empty()) {
        f.to = time_param(r, "to", {});
    }
    if (f.from && f.to && *f.from >= *f.to) {
        throw ApiError(400, "invalid_parameter", "from must be before to", "from");
    }
    if (const std::string* c = r.query_param("cursor"); c != nullptr && !c->empty()) {
        const auto v = parse_int(*c);
        if (!v || *v < 1) {
            throw ApiError(400, "invalid_parameter", "cursor is not one this server gave",
                           "cursor");
        }
        f.before_id = *v;
    }
    const std::size_t limit =
        limit_param(r, options_.violations_default_limit, options_.violations_max_limit);
    f.limit = limit + 1;
    if (p.role == Role::leader) f.leader_username = p.username;
    auto rows =
        pool_->with([&](storage::Connection& c) { return storage::list_violations(c, f); });
    json next = nullptr;
    if (rows.size() > limit) {
        rows.resize(limit);
        next = std::to_string(rows.back().id);
    }
    json items = json::array();
    for (const auto& v : rows) items.push_back(to_json(v));
    return json_response(json{{"items", std::move(items)}, {"next_cursor", std::move(next)}});
}

storage::ViolationRow Endpoints::visible_violation(Request& r, std::int64_t id) {
    const auto& p = r.caller();
    auto [row, visible] = pool_->with([&](storage::Connection& c) {
        auto v = storage::find_violation(c, id);
        const bool ok =
            v && (p.role != Role::leader ||
                  storage::violation_visible_to_leader(c, id, p.username));
        return std::pair{std::move(v), ok};
    });
    if (!row) throw ApiError(404, "not_found", "no violation " + std::to_string(id));
    if (!visible) {
        throw ApiError(403, "forbidden",
                       "violation " + std::to_string(id) + " is not in a convoy you lead");
    }
    return std::move(*row);
}

json Endpoints::violation_detail(Request& r, std::int64_t id) {
    const storage::ViolationRow row = visible_violation(r, id);
    const auto audit =
        pool_->with([&](storage::Connection& c) { return storage::violation_audit(c, id); });
    json out = to_json(row);
    out["path"] = nullptr;
    if (row.path_geojson) {
        json path = json::parse(*row.path_geojson, nullptr, false);
        if (!path.is_discarded()) out["path"] = std::move(path);
    }
    json trail = json::array();
    for (const auto& a : audit) trail.push_back(to_json(a));
    out["audit"] = std::move(trail);
    return out;
}

Response Endpoints::violation(Request& r) {
    return json_response(violation_detail(r, r.id_param("id")));
}

Response Endpoints::violation_action(Request& r) {
    const auto id = r.id_param("id");
    const auto& p = r.caller();
    const json body = r.json_object();
    const auto action_it = body.find("action");
    const auto action = action_it != body.end() && action_it->is_string()
                            ? storage::parse_violation_action(action_it->get<std::string>())
                            : std::nullopt;
    if (!action) {
        throw ApiError(400, "invalid_parameter",
                       "action must be one of acknowledge, rectify, dismiss, excuse", "action");
    }
    std::string note;
    if (const auto it = body.find("note"); it != body.end() && !it->is_null()) {
        if (!it->is_string()) throw ApiError(400, "invalid_parameter", "note must be a string", "note");
        note = it->get<std::string>();
    }
    if (note.size() > kMaxNoteBytes || note.find('\0') != std::string::npos) {
        throw ApiError(400, "invalid_parameter",
                       "note must be at most " + std::to_string(kMaxNoteBytes) +
                           " bytes of text without NUL characters",
                       "note");
    }
    // Handling (整改) is the managers'; anyone who may see a violation may acknowledge it.
    if (*action != storage::ViolationAction::acknowledge && p.role != Role::admin &&
        p.role != Role::manager) {
        throw ApiError(403, "forbidden",
                       "only a manager or an admin may " +
                           std::string(storage::to_string(*action)) + " a violation");
    }
    if (*action != storage::ViolationAction::acknowledge &&
        note.find_first_not_of(" \t\r\n") == std::string::npos) {
        throw ApiError(400, "invalid_parameter",
                       std::string(storage::to_string(*action)) +
                           " needs a note saying what was done or why",
                       "note");
    }
    const storage::ViolationRow before = visible_violation(r, id);  // 404 / 403 before any change
    const auto result = pool_->with([&](storage::Connection& c) {
        return storage::apply_violation_action(c, id, *action, p.username,
                                               std::string(to_string(p.role)), note);
    });
    using Outcome = storage::ViolationActionResult::Outcome;
    if (result.outcome == Outcome::not_found) {
        throw ApiError(404, "not_found", "no violation " + std::to_string(id));
    }
    if (result.outcome == Outcome::not_allowed) {
        throw ApiError(409, "conflict",
                       "violation " + std::to_string(id) + " is " + result.status_before +
                           "; " + std::string(storage::to_string(*action)) +
                           (*action == storage::ViolationAction::acknowledge
                                ? " needs status new"
                                : " needs status new or acknowledged"),
                       "action");
    }
    json out = violation_detail(r, id);
    out["terminal_confirmation"] =
        result.status_before == "new" ? confirm_terminal_alarm(before) : json(nullptr);
    return json_response(out);
}

// The first handling of a terminal alarm the terminal latches (RULES.md 21; JT/T 808 0x8203)
// confirms it on the terminal, so the bit clears and the next episode can open: "queued",
// "offline", or null when the alarm is not one a terminal keeps until confirmed.
json Endpoints::confirm_terminal_alarm(const storage::ViolationRow& violation) {
    if (violation.type != "terminal_alarm" || !violation.vehicle_id) return nullptr;
    const json thresholds = json::parse(violation.thresholds_json, nullptr, false);
    const int bit = thresholds.is_object() ? thresholds.value("bit", -1) : -1;
    if (bit < 0 || bit > 31 || (kManuallyConfirmedAlarms & (1u << bit)) == 0) return nullptr;
    const auto vehicle_id = *violation.vehicle_id;
    const auto vehicle =
        pool_->with([&](storage::Connection& c) { return storage::find_vehicle(c, vehicle_id); });
    SendOutcome outcome = SendOutcome::offline;
    if (link_ != nullptr && vehicle && vehicle->phone_key) {
        outcome = link_->confirm_alarm(*vehicle->phone_key, 1u << bit);
    }
    spdlog::info("api: violation {}: 0x8203 confirming alarm bit {} to vehicle {}: {}",
                 violation.id, bit, vehicle_id,
                 outcome == SendOutcome::queued ? "queued" : "terminal offline");
    return outcome == SendOutcome::queued ? "queued" : "offline";
}

// ---- text to a cab ----------------------------------------------------------------------------

Response Endpoints::vehicle_text(Request& r) {
    const auto id = r.id_param("id");
    const json body = r.json_object();
    const auto text_it = body.find("text");
    if (text_it == body.end() || !text_it->is_string() || text_it->get<std::string>().empty()) {
        throw ApiError(400, "invalid_parameter", "text must be a non-empty string", "text");
    }
    const std::string text = text_it->get<std::string>();
    if (text.find('\0') != std::string::npos) {
        throw ApiError(400, "invalid_parameter", "text must not contain NUL characters", "text");
    }
    bool tts = true;
    if (const auto it = body.find("tts"); it != body.end()) {
        if (!it->is_boolean()) throw ApiError(400, "invalid_parameter", "tts must be true or false", "tts");
        tts = it->get<bool>();
    }
    const auto vehicle = visible_vehicle(*pool_, r.caller(), id);
    SendOutcome outcome = SendOutcome::offline;
    if (link_ != nullptr && vehicle.phone_key) outcome = link_->send_text(*vehicle.phone_key, text, tts);
    if (outcome == SendOutcome::too_long) {
        throw ApiError(400, "invalid_parameter", "text is longer than a terminal takes (1 024 GBK bytes)",
                       "text");
    }
    if (outcome == SendOutcome::offline) {
        throw ApiError(409, "terminal_offline",
                       "the terminal of vehicle " + std::to_string(id) + " is not connected");
    }
    spdlog::info("api: 0x8300 text ({} bytes, tts {}) to vehicle {} by {}", text.size(), tts, id,
                 r.caller().username);
    return json_response(json{{"vehicle_id", id}, {"status", "queued"}, {"tts", tts}}, 202);
}

}  // namespace fleetwatch::api
