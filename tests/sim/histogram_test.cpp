#include "fleetwatch/sim/histogram.hpp"

#include <gtest/gtest.h>

namespace fleetwatch::sim {
namespace {

TEST(HistogramBucket, SmallValuesAreExact) {
    for (std::uint64_t v = 0; v < 64; ++v) {
        EXPECT_EQ(histogram_bucket(v), v);
        EXPECT_EQ(histogram_bucket_upper(histogram_bucket(v)), v);
    }
}

TEST(HistogramBucket, EveryValueIsWithinItsBucketAndWithinOneThirtySecond) {
    for (std::uint64_t v = 64; v < 5'000'000; v = v * 11 / 10 + 1) {
        const std::size_t b = histogram_bucket(v);
        ASSERT_LT(b, kHistogramBuckets);
        const std::uint64_t upper = histogram_bucket_upper(b);
        EXPECT_GE(upper, v);
        EXPECT_LE(static_cast<double>(upper - v), static_cast<double>(v) / 32.0) << v;
        if (b > 0) {
            EXPECT_LT(histogram_bucket_upper(b - 1), v) << v;
        }
    }
    EXPECT_EQ(histogram_bucket(~std::uint64_t{0}), kHistogramBuckets - 1);
}

TEST(LatencyHistogram, PercentilesOfAUniformSpread) {
    LatencyHistogram h;
    for (std::uint64_t v = 1; v <= 10'000; ++v) h.record(v);
    const HistogramSnapshot s = h.snapshot();
    EXPECT_EQ(s.total, 10'000u);
    EXPECT_EQ(s.max, 10'000u);
    EXPECT_NEAR(static_cast<double>(s.percentile(50)), 5000, 5000 / 32.0);
    EXPECT_NEAR(static_cast<double>(s.percentile(99)), 9900, 9900 / 32.0);
    EXPECT_EQ(s.percentile(100), 10'000u);  // capped by the exact maximum
}

TEST(LatencyHistogram, EmptyReportsZero) {
    const HistogramSnapshot s = LatencyHistogram{}.snapshot();
    EXPECT_EQ(s.percentile(50), 0u);
    EXPECT_EQ(s.max, 0u);
}

TEST(HistogramSnapshot, MinusGivesTheIntervalAndMergeAddsWorkers) {
    LatencyHistogram h;
    for (int i = 0; i < 100; ++i) h.record(10);
    const HistogramSnapshot first = h.snapshot();
    for (int i = 0; i < 100; ++i) h.record(1000);
    const HistogramSnapshot interval = h.snapshot().minus(first);
    EXPECT_EQ(interval.total, 100u);
    EXPECT_NEAR(static_cast<double>(interval.percentile(50)), 1000, 32);
    HistogramSnapshot merged = first;
    merged.merge(interval);
    EXPECT_EQ(merged.total, 200u);
}

}  // namespace
}  // namespace fleetwatch::sim
