// What the rule engine hands to the people who act on violations (API.md "Live stream":
// violation.opened / updated / closed / retracted, and warning).
//
// The server publishes a violation event once it is stored (violation_id is the row in
// `violations`), in the order the engine produced them; a fatigue warning when the engine
// reaches it. Implementations must not block for long: they are called on the rules thread.
//
// positions() sees every position the storage writer accepted (durable), as ingest handed
// them over, on ingest's I/O threads (several at once): implementations must be thread-safe
// and must never wait there. The default ignores them.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "fleetwatch/core/position.hpp"
#include "fleetwatch/core/time.hpp"

namespace fleetwatch::push {

enum class ViolationEventKind : std::uint8_t { opened, updated, closed, retracted };
// "violation.opened", ... (the live stream's `kind`).
std::string_view to_string(ViolationEventKind k) noexcept;

struct ViolationEvent {
    ViolationEventKind kind = ViolationEventKind::opened;
    std::int64_t violation_id = 0;
    std::string type;      // "overspeed", ...
    std::string subtype;
    std::string severity;  // "minor" ... "critical"
    core::VehicleId vehicle_id = 0;
    std::optional<core::DriverId> driver_id;
    core::Timestamp started_at{};
    std::optional<core::Timestamp> ended_at;
    double peak = 0;
    std::string peak_unit;
    bool late = false;        // first reported after the fact (late data, lagging detection)
    bool recomputed = false;  // changed by a late-data recompute
};

struct FatigueWarning {
    core::VehicleId vehicle_id = 0;
    std::optional<core::DriverId> driver_id;
    core::Timestamp time{};  // GPS time the driver reached limit - 30 min
    int continuous_min = 0;
    int limit_min = 0;
    bool night = false;
    bool late = false;
};

class Publisher {
  public:
    virtual ~Publisher() = default;
    virtual void violation(const ViolationEvent& e) = 0;
    virtual void warning(const FatigueWarning& w) = 0;
    virtual void positions(std::span<const core::Position> accepted) { (void)accepted; }
};

// Hands every event to each of `targets`, in order (e.g. the log and the live hub).
class FanOutPublisher final : public Publisher {
  public:
    explicit FanOutPublisher(std::vector<Publisher*> targets) : targets_(std::move(targets)) {}
    void violation(const ViolationEvent& e) override {
        for (auto* t : targets_) t->violation(e);
    }
    void warning(const FatigueWarning& w) override {
        for (auto* t : targets_) t->warning(w);
    }
    void positions(std::span<const core::Position> accepted) override {
        for (auto* t : targets_) t->positions(accepted);
    }

  private:
    std::vector<Publisher*> targets_;
};

// Logs each event as one line (spdlog, info): what the server does until issue 5's hub and
// webhooks subscribe.
class LogPublisher final : public Publisher {
  public:
    void violation(const ViolationEvent& e) override;
    void warning(const FatigueWarning& w) override;
};

}  // namespace fleetwatch::push
