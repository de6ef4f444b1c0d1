#include "fleetwatch/sim/histogram.hpp"

#include <algorithm>
#include <bit>
#include <cmath>

namespace fleetwatch::sim {
namespace {
constexpr std::uint64_t kSub = std::uint64_t{1} << kHistogramSubBits;  // 32
constexpr std::uint64_t kLinear = 2 * kSub;                            // values 0-63 are exact
}  // namespace

std::size_t histogram_bucket(std::uint64_t v) noexcept {
    if (v < kLinear) return static_cast<std::size_t>(v);
    int msb = 63 - std::countl_zero(v);  // >= 6
    if (msb >= kHistogramMaxBit) return kHistogramBuckets - 1;
    const int shift = msb - kHistogramSubBits;
    const std::uint64_t sub = (v >> shift) - kSub;  // 0..31
    return static_cast<std::size_t>(kLinear + static_cast<std::uint64_t>(msb - kHistogramSubBits - 1) * kSub + sub);
}

std::uint64_t histogram_bucket_upper(std::size_t b) noexcept {
    if (b < kLinear) return b;
    const std::uint64_t i = b - kLinear;
    const int shift = static_cast<int>(i / kSub) + 1;
    const std::uint64_t sub = kSub + i % kSub;
    return ((sub + 1) << shift) - 1;
}

std::uint64_t HistogramSnapshot::percentile(double p) const noexcept {
    if (total == 0) return 0;
    const double clamped = std::clamp(p, 0.0, 100.0);
    auto rank = static_cast<std::uint64_t>(std::ceil(clamped / 100.0 * static_cast<double>(total)));
    rank = std::max<std::uint64_t>(rank, 1);
    std::uint64_t seen = 0;
    for (std::size_t b = 0; b < counts.size(); ++b) {
        seen += counts[b];
        if (seen >= rank) return max > 0 ? std::min(histogram_bucket_upper(b), max) : histogram_bucket_upper(b);
    }
    return max;
}

void HistogramSnapshot::merge(const HistogramSnapshot& o) noexcept {
    for (std::size_t b = 0; b < counts.size(); ++b) counts[b] += o.counts[b];
    total += o.total;
    max = std::max(max, o.max);
}

HistogramSnapshot HistogramSnapshot::minus(const HistogramSnapshot& e) const noexcept {
    HistogramSnapshot d;
    for (std::size_t b = 0; b < counts.size(); ++b) {
        d.counts[b] = counts[b] - std::min(counts[b], e.counts[b]);
        d.total += d.counts[b];
    }
    d.max = max;
    return d;
}

void LatencyHistogram::record(std::uint64_t v) noexcept {
    counts_[histogram_bucket(v)].fetch_add(1, std::memory_order_relaxed);
    std::uint64_t m = max_.load(std::memory_order_relaxed);
    while (v > m && !max_.compare_exchange_weak(m, v, std::memory_order_relaxed)) {
    }
}

HistogramSnapshot LatencyHistogram::snapshot() const noexcept {
    HistogramSnapshot s;
    for (std::size_t b = 0; b < counts_.size(); ++b) {
        s.counts[b] = counts_[b].load(std::memory_order_relaxed);
        s.total += s.counts[b];
    }
    s.max = max_.load(std::memory_order_relaxed);
    return s;
}

void LatencyHistogram::reset() noexcept {
    for (auto& c : counts_) c.store(0, std::memory_order_relaxed);
    max_.store(0, std::memory_order_relaxed);
}

}  // namespace fleetwatch::sim
