// Latency histogram for the load generator: log-linear buckets (HdrHistogram's layout with 32
// sub-buckets per power of two), so any recorded value is reported within 1/32 (3.1 %) of
// itself, from 1 µs to about 13 days, in fixed memory.
//
// `record` is wait-free (relaxed atomic increments) and may be called from any thread while
// another thread takes a `snapshot`; snapshots are plain values that subtract (an interval) and
// merge (several workers).
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>

namespace fleetwatch::sim {

inline constexpr int kHistogramSubBits = 5;                     // 32 sub-buckets
inline constexpr int kHistogramMaxBit = 40;                     // 2^40 µs ≈ 12.7 days
inline constexpr std::size_t kHistogramBuckets =
    (std::size_t{2} << kHistogramSubBits) + (kHistogramMaxBit - kHistogramSubBits) * (std::size_t{1} << kHistogramSubBits);

// The bucket of a value and the highest value that bucket holds (pure; exposed for tests).
std::size_t histogram_bucket(std::uint64_t value) noexcept;
std::uint64_t histogram_bucket_upper(std::size_t bucket) noexcept;

struct HistogramSnapshot {
    std::array<std::uint64_t, kHistogramBuckets> counts{};
    std::uint64_t total = 0;
    std::uint64_t max = 0;  // exact maximum (0 when empty)

    // The value at percentile `p` (0-100]: the upper bound of the bucket holding that rank,
    // never above `max`. 0 when empty.
    std::uint64_t percentile(double p) const noexcept;
    void merge(const HistogramSnapshot& other) noexcept;
    // `this - earlier` (counts only; `max` is kept, as the maximum of an interval is not
    // recoverable from totals — use an interval histogram for that).
    HistogramSnapshot minus(const HistogramSnapshot& earlier) const noexcept;
};

class LatencyHistogram {
public:
    void record(std::uint64_t value) noexcept;
    HistogramSnapshot snapshot() const noexcept;
    void reset() noexcept;

private:
    std::array<std::atomic<std::uint64_t>, kHistogramBuckets> counts_{};
    std::atomic<std::uint64_t> max_{0};
};

}  // namespace fleetwatch::sim
