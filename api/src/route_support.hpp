// api-private: what every group of routes shares — the database connection pool, query and
// body parameter parsing that throws API.md's 400s naming the field, and the leader check.
// The route groups (endpoints.cpp, fleet_routes.cpp, ...) are registered by Endpoints.
#pragma once

#include <spdlog/spdlog.h>

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "fleetwatch/api/http.hpp"
#include "fleetwatch/core/time.hpp"
#include "fleetwatch/storage/database.hpp"

namespace fleetwatch::storage {
struct VehicleRow;
}

namespace fleetwatch::api {

struct EndpointOptions;
class Router;
class TerminalLink;

// 503 `database_unavailable` with Retry-After: 5.
ApiError database_unavailable();

// A small pool of libpq connections: one per running handler, at most kMaxIdle kept.
class DbPool {
  public:
    static constexpr std::size_t kMaxIdle = 8;

    explicit DbPool(std::string conninfo) : db_(std::move(conninfo), std::chrono::seconds{3}) {}

    // Runs f(Connection&) on an idle connection (or a new one). A lost or unreachable database
    // is ApiError 503; other database errors propagate (500 at the barrier).
    template <class F>
    auto with(F&& f) -> decltype(f(std::declval<storage::Connection&>())) {
        if (db_.conninfo().empty()) throw database_unavailable();  // database.url ""
        std::optional<storage::Connection> conn;
        {
            std::lock_guard lock(mutex_);
            if (!idle_.empty()) {
                conn.emplace(std::move(idle_.back()));
                idle_.pop_back();
            }
        }
        try {
            if (!conn || !conn->is_open()) conn.emplace(db_.connect());
            if constexpr (std::is_void_v<decltype(f(*conn))>) {
                f(*conn);
                give_back(std::move(*conn));
            } else {
                auto result = f(*conn);
                give_back(std::move(*conn));
                return result;
            }
        } catch (const storage::DatabaseError& e) {
            if (e.is_connection_error()) {
                spdlog::warn("api: database: {}", e.what());
                throw database_unavailable();
            }
            throw;
        }
    }

  private:
    void give_back(storage::Connection&& c) {
        std::lock_guard lock(mutex_);
        if (idle_.size() < kMaxIdle) idle_.push_back(std::move(c));
    }

    storage::Database db_;
    std::mutex mutex_;
    std::vector<storage::Connection> idle_;
};

// ---- parameters ---------------------------------------------------------------------------------

// A whole decimal integer (no sign other than '-', no spaces), or nullopt.
std::optional<std::int64_t> parse_int(std::string_view s);

// Query parameter `name` as an RFC 3339 time; `fallback` when absent or empty.
core::Timestamp time_param(const Request& r, std::string_view name, core::Timestamp fallback);
// Query parameter `name` as a positive id; nullopt when absent or empty.
std::optional<std::int64_t> id_query(const Request& r, std::string_view name);
// ?limit=: `fallback` when absent; capped at `max`.
std::size_t limit_param(const Request& r, std::size_t fallback, std::size_t max);
// The 400 for a value not among `allowed` ("name must be one of a, b, c").
[[noreturn]] void throw_not_one_of(std::string_view name, const std::string_view* allowed,
                                   std::size_t count);

template <std::size_t N>
std::optional<std::string> enum_param(const Request& r, std::string_view name,
                                      const std::array<std::string_view, N>& allowed) {
    const std::string* v = r.query_param(name);
    if (v == nullptr || v->empty()) return std::nullopt;
    for (const auto a : allowed) {
        if (a == *v) return *v;
    }
    throw_not_one_of(name, allowed.data(), N);
}

template <class T>
nlohmann::json nullable_json(const std::optional<T>& v) {
    return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
}
// RFC 3339, or null.
inline nlohmann::json time_json(const std::optional<core::Timestamp>& t) {
    return t ? nlohmann::json(core::format_rfc3339(*t)) : nlohmann::json(nullptr);
}

// API.md's vehicle object.
nlohmann::json vehicle_json(const storage::VehicleRow& v);

// The vehicle, read once; 404 for an unknown vehicle, 403 when a leader may not see it.
storage::VehicleRow visible_vehicle(DbPool& pool, const Principal& caller, std::int64_t id);

}  // namespace fleetwatch::api
