#include "fleetwatch/push/live_hub.hpp"

#include <algorithm>

namespace fleetwatch::push {

// ---- VehicleFilter ------------------------------------------------------------------------------

VehicleFilter VehicleFilter::only(std::vector<core::VehicleId> vehicles) {
    VehicleFilter f;
    f.all_ = false;
    std::sort(vehicles.begin(), vehicles.end());
    vehicles.erase(std::unique(vehicles.begin(), vehicles.end()), vehicles.end());
    f.vehicles_ = std::move(vehicles);
    return f;
}

bool VehicleFilter::allows(core::VehicleId vehicle) const noexcept {
    return all_ || std::binary_search(vehicles_.begin(), vehicles_.end(), vehicle);
}

// ---- LiveSubscription ---------------------------------------------------------------------------

LiveSubscription::LiveSubscription(LiveSubscriberOptions options)
    : format_(options.format),
      positions_(options.positions),
      wake_(std::move(options.wake)),
      filter_(std::move(options.filter)) {}

LiveMessage LiveSubscription::pop() {
    std::lock_guard lock(mutex_);
    if (dropped_ || queue_.empty()) return nullptr;
    LiveMessage m = std::move(queue_.front());
    queue_.pop_front();
    return m;
}

void LiveSubscription::sent(std::size_t bytes) {
    std::lock_guard lock(mutex_);
    bytes_ -= std::min(bytes, bytes_);
}

std::optional<std::string> LiveSubscription::dropped() const {
    std::lock_guard lock(mutex_);
    return dropped_;
}

void LiveSubscription::set_filter(VehicleFilter filter) {
    std::lock_guard lock(mutex_);
    filter_ = std::move(filter);
}

std::size_t LiveSubscription::queued_bytes() const {
    std::lock_guard lock(mutex_);
    return bytes_;
}

template <class GetMessage>
LiveSubscription::Offer LiveSubscription::offer(
    core::VehicleId vehicle, GetMessage&& message, std::size_t limit,
    std::optional<std::chrono::steady_clock::time_point> position_now,
    std::chrono::milliseconds position_interval) {
    std::lock_guard lock(mutex_);
    if (dropped_ || !filter_.allows(vehicle)) return Offer::skipped;
    if (position_now) {
        auto [it, first] = last_position_.try_emplace(vehicle, *position_now);
        if (!first) {
            if (*position_now - it->second < position_interval) return Offer::skipped;
            it->second = *position_now;
        }
    }
    LiveMessage m = message();
    if (bytes_ > 0 && bytes_ + m->size() > limit) {
        dropped_ = "outgoing queue over " + std::to_string(limit) + " bytes (" +
                   std::to_string(bytes_) + " waiting): the client reads too slowly";
        queue_.clear();
        bytes_ = 0;
        last_position_.clear();
        return Offer::dropped_now;
    }
    const bool was_empty = queue_.empty();
    bytes_ += m->size();
    queue_.push_back(std::move(m));
    return was_empty ? Offer::queued_wake : Offer::queued;
}

// ---- LiveHub ------------------------------------------------------------------------------------

template <class Event>
class LiveHub::Frames {
  public:
    Frames(const Event& event, std::atomic<std::uint64_t>& serialized)
        : event_(event), serialized_(serialized) {}
    // Called under one subscriber's mutex at a time, on one thread: no lock of its own.
    const LiveMessage& get(LiveFormat format) {
        auto& slot = frames_[static_cast<std::size_t>(format)];
        if (!slot) {
            slot = std::make_shared<const std::string>(live_frame(event_, format));
            serialized_.fetch_add(1, std::memory_order_relaxed);
        }
        return slot;
    }

  private:
    const Event& event_;
    std::atomic<std::uint64_t>& serialized_;
    LiveMessage frames_[2];
};

LiveHub::LiveHub(LiveHubOptions options) : options_(std::move(options)) {}

std::shared_ptr<LiveSubscription> LiveHub::subscribe(LiveSubscriberOptions options) {
    auto s = std::make_shared<LiveSubscription>(std::move(options));
    std::unique_lock lock(mutex_);
    subscribers_.push_back(s);
    if (s->wants_positions()) position_subscribers_.fetch_add(1);
    return s;
}

void LiveHub::unsubscribe(const std::shared_ptr<LiveSubscription>& subscription) {
    std::unique_lock lock(mutex_);
    const auto it = std::find(subscribers_.begin(), subscribers_.end(), subscription);
    if (it == subscribers_.end()) return;
    if ((*it)->wants_positions()) position_subscribers_.fetch_sub(1);
    subscribers_.erase(it);
}

template <class Event>
void LiveHub::fan_out(const Event& event, core::VehicleId vehicle,
                      std::optional<std::chrono::steady_clock::time_point> position_now) {
    Frames<Event> frames(event, frames_serialized_);
    std::shared_lock lock(mutex_);
    for (const auto& s : subscribers_) {
        if (position_now && !s->wants_positions()) continue;
        const auto r = s->offer(
            vehicle, [&] { return frames.get(s->format()); }, options_.max_queue_bytes,
            position_now, options_.position_interval);
        switch (r) {
            case LiveSubscription::Offer::skipped: break;
            case LiveSubscription::Offer::queued:
                messages_queued_.fetch_add(1, std::memory_order_relaxed);
                break;
            case LiveSubscription::Offer::queued_wake:
                messages_queued_.fetch_add(1, std::memory_order_relaxed);
                if (s->wake_) s->wake_();
                break;
            case LiveSubscription::Offer::dropped_now:
                slow_drops_.fetch_add(1, std::memory_order_relaxed);
                if (options_.on_slow_drop) options_.on_slow_drop();
                if (s->wake_) s->wake_();
                break;
        }
    }
}

void LiveHub::violation(const ViolationEvent& e) { fan_out(e, e.vehicle_id, std::nullopt); }

void LiveHub::warning(const FatigueWarning& w) { fan_out(w, w.vehicle_id, std::nullopt); }

void LiveHub::positions(std::span<const core::Position> accepted) {
    if (position_subscribers_.load(std::memory_order_relaxed) == 0) return;
    const auto now = std::chrono::steady_clock::now();
    for (std::size_t i = 0; i < accepted.size(); ++i) {
        const core::Position& p = accepted[i];
        if (p.source == core::PositionSource::blind_zone) continue;
        // Of a batch, only a vehicle's newest position is live.
        const auto later = std::find_if(accepted.begin() + static_cast<std::ptrdiff_t>(i) + 1,
                                        accepted.end(), [&](const core::Position& q) {
                                            return q.vehicle_id == p.vehicle_id &&
                                                   q.source != core::PositionSource::blind_zone &&
                                                   q.gps_time >= p.gps_time;
                                        });
        if (later != accepted.end() && options_.position_interval.count() > 0) continue;
        fan_out(p, p.vehicle_id, now);
    }
}

LiveHub::Stats LiveHub::stats() const {
    Stats s;
    {
        std::shared_lock lock(mutex_);
        s.subscribers = subscribers_.size();
    }
    s.frames_serialized = frames_serialized_.load();
    s.messages_queued = messages_queued_.load();
    s.slow_drops = slow_drops_.load();
    return s;
}

}  // namespace fleetwatch::push
