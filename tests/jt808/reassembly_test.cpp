#include "fleetwatch/jt808/reassembly.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace fleetwatch::jt808 {
namespace {

using namespace std::chrono_literals;
using ByteVec = std::vector<std::uint8_t>;
using Clock = Reassembler::Clock;

const Clock::time_point t0{};

// Fragment `index` of `total` of a message whose package 1 had serial `first_serial`; its body
// is `index` repeated `size` times so reassembled order is visible.
struct Fragment {
    ByteVec body;
    Frame frame;
};

Fragment fragment(std::uint16_t first_serial, std::uint16_t index, std::uint16_t total,
                  std::size_t size = 3, std::uint16_t msg_id = 0x0801) {
    Fragment f;
    f.body.assign(size, static_cast<std::uint8_t>(index));
    f.frame.header.msg_id = msg_id;
    f.frame.header.serial = static_cast<std::uint16_t>(first_serial + index - 1);
    f.frame.header.package = PackageInfo{total, index};
    f.frame.header.body_length = static_cast<std::uint16_t>(size);
    f.frame.header.phone = *PhoneNumber::from_digits("013800138000");
    return f;
}

// Adds a fragment (its body view pointing at its own bytes) and returns the result.
Expected<std::optional<ReassembledMessage>> add(Reassembler& r, Fragment f,
                                                Clock::time_point now = t0) {
    f.frame.body = f.body;
    return r.add(f.frame, now);
}

// Adds a fragment that must be accepted without completing anything.
void add_pending(Reassembler& r, Fragment f, Clock::time_point now = t0) {
    auto res = add(r, std::move(f), now);
    ASSERT_TRUE(res) << res.error().message();
    ASSERT_FALSE(*res) << "message completed too early";
}

TEST(Reassembler, InOrderFragmentsCompleteOnTheLastOne) {
    Reassembler r;
    add_pending(r, fragment(100, 1, 3));
    add_pending(r, fragment(100, 2, 3));
    EXPECT_EQ(r.pending(), 1u);
    EXPECT_EQ(r.buffered_bytes(), 6u);
    auto res = add(r, fragment(100, 3, 3));
    ASSERT_TRUE(res);
    ASSERT_TRUE(*res);
    const ReassembledMessage& m = **res;
    EXPECT_EQ(to_hex(m.body), "010101020202030303");
    EXPECT_EQ(m.header.msg_id, 0x0801);
    EXPECT_EQ(m.header.serial, 100) << "the header is that of package 1";
    EXPECT_FALSE(m.header.package);
    EXPECT_EQ(m.header.phone.key(), "13800138000");
    EXPECT_EQ(r.pending(), 0u);
    EXPECT_EQ(r.buffered_bytes(), 0u);
    EXPECT_EQ(r.stats().completed, 1u);
}

TEST(Reassembler, OutOfOrderFragmentsAreJoinedInPackageOrder) {
    Reassembler r;
    add_pending(r, fragment(7, 3, 3));
    add_pending(r, fragment(7, 1, 3));
    auto res = add(r, fragment(7, 2, 3));
    ASSERT_TRUE(res);
    ASSERT_TRUE(*res);
    EXPECT_EQ(to_hex((*res)->body), "010101020202030303");
    EXPECT_EQ((*res)->header.serial, 7);
}

TEST(Reassembler, DuplicateFragmentIsIgnoredAndTheFirstCopyKept) {
    Reassembler r;
    add_pending(r, fragment(10, 1, 2));
    Fragment again = fragment(10, 1, 2);
    again.body = {0xEE, 0xEE, 0xEE};
    add_pending(r, again);
    EXPECT_EQ(r.stats().duplicates, 1u);
    EXPECT_EQ(r.buffered_bytes(), 3u) << "the duplicate is not buffered";
    auto res = add(r, fragment(10, 2, 2));
    ASSERT_TRUE(res && *res);
    EXPECT_EQ(to_hex((*res)->body), "010101020202");
}

// A fragment whose serial is `serial` (not first_serial + index - 1): the terminal sent other
// messages between the fragments.
Fragment gapped(std::uint16_t serial, std::uint16_t index, std::uint16_t total) {
    Fragment f = fragment(0, index, total);
    f.frame.header.serial = serial;
    return f;
}

TEST(Reassembler, FragmentsWithGapsInTheirSerialsJoinThePendingMessageThatLacksThem) {
    Reassembler r;
    add_pending(r, gapped(500, 1, 3));
    add_pending(r, gapped(503, 2, 3));  // two 0x0200 reports took 501 and 502
    auto res = add(r, gapped(510, 3, 3));
    ASSERT_TRUE(res && *res);
    EXPECT_EQ(to_hex((*res)->body), "010101020202030303");
    EXPECT_EQ((*res)->header.serial, 500);
    EXPECT_EQ(r.pending(), 0u);
}

TEST(Reassembler, GappedFragmentIsNotGuessedIntoOneOfTwoCandidates) {
    Reassembler r;
    add_pending(r, gapped(500, 1, 3));
    add_pending(r, gapped(600, 1, 3));
    add_pending(r, gapped(650, 2, 3));  // could belong to either: starts a message of its own
    EXPECT_EQ(r.pending(), 3u);
    // A fragment whose serial derives package 1 exactly still finds its message.
    add_pending(r, gapped(601, 2, 3));
    EXPECT_EQ(r.missing(0x0801, 600), std::vector<std::uint16_t>{3});
}

TEST(Reassembler, GappedFragmentDoesNotJoinAMessageThatStartedAfterIt) {
    Reassembler r;
    add_pending(r, gapped(500, 1, 3));
    add_pending(r, gapped(499, 3, 3));  // package 3 cannot precede package 1 in serials
    EXPECT_EQ(r.pending(), 2u);
}

TEST(Reassembler, SinglePackageMessageCompletesAtOnce) {
    Reassembler r;
    auto res = add(r, fragment(5, 1, 1));
    ASSERT_TRUE(res && *res);
    EXPECT_EQ(to_hex((*res)->body), "010101");
}

TEST(Reassembler, MissingFragmentsAreReportedForResendAfterTheQuietPeriod) {
    ReassemblyLimits limits;
    limits.resend_after = 5s;
    limits.timeout = 60s;
    Reassembler r(limits);
    add_pending(r, fragment(200, 1, 5), t0);
    add_pending(r, fragment(200, 3, 5), t0 + 1s);
    add_pending(r, fragment(200, 5, 5), t0 + 2s);
    EXPECT_EQ(r.missing(0x0801, 200), (std::vector<std::uint16_t>{2, 4}));

    EXPECT_TRUE(r.due_resends(t0 + 6s).empty()) << "quiet for 4 s only since the last fragment";
    const auto due = r.due_resends(t0 + 7s);
    ASSERT_EQ(due.size(), 1u);
    EXPECT_EQ(due[0].msg_id, 0x0801);
    EXPECT_EQ(due[0].first_serial, 200);
    EXPECT_EQ(due[0].missing, (std::vector<std::uint16_t>{2, 4}));

    EXPECT_TRUE(r.due_resends(t0 + 8s).empty()) << "asked once per quiet period";
    const auto again = r.due_resends(t0 + 12s);
    ASSERT_EQ(again.size(), 1u);
    EXPECT_EQ(again[0].missing, (std::vector<std::uint16_t>{2, 4}));

    // Progress resets the clock and shrinks the list.
    add_pending(r, fragment(200, 2, 5), t0 + 13s);
    EXPECT_TRUE(r.due_resends(t0 + 17s).empty());
    const auto last = r.due_resends(t0 + 18s);
    ASSERT_EQ(last.size(), 1u);
    EXPECT_EQ(last[0].missing, (std::vector<std::uint16_t>{4}));
    EXPECT_EQ(r.pending(), 1u);
}

TEST(Reassembler, MissingIsEmptyForUnknownMessages) {
    Reassembler r;
    EXPECT_TRUE(r.missing(0x0801, 1).empty());
}

TEST(Reassembler, MessageQuietPastTheTimeoutIsDroppedWithReassemblyTimeout) {
    ReassemblyLimits limits;
    limits.resend_after = 5s;
    limits.timeout = 60s;
    Reassembler r(limits);
    add_pending(r, fragment(300, 1, 2), t0);
    std::vector<Error> dropped;
    r.due_resends(t0 + 59s, &dropped);
    EXPECT_TRUE(dropped.empty());
    EXPECT_EQ(r.pending(), 1u);

    const auto due = r.due_resends(t0 + 60s, &dropped);
    EXPECT_TRUE(due.empty()) << "a dropped message is not asked for again";
    ASSERT_EQ(dropped.size(), 1u);
    EXPECT_EQ(dropped[0].code, Errc::reassembly_timeout);
    EXPECT_EQ(r.pending(), 0u);
    EXPECT_EQ(r.buffered_bytes(), 0u);
    EXPECT_EQ(r.stats().timed_out, 1u);

    // The late second half starts over instead of completing a message that no longer exists.
    add_pending(r, fragment(300, 2, 2), t0 + 61s);
    EXPECT_EQ(r.pending(), 1u);
}

TEST(Reassembler, TooManyPendingMessagesAreRefusedWithReassemblyLimit) {
    ReassemblyLimits limits;
    limits.max_pending_messages = 2;
    Reassembler r(limits);
    add_pending(r, fragment(10, 1, 2));
    add_pending(r, fragment(20, 1, 2));
    auto res = add(r, fragment(30, 1, 2));
    ASSERT_FALSE(res);
    EXPECT_EQ(res.error().code, Errc::reassembly_limit);
    EXPECT_EQ(r.pending(), 2u);
    EXPECT_EQ(r.stats().refused, 1u);
    // Messages already under way still complete.
    auto done = add(r, fragment(10, 2, 2));
    ASSERT_TRUE(done && *done);
    add_pending(r, fragment(30, 1, 2));
}

TEST(Reassembler, BufferedBytesOverTheLimitAreRefusedAndTheMessageDropped) {
    ReassemblyLimits limits;
    limits.max_buffered_bytes = 10;
    Reassembler r(limits);
    add_pending(r, fragment(10, 1, 3, 4));
    add_pending(r, fragment(10, 2, 3, 4));
    auto res = add(r, fragment(10, 3, 3, 4));  // 12 bytes > 10
    ASSERT_FALSE(res);
    EXPECT_EQ(res.error().code, Errc::reassembly_limit);
    EXPECT_EQ(r.pending(), 0u) << "a message that cannot fit is given up";
    EXPECT_EQ(r.buffered_bytes(), 0u);
}

TEST(Reassembler, BufferedBytesLimitCountsEveryPendingMessage) {
    ReassemblyLimits limits;
    limits.max_buffered_bytes = 10;
    Reassembler r(limits);
    add_pending(r, fragment(10, 1, 2, 5));
    add_pending(r, fragment(20, 1, 2, 5));
    auto res = add(r, fragment(30, 1, 2, 1));
    ASSERT_FALSE(res);
    EXPECT_EQ(res.error().code, Errc::reassembly_limit);
    EXPECT_EQ(r.buffered_bytes(), 10u);
}

TEST(Reassembler, TotalAboveMaxPackagesIsRefusedWithReassemblyLimit) {
    ReassemblyLimits limits;
    limits.max_packages = 4;
    Reassembler r(limits);
    auto res = add(r, fragment(1, 1, 5));
    ASSERT_FALSE(res);
    EXPECT_EQ(res.error().code, Errc::reassembly_limit);
    EXPECT_EQ(r.pending(), 0u);
    add_pending(r, fragment(1, 1, 4));
}

TEST(Reassembler, SerialsWrappingFrom65535To0BelongToOneMessage) {
    Reassembler r;
    // Package 1 has serial 65535, package 2 serial 0, package 3 serial 1; the last arrives first.
    add_pending(r, fragment(0xFFFF, 3, 3));
    EXPECT_EQ(r.missing(0x0801, 0xFFFF), (std::vector<std::uint16_t>{1, 2}));
    add_pending(r, fragment(0xFFFF, 1, 3));
    auto res = add(r, fragment(0xFFFF, 2, 3));
    ASSERT_TRUE(res) << res.error().message();
    ASSERT_TRUE(*res);
    EXPECT_EQ(to_hex((*res)->body), "010101020202030303");
    EXPECT_EQ((*res)->header.serial, 0xFFFF);
    EXPECT_EQ(r.pending(), 0u);
}

TEST(Reassembler, MismatchedTotalForTheSameMessageIsRejected) {
    Reassembler r;
    add_pending(r, fragment(50, 1, 3));
    auto res = add(r, fragment(50, 2, 4));  // same first serial, claims 4 packages
    ASSERT_FALSE(res);
    EXPECT_EQ(res.error().code, Errc::bad_field);
    EXPECT_EQ(r.missing(0x0801, 50), (std::vector<std::uint16_t>{2, 3}));
}

TEST(Reassembler, MessagesWithDifferentIdsOrFirstSerialsAreKeptApart) {
    Reassembler r;
    add_pending(r, fragment(10, 1, 2, 3, 0x0801));
    add_pending(r, fragment(10, 1, 2, 3, 0x0104));
    add_pending(r, fragment(12, 1, 2, 3, 0x0801));
    EXPECT_EQ(r.pending(), 3u);
    auto a = add(r, fragment(12, 2, 2, 3, 0x0801));
    ASSERT_TRUE(a && *a);
    EXPECT_EQ((*a)->header.serial, 12);
    EXPECT_EQ((*a)->header.msg_id, 0x0801);
    auto b = add(r, fragment(10, 2, 2, 3, 0x0104));
    ASSERT_TRUE(b && *b);
    EXPECT_EQ((*b)->header.msg_id, 0x0104);
    EXPECT_EQ(r.pending(), 1u);
}

TEST(Reassembler, FrameWithoutPackageInfoIsRefused) {
    Reassembler r;
    Fragment f = fragment(1, 1, 2);
    f.frame.header.package.reset();
    auto res = add(r, f);
    ASSERT_FALSE(res);
    EXPECT_EQ(res.error().code, Errc::bad_field);
}

TEST(Reassembler, PackageIndexOutsideOneToTotalIsRefusedNotStored) {
    Reassembler r;
    for (const PackageInfo bad : {PackageInfo{2, 0}, PackageInfo{2, 3}, PackageInfo{0, 0}}) {
        Fragment f = fragment(1, 1, 2);
        f.frame.header.package = bad;
        auto res = add(r, f);
        ASSERT_FALSE(res) << "total " << bad.total << " index " << bad.index;
        EXPECT_EQ(res.error().code, Errc::bad_field);
    }
    EXPECT_EQ(r.pending(), 0u);
}

}  // namespace
}  // namespace fleetwatch::jt808
