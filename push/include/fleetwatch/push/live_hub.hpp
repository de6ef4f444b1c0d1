// The live hub: fans the events the rule engine publishes (and, for those who ask, accepted
// positions) out to the live stream's subscribers (api/'s WebSocket sessions), without Beast
// or any socket in it.
//
// Each event is serialized at most once per format (JSON text, protobuf binary:
// live_format.hpp), only if some subscriber takes it, and the same bytes are shared by every
// subscriber's queue. A subscriber sees only the vehicles its VehicleFilter allows (all, or a
// leader's convoys: the session replaces the filter when the convoys change).
//
// Never blocking the publisher: every subscriber has an outgoing queue bounded in bytes
// (`max_queue_bytes`, counting the message being written too). An event that would overflow
// it drops the subscriber instead: its queue is emptied, dropped() gives the reason, and its
// `wake` is called so the session closes with 1008 (policy violation). An empty queue always
// takes one message, whatever its size.
//
// Positions are opt-in per subscriber, and at most one per vehicle per `position_interval`
// reaches a subscriber (the newest of a batch); blind-zone back-fill (0x0704 type 1, hours
// old) is not live and is never sent.
//
// Thread-safety: everything may be called from any thread. violation()/warning() run on the
// rules output thread, positions() on ingest's I/O threads; they take a shared lock on the
// subscriber list and each subscriber's own mutex briefly, and call `wake` (which must only
// post, never block or call back into the hub).
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "fleetwatch/push/live_format.hpp"
#include "fleetwatch/push/publisher.hpp"

namespace fleetwatch::push {

struct LiveHubOptions {
    std::size_t max_queue_bytes = 1024 * 1024;        // per subscriber
    std::chrono::milliseconds position_interval{5000};  // per vehicle per subscriber; 0 = all
    // Called (on the publishing thread) once per subscriber dropped for overflowing: metrics.
    std::function<void()> on_slow_drop;
};

// Which vehicles a subscriber may see.
class VehicleFilter {
  public:
    static VehicleFilter all() { return VehicleFilter(); }
    static VehicleFilter only(std::vector<core::VehicleId> vehicles);
    bool allows(core::VehicleId vehicle) const noexcept;
    bool is_all() const noexcept { return all_; }
    std::size_t size() const noexcept { return vehicles_.size(); }  // with only()

  private:
    bool all_ = true;
    std::vector<core::VehicleId> vehicles_;  // sorted, unique
};

using LiveMessage = std::shared_ptr<const std::string>;

struct LiveSubscriberOptions {
    LiveFormat format = LiveFormat::json;
    VehicleFilter filter;
    bool positions = false;
    // Called when a message lands in an empty queue, and once when the subscriber is dropped.
    std::function<void()> wake;
};

class LiveSubscription {
  public:
    explicit LiveSubscription(LiveSubscriberOptions options);

    // The next message (it still counts against the bound until sent()); nullptr when there
    // is none or the subscriber was dropped.
    LiveMessage pop();
    // `bytes` of a popped message were written: they leave the bound.
    void sent(std::size_t bytes);
    // Why the hub dropped this subscriber; nullopt while it is not dropped.
    std::optional<std::string> dropped() const;
    void set_filter(VehicleFilter filter);
    LiveFormat format() const noexcept { return format_; }
    bool wants_positions() const noexcept { return positions_; }
    std::size_t queued_bytes() const;

  private:
    friend class LiveHub;
    enum class Offer : std::uint8_t { queued, queued_wake, skipped, dropped_now };
    // Queues message() (called only when this subscriber takes the event). For a position,
    // `position_now` is set and the vehicle's position interval is checked and restarted.
    template <class GetMessage>
    Offer offer(core::VehicleId vehicle, GetMessage&& message, std::size_t limit,
                std::optional<std::chrono::steady_clock::time_point> position_now,
                std::chrono::milliseconds position_interval);

    const LiveFormat format_;
    const bool positions_;
    const std::function<void()> wake_;
    mutable std::mutex mutex_;
    VehicleFilter filter_;
    std::deque<LiveMessage> queue_;
    std::size_t bytes_ = 0;  // queued + popped and not yet sent
    std::optional<std::string> dropped_;
    std::unordered_map<core::VehicleId, std::chrono::steady_clock::time_point> last_position_;
};

class LiveHub final : public Publisher {
  public:
    explicit LiveHub(LiveHubOptions options = {});

    std::shared_ptr<LiveSubscription> subscribe(LiveSubscriberOptions options);
    void unsubscribe(const std::shared_ptr<LiveSubscription>& subscription);

    void violation(const ViolationEvent& e) override;
    void warning(const FatigueWarning& w) override;
    void positions(std::span<const core::Position> accepted) override;

    struct Stats {
        std::size_t subscribers = 0;
        std::uint64_t frames_serialized = 0;  // serializations (at most formats x events)
        std::uint64_t messages_queued = 0;    // messages put into subscriber queues
        std::uint64_t slow_drops = 0;         // subscribers dropped for overflowing
    };
    Stats stats() const;
    const LiveHubOptions& options() const noexcept { return options_; }

  private:
    // Lazily serialized frames of one event, at most one per format.
    template <class Event>
    class Frames;
    template <class Event>
    void fan_out(const Event& event, core::VehicleId vehicle,
                 std::optional<std::chrono::steady_clock::time_point> position_now);

    LiveHubOptions options_;
    mutable std::shared_mutex mutex_;
    std::vector<std::shared_ptr<LiveSubscription>> subscribers_;
    std::atomic<std::size_t> position_subscribers_{0};
    std::atomic<std::uint64_t> frames_serialized_{0};
    std::atomic<std::uint64_t> messages_queued_{0};
    std::atomic<std::uint64_t> slow_drops_{0};
};

}  // namespace fleetwatch::push
