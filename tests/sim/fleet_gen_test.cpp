#include "fleetwatch/sim/fleet_gen.hpp"

#include <gtest/gtest.h>

#include <set>

#include "fleetwatch/fleet/fleet.hpp"

namespace fleetwatch::sim {
namespace {

TEST(Phones, PrefixAndCounterMakeTwelveDigits) {
    const PhoneList l = phones_from_prefix("0139", 1, 3);
    ASSERT_TRUE(l.error.empty()) << l.error;
    EXPECT_EQ(l.phones, (std::vector<std::string>{"013900000001", "013900000002", "013900000003"}));
    EXPECT_EQ(phones_from_prefix("0138", 99'999'999, 1).phones.front(), "013899999999");
}

TEST(Phones, RefusesWhatDoesNotFit) {
    EXPECT_FALSE(phones_from_prefix("0138", 99'999'999, 2).error.empty());
    EXPECT_FALSE(phones_from_prefix("01x8", 1, 1).error.empty());
    EXPECT_FALSE(phones_from_prefix("013800000000", 1, 1).error.empty());
}

TEST(Phones, RangeIsInclusiveAndPadded) {
    const PhoneList l = phones_from_range("13910000000..13910000002");
    ASSERT_TRUE(l.error.empty()) << l.error;
    EXPECT_EQ(l.phones, (std::vector<std::string>{"013910000000", "013910000001", "013910000002"}));
    EXPECT_EQ(phones_from_range("1..100", 10).phones.size(), 10u);
    EXPECT_FALSE(phones_from_range("5..1").error.empty());
    EXPECT_FALSE(phones_from_range("5-10").error.empty());
}

TEST(GeneratedPlate, IsUniquePerIndex) {
    std::set<std::string> plates;
    for (std::size_t i = 0; i < 5000; ++i) plates.insert(generated_plate(i));
    EXPECT_EQ(plates.size(), 5000u);
    EXPECT_EQ(generated_plate(0), "苏Z00000");
    EXPECT_EQ(generated_plate(35), "苏Z00011");
}

TEST(GeneratedFleet, ParsesAndOwnsExactlyTheLoadPhones) {
    const PhoneList l = phones_from_prefix("0138", 1, 250);
    const std::string yaml = generated_fleet_yaml(l.phones, {});
    const fleet::FleetParseResult r = fleet::parse_fleet_text(yaml, "generated.yaml");
    ASSERT_TRUE(r.fleet) << (r.problems.empty() ? std::string() : r.problems.front().to_string());
    ASSERT_EQ(r.fleet->vehicles.size(), 250u);
    for (std::size_t i = 0; i < l.phones.size(); ++i) {
        EXPECT_EQ(r.fleet->vehicles[i].terminal_phone, l.phones[i]);
        EXPECT_EQ(r.fleet->vehicles[i].plate, generated_plate(i));
    }
}

}  // namespace
}  // namespace fleetwatch::sim
