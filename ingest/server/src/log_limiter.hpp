// Rate limit for log lines a peer can trigger at will (refusals, bad frames).
//
// Each slot (one per reason) lets `burst` lines through per window and counts the rest; the
// next line let through reports how many were suppressed. Lock-free and approximate under
// races, which is fine for logs.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>

namespace fleetwatch::ingest {

class LogLimiter {
  public:
    static constexpr std::size_t kSlots = 64;

    explicit LogLimiter(std::chrono::milliseconds window = std::chrono::seconds(1),
                        std::uint32_t burst = 5) noexcept
        : window_ns_(std::chrono::duration_cast<std::chrono::nanoseconds>(window).count()),
          burst_(burst) {}

    // True when a line for `slot` may be written now; `suppressed` is then the number of lines
    // dropped for that slot since the last one written.
    bool allow(std::size_t slot, std::uint64_t& suppressed) noexcept;

  private:
    struct Slot {
        std::atomic<std::int64_t> window_start{0};
        std::atomic<std::uint32_t> in_window{0};
        std::atomic<std::uint64_t> suppressed{0};
    };
    std::int64_t window_ns_;
    std::uint32_t burst_;
    std::array<Slot, kSlots> slots_;
};

}  // namespace fleetwatch::ingest
