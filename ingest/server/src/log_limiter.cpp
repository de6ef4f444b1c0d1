#include "log_limiter.hpp"

namespace fleetwatch::ingest {

bool LogLimiter::allow(std::size_t slot, std::uint64_t& suppressed) noexcept {
    Slot& s = slots_[slot % kSlots];
    const std::int64_t now = std::chrono::duration_cast<std::chrono::nanoseconds>(
                                 std::chrono::steady_clock::now().time_since_epoch())
                                 .count();
    std::int64_t start = s.window_start.load(std::memory_order_relaxed);
    if (now - start >= window_ns_ &&
        s.window_start.compare_exchange_strong(start, now, std::memory_order_relaxed)) {
        s.in_window.store(0, std::memory_order_relaxed);
    }
    if (s.in_window.fetch_add(1, std::memory_order_relaxed) < burst_) {
        suppressed = s.suppressed.exchange(0, std::memory_order_relaxed);
        return true;
    }
    s.suppressed.fetch_add(1, std::memory_order_relaxed);
    return false;
}

}  // namespace fleetwatch::ingest
