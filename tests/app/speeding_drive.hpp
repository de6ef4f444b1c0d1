// Drives for the service tests: a terminal's fixes, sent as one 0x0704 batch.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <vector>

#include "fleetwatch/core/time.hpp"
#include "fleetwatch/jt808/encode.hpp"
#include "fleetwatch/jt808/messages.hpp"
#include "test_terminal.hpp"

namespace fleetwatch::app::testing {

// `n` fixes one second apart at `speed_kmh` heading north, the first `ago` before now.
// Overspeed episodes less than a minute apart are one (RULES.md), so an episode closes
// after a minute under the limit.
inline std::vector<jt808::Location> drive(int n, int speed_kmh, std::chrono::seconds ago) {
    const core::Timestamp t0 = core::utc_now() - ago;
    std::vector<jt808::Location> items;
    for (int i = 0; i < n; ++i) {
        const auto gmt8 = core::to_civil(t0 + std::chrono::seconds{i}, core::kChinaUtcOffset);
        // 130 km/h is 36 m/s: 325 micro-degrees of latitude a second.
        items.push_back(ingest::test::make_location(32'100'000 + i * speed_kmh * 25 / 10,
                                                    118'950'000,
                                                    static_cast<std::uint16_t>(speed_kmh * 10),
                                                    gmt8));
    }
    return items;
}

inline void send_batch(ingest::test::TestTerminal& t, const std::vector<jt808::Location>& items) {
    jt808::Buffer body;
    ASSERT_TRUE(jt808::encode_location_batch(0, items, jt808::Dialect::v2013, body));
    t.send(jt808::msg_id::kLocationBatch, body);
}

}  // namespace fleetwatch::app::testing
