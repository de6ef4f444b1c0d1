#include "route_support.hpp"

#include <charconv>

#include "fleetwatch/storage/vehicle_queries.hpp"

namespace fleetwatch::api {

ApiError database_unavailable() {
    return ApiError(503, "database_unavailable", "the database cannot be reached; try again soon")
        .retry_after(std::chrono::seconds{5});
}

std::optional<std::int64_t> parse_int(std::string_view s) {
    std::int64_t v = 0;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (s.empty() || ec != std::errc{} || end != s.data() + s.size()) return std::nullopt;
    return v;
}

core::Timestamp time_param(const Request& r, std::string_view name, core::Timestamp fallback) {
    const std::string* v = r.query_param(name);
    if (v == nullptr || v->empty()) return fallback;
    const auto t = core::parse_rfc3339(*v);
    if (!t) {
        throw ApiError(400, "invalid_parameter",
                       std::string(name) + " must be an RFC 3339 time, e.g. 2026-03-10T01:02:03Z",
                       std::string(name));
    }
    return *t;
}

std::optional<std::int64_t> id_query(const Request& r, std::string_view name) {
    const std::string* v = r.query_param(name);
    if (v == nullptr || v->empty()) return std::nullopt;
    const auto id = parse_int(*v);
    if (!id || *id < 1) {
        throw ApiError(400, "invalid_parameter", std::string(name) + " must be a positive integer",
                       std::string(name));
    }
    return id;
}

std::size_t limit_param(const Request& r, std::size_t fallback, std::size_t max) {
    const std::string* l = r.query_param("limit");
    if (l == nullptr || l->empty()) return fallback;
    const auto v = parse_int(*l);
    if (!v || *v < 1) {
        throw ApiError(400, "invalid_parameter", "limit must be a positive integer", "limit");
    }
    return std::min(static_cast<std::size_t>(*v), max);
}

void throw_not_one_of(std::string_view name, const std::string_view* allowed, std::size_t count) {
    std::string list;
    for (std::size_t i = 0; i < count; ++i) list += (i ? ", " : "") + std::string(allowed[i]);
    throw ApiError(400, "invalid_parameter", std::string(name) + " must be one of " + list,
                   std::string(name));
}

nlohmann::json vehicle_json(const storage::VehicleRow& v) {
    return nlohmann::json{{"id", v.id},
                          {"plate", v.plate},
                          {"plate_color", v.plate_color},
                          {"class", v.vehicle_class},
                          {"terminal_phone", nullable_json(v.terminal_phone)},
                          {"requires_card", v.requires_card},
                          {"convoy_ids", v.convoy_ids},
                          {"created_at", core::format_rfc3339(v.created_at)}};
}

storage::VehicleRow visible_vehicle(DbPool& pool, const Principal& p, std::int64_t vehicle_id) {
    auto [row, visible] = pool.with([&](storage::Connection& c) {
        auto v = storage::find_vehicle(c, vehicle_id);
        const bool ok = v && (p.role != Role::leader ||
                              storage::vehicle_in_leader_convoys(c, vehicle_id, p.username));
        return std::pair{std::move(v), ok};
    });
    if (!row) throw ApiError(404, "not_found", "no vehicle " + std::to_string(vehicle_id));
    if (!visible) {
        throw ApiError(403, "forbidden",
                       "vehicle " + std::to_string(vehicle_id) + " is not in a convoy you lead");
    }
    return std::move(*row);
}

}  // namespace fleetwatch::api
