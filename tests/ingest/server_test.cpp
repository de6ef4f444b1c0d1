// The ingest server over real TCP on 127.0.0.1 (port 0), driven by scripted terminals.
#include "fleetwatch/ingest/server.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <future>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "fleetwatch/jt808/text.hpp"
#include "test_terminal.hpp"

namespace fleetwatch::ingest {
namespace {

using namespace std::chrono_literals;
using test::CollectingSink;
using test::eventually;
using test::make_location;
using test::TestTerminal;
namespace id = jt808::msg_id;

constexpr core::VehicleId kVehicle = 42;
const core::CivilTime kGmt8Time{2026, 3, 10, 9, 2, 3};  // 2026-03-10T01:02:03Z

Limits test_limits() {
    Limits l;
    l.idle_timeout = 10s;
    l.max_unauthenticated_time = 10s;
    l.resend_after = 200ms;
    l.reassembly_timeout = 5s;
    return l;
}

double value(prometheus::Counter& c) { return c.Value(); }

class IngestServer : public ::testing::Test {
  protected:
    void SetUp() override {
        directory_.upsert(
            TerminalRecord{"13800138000", kVehicle, "苏A12345", "", jt808::Dialect::v2013});
        directory_.upsert(TerminalRecord{"13900139000", 43, "苏A00043", "", jt808::Dialect::v2013});
        directory_.upsert(
            TerminalRecord{"12345678901234567890", 44, "苏A00044", "", jt808::Dialect::v2019});
    }
    void TearDown() override {
        if (server_) server_->stop();
    }

    void start(Limits limits = test_limits(), std::size_t threads = 2) {
        ServerOptions o;
        o.listen = "127.0.0.1:0";
        o.threads = threads;
        o.limits = limits;
        server_ = std::make_unique<Server>(o, directory_, sink_, stats_);
        server_->start();
    }
    std::uint16_t port() const { return server_->port(); }

    // A logged-in 2013 terminal for 13800138000.
    std::unique_ptr<TestTerminal> logged_in(std::string phone = "013800138000") {
        auto t = std::make_unique<TestTerminal>(port(), phone);
        EXPECT_TRUE(t->connected());
        EXPECT_TRUE(t->login());
        return t;
    }

    // Sends a 0x0200 and returns its 0x8001 result (0xFF when no answer).
    static std::uint8_t report(TestTerminal& t, const jt808::Location& l) {
        const std::uint16_t serial = t.send_message(l);
        auto r = t.receive_id(id::kPlatformResponse);
        if (!r) return 0xFF;
        const auto ack = r->ack();
        EXPECT_EQ(ack.reply_serial, serial);
        EXPECT_EQ(ack.reply_msg_id, id::kLocation);
        return ack.result;
    }

    prometheus::Registry registry_;
    IngestStats stats_{registry_};
    TerminalDirectory directory_;
    CollectingSink sink_;
    std::unique_ptr<Server> server_;
};

// ---- registration and authentication ----------------------------------------------------------

TEST_F(IngestServer, KnownTerminalRegistersGetsACodeAndAuthenticatesWithIt) {
    start();
    TestTerminal t(port());
    auto reg = t.register_terminal();
    ASSERT_TRUE(reg);
    EXPECT_EQ(reg->result, 0);
    EXPECT_EQ(reg->auth_code.size(), 16u);
    EXPECT_EQ(directory_.find("13800138000")->auth_code, reg->auth_code);
    auto auth = t.authenticate(reg->auth_code);
    ASSERT_TRUE(auth);
    EXPECT_EQ(*auth, 0);
    EXPECT_TRUE(eventually([&] { return server_->is_connected("13800138000"); }));
    EXPECT_EQ(value(stats_.registration(RegistrationResult::ok)), 1);
    EXPECT_EQ(value(stats_.authentication(AuthenticationResult::ok)), 1);
}

TEST_F(IngestServer, UnknownTerminalIsAnsweredWithResult4AndNoCode) {
    start();
    TestTerminal t(port(), "015500000000");
    auto reg = t.register_terminal();
    ASSERT_TRUE(reg);
    EXPECT_EQ(reg->result, 4);
    EXPECT_TRUE(reg->auth_code.empty());
    EXPECT_FALSE(directory_.find("15500000000"));
    EXPECT_EQ(value(stats_.refusal(Refusal::unknown_terminal)), 1);
}

TEST_F(IngestServer, WrongAuthCodeIsAnsweredWithResult1) {
    start();
    TestTerminal t(port());
    auto reg = t.register_terminal();
    ASSERT_TRUE(reg);
    auto auth = t.authenticate(reg->auth_code + "x");
    ASSERT_TRUE(auth);
    EXPECT_EQ(*auth, 1);
    EXPECT_FALSE(server_->is_connected("13800138000"));
    EXPECT_EQ(value(stats_.refusal(Refusal::bad_auth_code)), 1);
    // A location after the failed attempt is still refused.
    EXPECT_EQ(report(t, make_location(31'000'000, 120'000'000, 100, kGmt8Time)), 1);
    EXPECT_EQ(sink_.position_count(), 0u);
}

TEST_F(IngestServer, AuthenticationWithoutRegistrationFailsForAnUnknownTerminal) {
    start();
    TestTerminal t(port(), "015500000000");
    auto auth = t.authenticate("anything");
    ASSERT_TRUE(auth);
    EXPECT_EQ(*auth, 1);
}

TEST_F(IngestServer, CodeFromAnEarlierRegistrationAuthenticatesANewConnection) {
    start();
    std::string code;
    {
        TestTerminal t(port());
        auto reg = t.register_terminal();
        ASSERT_TRUE(reg);
        code = reg->auth_code;
    }
    TestTerminal t2(port());
    EXPECT_EQ(t2.authenticate(code), std::optional<std::uint8_t>{0});
}

TEST_F(IngestServer, AutoRegisterCreatesARecordThroughTheHook) {
    TerminalDirectory::Options opts;
    opts.auto_register = true;
    TerminalDirectory auto_dir(opts);
    std::vector<RegistrationDetails> seen;
    std::mutex m;
    auto_dir.set_auto_register_hook(
        [&](const RegistrationDetails& d) -> std::optional<core::VehicleId> {
            std::lock_guard lock(m);
            seen.push_back(d);
            return 777;
        });
    ServerOptions o;
    o.listen = "127.0.0.1:0";
    o.threads = 1;
    o.limits = test_limits();
    Server s(o, auto_dir, sink_, stats_);
    s.start();
    TestTerminal t(s.port(), "015500000001");
    ASSERT_TRUE(t.login());
    const jt808::Location l = make_location(31'000'000, 120'000'000, 100, kGmt8Time);
    EXPECT_EQ(report(t, l), 0);
    ASSERT_EQ(sink_.position_count(), 1u);
    EXPECT_EQ(sink_.positions()[0].vehicle_id, 777);
    std::lock_guard lock(m);
    ASSERT_EQ(seen.size(), 1u);
    EXPECT_EQ(seen[0].plate, "TEST01");
    EXPECT_EQ(seen[0].maker, "FWSIM");
    EXPECT_EQ(value(stats_.registration(RegistrationResult::auto_registered)), 1);
    s.stop();
}

TEST_F(IngestServer, PersistHookReceivesTheIssuedCode) {
    std::vector<TerminalRecord> saved;
    std::mutex m;
    directory_.set_persist_hook([&](const TerminalRecord& r, const RegistrationDetails&) {
        std::lock_guard lock(m);
        saved.push_back(r);
    });
    start();
    TestTerminal t(port());
    auto reg = t.register_terminal();
    ASSERT_TRUE(reg);
    std::lock_guard lock(m);
    ASSERT_EQ(saved.size(), 1u);
    EXPECT_EQ(saved[0].auth_code, reg->auth_code);
    EXPECT_EQ(saved[0].vehicle_id, kVehicle);
}

TEST_F(IngestServer, Terminal2019RegistersAndIsAnsweredWith2019Headers) {
    start();
    TestTerminal t(port(), "12345678901234567890", jt808::Dialect::v2019);
    auto reg = t.register_terminal();
    ASSERT_TRUE(reg);
    ASSERT_EQ(reg->result, 0);
    EXPECT_EQ(t.authenticate(reg->auth_code), std::optional<std::uint8_t>{0});
    t.send(id::kHeartbeat, {});
    auto r = t.receive_id(id::kPlatformResponse);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->header.version, jt808::HeaderVersion::v2019);
    EXPECT_EQ(r->header.phone.key(), "12345678901234567890");
}

// ---- location reports -------------------------------------------------------------------------

TEST_F(IngestServer, LocationBeforeAuthenticationIsRefusedAndNotStored) {
    start();
    TestTerminal t(port());
    EXPECT_EQ(report(t, make_location(31'000'000, 120'000'000, 100, kGmt8Time)), 1);
    jt808::Location items[2] = {make_location(1, 2, 3, kGmt8Time),
                                make_location(4, 5, 6, kGmt8Time)};
    jt808::Buffer body;
    ASSERT_TRUE(jt808::encode_location_batch(0, items, jt808::Dialect::v2013, body));
    const auto serial = t.send(id::kLocationBatch, body);
    auto r = t.receive_id(id::kPlatformResponse);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->ack().reply_serial, serial);
    EXPECT_EQ(r->ack().result, 1);
    EXPECT_EQ(sink_.position_count(), 0u);
    EXPECT_EQ(value(stats_.refusal(Refusal::not_authenticated)), 2);
}

TEST_F(IngestServer, LocationAfterAuthenticationIsStoredWithExactValues) {
    start();
    auto t = logged_in();
    jt808::Location l = make_location(-31'234'567, -121'765'432, 653, kGmt8Time, 0x3, 0x1);
    l.extras.fuel_100ml = 456;
    l.extras.signal_strength = 20;
    const std::uint16_t serial = t->send_message(l);
    auto r = t->receive_id(id::kPlatformResponse);
    ASSERT_TRUE(r);
    const auto ack = r->ack();
    EXPECT_EQ(ack.reply_serial, serial);
    EXPECT_EQ(ack.reply_msg_id, id::kLocation);
    EXPECT_EQ(ack.result, 0);
    EXPECT_EQ(r->header.phone.key(), "13800138000");

    ASSERT_TRUE(eventually([&] { return sink_.position_count() == 1; }));
    const core::Position p = sink_.positions()[0];
    EXPECT_EQ(p.vehicle_id, kVehicle);
    EXPECT_EQ(core::format_rfc3339(p.gps_time), "2026-03-10T01:02:03Z");
    EXPECT_EQ(p.point.lat_e6, -31'234'567);
    EXPECT_EQ(p.point.lon_e6, -121'765'432);
    EXPECT_EQ(p.speed_dkmh, 653);
    EXPECT_EQ(p.altitude_m, 12);
    EXPECT_EQ(p.direction, 90);
    EXPECT_EQ(p.alarm, 0x1u);
    EXPECT_EQ(p.status, 0x3u | 0x4u | 0x8u);
    EXPECT_TRUE(p.valid);
    EXPECT_EQ(p.mileage_100m, std::optional<std::uint32_t>{12345});
    EXPECT_EQ(p.fuel_100ml, std::optional<std::uint16_t>{456});
    EXPECT_EQ(p.satellites, std::optional<std::uint8_t>{9});
    EXPECT_EQ(p.signal_strength, std::optional<std::uint8_t>{20});
    EXPECT_EQ(p.source, core::PositionSource::live);
    EXPECT_LE(std::chrono::abs(p.received_at - core::utc_now()), 5s);
    EXPECT_EQ(value(stats_.positions_accepted), 1);
}

TEST_F(IngestServer, RepliesCarryThePlatformsOwnIncreasingSerial) {
    start();
    auto t = logged_in();
    t->set_serial(5000);
    std::vector<std::uint16_t> ours;
    for (int i = 0; i < 3; ++i) {
        const auto theirs = t->send(id::kHeartbeat, {});
        auto r = t->receive_id(id::kPlatformResponse);
        ASSERT_TRUE(r);
        EXPECT_EQ(r->ack().reply_serial, theirs);
        ours.push_back(r->header.serial);
    }
    EXPECT_EQ(ours[1], static_cast<std::uint16_t>(ours[0] + 1));
    EXPECT_EQ(ours[2], static_cast<std::uint16_t>(ours[1] + 1));
    EXPECT_LT(ours[0], 100);  // ours count from 0 per session, not the terminal's 5000
}

TEST_F(IngestServer, PositionWithoutFixOrTimeIsStoredAsInvalid) {
    start();
    auto t = logged_in();
    jt808::Location l = make_location(0, 0, 0, kGmt8Time, 0x0);
    l.time = jt808::BcdTime{};  // all zero: no valid time
    EXPECT_EQ(report(*t, l), 0);
    ASSERT_TRUE(eventually([&] { return sink_.position_count() == 1; }));
    const auto p = sink_.positions()[0];
    EXPECT_FALSE(p.valid);
    EXPECT_EQ(p.gps_time, p.received_at);
}

TEST_F(IngestServer, BatchItemsArriveInOrderWithTheirSource) {
    start();
    auto t = logged_in();
    std::vector<jt808::Location> items;
    for (int i = 0; i < 5; ++i) {
        core::CivilTime c = kGmt8Time;
        c.minute = i;
        items.push_back(
            make_location(30'000'000 + i, 120'000'000 + i, static_cast<std::uint16_t>(i), c));
    }
    for (const std::uint8_t type : {std::uint8_t{1}, std::uint8_t{0}}) {
        jt808::Buffer body;
        ASSERT_TRUE(jt808::encode_location_batch(type, items, jt808::Dialect::v2013, body));
        const auto serial = t->send(id::kLocationBatch, body);
        auto r = t->receive_id(id::kPlatformResponse);
        ASSERT_TRUE(r);
        EXPECT_EQ(r->ack().reply_serial, serial);
        EXPECT_EQ(r->ack().reply_msg_id, id::kLocationBatch);
        EXPECT_EQ(r->ack().result, 0);
    }
    ASSERT_TRUE(eventually([&] { return sink_.position_count() == 10; }));
    const auto ps = sink_.positions();
    for (std::size_t i = 0; i < 10; ++i) {
        EXPECT_EQ(ps[i].point.lat_e6, 30'000'000 + static_cast<int>(i % 5)) << i;
        EXPECT_EQ(ps[i].source,
                  i < 5 ? core::PositionSource::blind_zone : core::PositionSource::batch);
    }
}

TEST_F(IngestServer, DuplicateFrameIsAckedTwiceAndHandedOverTwice) {
    start();
    auto t = logged_in();
    jt808::Buffer body;
    ASSERT_TRUE(jt808::encode_body(make_location(1'000'000, 2'000'000, 10, kGmt8Time),
                                   jt808::Dialect::v2013, body));
    const auto frames = t->frames(id::kLocation, body, jt808::kMaxBodyBytes);
    ASSERT_EQ(frames.size(), 1u);
    ASSERT_TRUE(t->send_raw(frames[0]));
    ASSERT_TRUE(t->send_raw(frames[0]));
    for (int i = 0; i < 2; ++i) {
        auto r = t->receive_id(id::kPlatformResponse);
        ASSERT_TRUE(r);
        EXPECT_EQ(r->ack().result, 0);
    }
    // Deduplication is storage's job (primary key); ingest acks and forwards both.
    EXPECT_TRUE(eventually([&] { return sink_.position_count() == 2; }));
}

TEST_F(IngestServer, ManyFramesInOneWriteAreAllAnsweredInOrder) {
    start();
    auto t = logged_in();
    jt808::Buffer wire;
    std::vector<std::uint16_t> serials;
    for (int i = 0; i < 20; ++i) {
        jt808::Buffer body;
        ASSERT_TRUE(
            jt808::encode_body(make_location(i, i, 0, kGmt8Time), jt808::Dialect::v2013, body));
        serials.push_back(t->next_serial());
        for (const auto& f : t->frames(id::kLocation, body, jt808::kMaxBodyBytes)) {
            wire.insert(wire.end(), f.begin(), f.end());
        }
    }
    ASSERT_TRUE(t->send_raw(wire));
    for (const auto serial : serials) {
        auto r = t->receive_id(id::kPlatformResponse);
        ASSERT_TRUE(r);
        EXPECT_EQ(r->ack().reply_serial, serial);
        EXPECT_EQ(r->ack().result, 0);
    }
    EXPECT_TRUE(eventually([&] { return sink_.position_count() == 20; }));
}

TEST_F(IngestServer, SinkRefusalIsAnsweredWithFailureSoTheTerminalRetries) {
    start();
    auto t = logged_in();
    sink_.refuse(true);
    EXPECT_EQ(report(*t, make_location(1, 2, 3, kGmt8Time)), 1);
    EXPECT_EQ(value(stats_.refusal(Refusal::sink_refused)), 1);
    sink_.refuse(false);
    EXPECT_EQ(report(*t, make_location(1, 2, 3, kGmt8Time)), 0);
    EXPECT_EQ(sink_.position_count(), 1u);
}

TEST_F(IngestServer, TruncatedLocationBodyIsAnsweredWithMessageError) {
    start();
    auto t = logged_in();
    const std::uint8_t short_body[10] = {};
    const auto serial = t->send(id::kLocation, short_body);
    auto r = t->receive_id(id::kPlatformResponse);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->ack().reply_serial, serial);
    EXPECT_EQ(r->ack().result, 2);
    EXPECT_EQ(value(stats_.decode_error(jt808::Errc::truncated)), 1);
}

TEST_F(IngestServer, BadChecksumIsCountedAndNotAnswered) {
    start();
    auto t = logged_in();
    jt808::Buffer body;
    ASSERT_TRUE(jt808::encode_body(make_location(1, 2, 3, kGmt8Time), jt808::Dialect::v2013, body));
    auto frames = t->frames(id::kLocation, body, jt808::kMaxBodyBytes);
    auto bad = frames[0];
    bad[bad.size() - 2] ^= 0x01;  // the check byte (never 7D/7E here... flip low bit keeps it so)
    if (bad[bad.size() - 2] == 0x7E || bad[bad.size() - 2] == 0x7D) bad[bad.size() - 2] ^= 0x03;
    ASSERT_TRUE(t->send_raw(bad));
    // A heartbeat right after is answered; nothing for the damaged frame came before it.
    const auto hb = t->send(id::kHeartbeat, {});
    auto r = t->receive();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->ack().reply_serial, hb);
    EXPECT_EQ(value(stats_.decode_error(jt808::Errc::bad_checksum)), 1);
    EXPECT_EQ(sink_.position_count(), 0u);
}

TEST_F(IngestServer, UnknownMessageIdIsAnsweredUnsupportedAndCounted) {
    start();
    auto t = logged_in();
    const std::uint8_t body[3] = {1, 2, 3};
    const auto serial = t->send(0x0F01, body);
    auto r = t->receive_id(id::kPlatformResponse);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->ack().reply_serial, serial);
    EXPECT_EQ(r->ack().reply_msg_id, 0x0F01);
    EXPECT_EQ(r->ack().result, 3);
    EXPECT_EQ(value(stats_.frame(0x0F01)), 1);  // the "other" slot
}

TEST_F(IngestServer, HeartbeatBeforeAuthenticationIsAcked) {
    start();
    TestTerminal t(port());
    const auto serial = t.send(id::kHeartbeat, {});
    auto r = t.receive_id(id::kPlatformResponse);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->ack().reply_serial, serial);
    EXPECT_EQ(r->ack().result, 0);
}

TEST_F(IngestServer, HeartbeatsAndAnswersOfAnAuthenticatedTerminalReachTheSinkAsContact) {
    start();
    TestTerminal anonymous(port(), "013800138001");
    anonymous.send(id::kHeartbeat, {});
    ASSERT_TRUE(anonymous.receive_id(id::kPlatformResponse));

    auto t = logged_in();
    const auto before = core::utc_now();
    t->send(id::kHeartbeat, {});
    ASSERT_TRUE(t->receive_id(id::kPlatformResponse));
    // 0x0001 to a downlink: its serial, message id (0x8300), result 0.
    const jt808::Buffer answer{0x00, 0x07, 0x83, 0x00, 0x00};
    t->send(id::kTerminalResponse, answer);
    ASSERT_TRUE(eventually([&] { return sink_.contacts().size() >= 2; }));
    const auto contacts = sink_.contacts();
    ASSERT_EQ(contacts.size(), 2u) << "the unauthenticated heartbeat is no vehicle's contact";
    for (const auto& [vehicle, at] : contacts) {
        EXPECT_EQ(vehicle, kVehicle);
        EXPECT_GE(at, before);
        EXPECT_LE(at, core::utc_now());
    }
    EXPECT_EQ(sink_.position_count(), 0u);
}

TEST_F(IngestServer, TimeQueryIsAnsweredInUtc) {
    start();
    TestTerminal t(port(), "12345678901234567890", jt808::Dialect::v2019);
    t.send(id::kTimeQuery, {});
    auto r = t.receive_id(id::kServerTime);
    ASSERT_TRUE(r);
    auto b = r->decode();
    ASSERT_TRUE(b);
    const auto* st = std::get_if<jt808::ServerTime>(&*b);
    ASSERT_NE(st, nullptr);
    const auto sent = core::to_timestamp(st->utc, 0s);
    EXPECT_LE(std::chrono::abs(core::utc_now() - sent), 5s);
}

TEST_F(IngestServer, UnregisterEndsAuthentication) {
    start();
    auto t = logged_in();
    const auto serial = t->send(id::kUnregister, {});
    auto r = t->receive_id(id::kPlatformResponse);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->ack().reply_serial, serial);
    EXPECT_EQ(r->ack().result, 0);
    EXPECT_EQ(report(*t, make_location(1, 2, 3, kGmt8Time)), 1);
    EXPECT_TRUE(directory_.find("13800138000")->auth_code.empty());
    EXPECT_FALSE(server_->is_connected("13800138000"));
}

// ---- sub-packages -----------------------------------------------------------------------------

std::vector<jt808::Location> many_locations(int n) {
    std::vector<jt808::Location> items;
    for (int i = 0; i < n; ++i) {
        core::CivilTime c = kGmt8Time;
        c.second = i % 60;
        items.push_back(
            make_location(20'000'000 + i, 110'000'000 + i, static_cast<std::uint16_t>(i), c));
    }
    return items;
}

TEST_F(IngestServer, SubPackagedBatchIsReassembledAndEveryPartAcked) {
    start();
    auto t = logged_in();
    const auto items = many_locations(12);
    jt808::Buffer body;
    ASSERT_TRUE(jt808::encode_location_batch(0, items, jt808::Dialect::v2013, body));
    const auto frames = t->frames(id::kLocationBatch, body, 100);
    ASSERT_GT(frames.size(), 3u);
    for (const auto& f : frames) ASSERT_TRUE(t->send_raw(f));
    for (std::size_t i = 0; i < frames.size(); ++i) {
        auto r = t->receive_id(id::kPlatformResponse);
        ASSERT_TRUE(r);
        EXPECT_EQ(r->ack().result, 0);
        EXPECT_EQ(r->ack().reply_msg_id, id::kLocationBatch);
    }
    ASSERT_TRUE(eventually([&] { return sink_.position_count() == items.size(); }));
    const auto ps = sink_.positions();
    for (std::size_t i = 0; i < items.size(); ++i) {
        EXPECT_EQ(ps[i].point.lat_e6, 20'000'000 + static_cast<int>(i));
    }
    EXPECT_EQ(value(stats_.messages_reassembled), 1);
}

TEST_F(IngestServer, MissingPartIsRequestedWith8003AndTheMessageCompletesWhenItArrives) {
    start();
    auto t = logged_in();
    const auto items = many_locations(12);
    jt808::Buffer body;
    ASSERT_TRUE(jt808::encode_location_batch(1, items, jt808::Dialect::v2013, body));
    const std::uint16_t first = t->next_serial();
    const auto frames = t->frames(id::kLocationBatch, body, 100);
    ASSERT_GT(frames.size(), 3u);
    for (std::size_t i = 0; i < frames.size(); ++i) {
        if (i != 1) {
            ASSERT_TRUE(t->send_raw(frames[i]));
        }
    }
    auto request = t->receive_id(id::kResendRequest, 3s);
    ASSERT_TRUE(request);
    auto b = request->decode();
    ASSERT_TRUE(b);
    const auto* rr = std::get_if<jt808::PlatformResendRequest>(&*b);
    ASSERT_NE(rr, nullptr);
    EXPECT_EQ(rr->first_serial, first);
    EXPECT_EQ(rr->package_ids, std::vector<std::uint16_t>{2});
    EXPECT_EQ(sink_.position_count(), 0u);
    ASSERT_TRUE(t->send_raw(frames[1]));
    ASSERT_TRUE(eventually([&] { return sink_.position_count() == items.size(); }));
    EXPECT_EQ(sink_.positions()[0].source, core::PositionSource::blind_zone);
    EXPECT_GE(value(stats_.resend_requests), 1);
}

TEST_F(IngestServer, SubPackagesBeforeAuthenticationAreRefusedAndNotBuffered) {
    start();
    TestTerminal t(port());
    jt808::Buffer body;
    ASSERT_TRUE(jt808::encode_location_batch(0, many_locations(12), jt808::Dialect::v2013, body));
    const auto frames = t.frames(id::kLocationBatch, body, 100);
    ASSERT_TRUE(t.send_raw(frames[0]));
    auto r = t.receive_id(id::kPlatformResponse);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->ack().result, 1);
}

// ---- driver card ------------------------------------------------------------------------------

TEST_F(IngestServer, DriverCardInAndOutAreHandedToTheSink) {
    start();
    auto t = logged_in();
    static const std::string kName = "张三";
    const auto name_gbk = jt808::utf8_to_gbk(kName);
    static const std::string kCert = "320100000000000001";
    static const std::string kIssuer = "南京市交通局";
    const auto issuer_gbk = jt808::utf8_to_gbk(kIssuer);

    jt808::DriverIdentity in;
    in.state = 1;
    in.time = jt808::BcdTime::from_civil(kGmt8Time);
    in.ic_result = 0;
    in.driver_name = name_gbk;
    in.certificate_no = jt808::as_bytes(kCert);
    in.issuer = issuer_gbk;
    in.certificate_expiry = core::CivilTime{2030, 1, 1, 0, 0, 0};
    auto serial = t->send_message(in);
    auto r = t->receive_id(id::kPlatformResponse);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->ack().reply_serial, serial);
    EXPECT_EQ(r->ack().reply_msg_id, id::kDriverIdentity);
    EXPECT_EQ(r->ack().result, 0);

    jt808::DriverIdentity out;
    out.state = 2;
    core::CivilTime later = kGmt8Time;
    later.hour = 17;
    out.time = jt808::BcdTime::from_civil(later);
    t->send_message(out);
    r = t->receive_id(id::kPlatformResponse);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->ack().result, 0);

    ASSERT_TRUE(eventually([&] { return sink_.cards().size() == 2; }));
    const auto cards = sink_.cards();
    EXPECT_TRUE(cards[0].inserted);
    EXPECT_EQ(cards[0].vehicle_id, kVehicle);
    EXPECT_EQ(cards[0].driver_name, kName);
    EXPECT_EQ(cards[0].certificate_no, kCert);
    EXPECT_EQ(cards[0].issuer, kIssuer);
    EXPECT_EQ(cards[0].ic_result, std::optional<std::uint8_t>{0});
    EXPECT_EQ(core::format_rfc3339(cards[0].time), "2026-03-10T01:02:03Z");
    EXPECT_FALSE(cards[1].inserted);
    EXPECT_EQ(core::format_rfc3339(cards[1].time), "2026-03-10T09:02:03Z");
    EXPECT_EQ(value(stats_.driver_card_events), 2);
}

// ---- sessions ---------------------------------------------------------------------------------

TEST_F(IngestServer, SecondConnectionOfAKnownTerminalReplacesTheFirst) {
    start();
    auto first = logged_in();
    auto second = logged_in();
    EXPECT_TRUE(first->wait_closed(3s));
    EXPECT_EQ(report(*second, make_location(1, 2, 3, kGmt8Time)), 0);
    EXPECT_TRUE(eventually([&] { return value(stats_.close_reason(CloseReason::replaced)) == 1; }));
    EXPECT_TRUE(server_->is_connected("13800138000"));
    EXPECT_TRUE(eventually([&] { return server_->session_count() == 1; }));
}

TEST_F(IngestServer, IdleSessionIsClosed) {
    Limits l = test_limits();
    l.idle_timeout = 300ms;
    start(l);
    auto t = logged_in();
    EXPECT_TRUE(t->wait_closed(3s));
    EXPECT_EQ(value(stats_.refusal(Refusal::idle_timeout)), 1);
    EXPECT_TRUE(eventually([&] { return server_->session_count() == 0; }));
}

TEST_F(IngestServer, HeartbeatsKeepASessionOpenPastTheIdleTimeout) {
    Limits l = test_limits();
    l.idle_timeout = 300ms;
    start(l);
    auto t = logged_in();
    for (int i = 0; i < 8; ++i) {  // 8 x 100 ms > 300 ms
        t->send(id::kHeartbeat, {});
        ASSERT_TRUE(t->receive_id(id::kPlatformResponse));
        std::this_thread::sleep_for(100ms);
    }
    EXPECT_EQ(value(stats_.refusal(Refusal::idle_timeout)), 0);
}

TEST_F(IngestServer, UnauthenticatedSessionIsClosedAfterTheLimit) {
    Limits l = test_limits();
    l.max_unauthenticated_time = 300ms;
    start(l);
    TestTerminal t(port());
    for (int i = 0; i < 3; ++i) t.send(id::kHeartbeat, {});  // heartbeats do not count
    EXPECT_TRUE(t.wait_closed(3s));
    EXPECT_EQ(value(stats_.refusal(Refusal::unauthenticated_timeout)), 1);
}

TEST_F(IngestServer, SendTextReachesAnAuthenticatedTerminal) {
    start();
    auto t = logged_in();
    EXPECT_FALSE(server_->send_text("19999999999", jt808::TextMessage{}));
    jt808::TextMessage text;
    text.flag = jt808::TextMessage::kFlagTts | jt808::TextMessage::kFlagDisplay;
    text.text = "您已超速，请减速慢行";
    std::promise<std::optional<std::uint16_t>> sent;
    ASSERT_TRUE(server_->send_text("13800138000", text,
                                   [&](std::optional<std::uint16_t> s) { sent.set_value(s); }));
    auto r = t->receive_id(id::kText);
    ASSERT_TRUE(r);
    auto b = r->decode();
    ASSERT_TRUE(b);
    const auto* m = std::get_if<jt808::TextMessage>(&*b);
    ASSERT_NE(m, nullptr);
    EXPECT_EQ(m->text, text.text);
    auto f = sent.get_future();
    ASSERT_EQ(f.wait_for(2s), std::future_status::ready);
    EXPECT_EQ(f.get(), std::optional<std::uint16_t>{r->header.serial});
}

TEST_F(IngestServer, StopClosesEverySession) {
    start();
    auto a = logged_in();
    auto b = logged_in("013900139000");
    server_->stop();
    EXPECT_TRUE(a->wait_closed(3s));
    EXPECT_TRUE(b->wait_closed(3s));
    EXPECT_EQ(server_->session_count(), 0u);
    EXPECT_EQ(value(stats_.close_reason(CloseReason::shutdown)), 2);
}

// ---- bad input --------------------------------------------------------------------------------

// A well-behaved terminal reports and gets its ack while the bad peer does its thing.
void expect_served(TestTerminal& good, CollectingSink& sink) {
    const std::size_t before = sink.position_count();
    const jt808::Location l = make_location(31'000'000, 120'000'000, 100, kGmt8Time);
    const auto serial = good.send_message(l);
    auto r = good.receive_id(id::kPlatformResponse);
    ASSERT_TRUE(r) << "the well-behaved terminal got no answer";
    EXPECT_EQ(r->ack().reply_serial, serial);
    EXPECT_EQ(r->ack().result, 0);
    EXPECT_TRUE(eventually([&] { return sink.position_count() == before + 1; }));
}

TEST_F(IngestServer, OversizedFrameClosesTheSessionAndIsCounted) {
    start();
    auto good = logged_in();
    TestTerminal bad(port(), "013900139000");
    std::vector<std::uint8_t> junk(5000, 0x30);
    junk.front() = jt808::kFlag;
    ASSERT_TRUE(bad.send_raw(junk));
    EXPECT_TRUE(bad.wait_closed(3s));
    EXPECT_EQ(value(stats_.refusal(Refusal::frame_too_large)), 1);
    EXPECT_EQ(value(stats_.decode_error(jt808::Errc::frame_too_large)), 1);
    expect_served(*good, sink_);
}

TEST_F(IngestServer, RandomBytesAreCountedAndDoNotDisturbOthers) {
    start();
    auto good = logged_in();
    TestTerminal bad(port(), "013900139000");
    std::mt19937 rng(808);
    std::uniform_int_distribution<int> byte(0, 255);
    std::vector<std::uint8_t> junk(256 * 1024);
    for (auto& b : junk) b = static_cast<std::uint8_t>(byte(rng));
    // A flag at least every 512 bytes, so the junk makes many short "frames" (bad checksums,
    // bad escapes, bad lengths) rather than one oversized one (that case has its own test).
    for (std::size_t i = 0; i < junk.size(); i += 512) junk[i] = jt808::kFlag;
    for (std::size_t off = 0; off < junk.size(); off += 4096) {
        if (!bad.send_raw(std::span<const std::uint8_t>(junk).subspan(off, 4096))) break;
        if (off % (64 * 1024) == 0) expect_served(*good, sink_);
    }
    expect_served(*good, sink_);
    const auto errors = [&] {
        double n = 0;
        for (auto* c : stats_.decode_errors) n += c->Value();
        return n;
    };
    EXPECT_TRUE(eventually([&] { return errors() > 100; })) << errors();
    EXPECT_EQ(sink_.position_count(), 5u);  // only the good terminal's
}

TEST_F(IngestServer, SlowDripConnectionIsClosedByTheAuthenticationDeadline) {
    Limits l = test_limits();
    l.max_unauthenticated_time = 500ms;
    start(l);
    auto good = logged_in();
    TestTerminal drip(port(), "013900139000");
    jt808::Buffer body;
    ASSERT_TRUE(jt808::encode_body(make_location(1, 2, 3, kGmt8Time), jt808::Dialect::v2013, body));
    const auto frames = drip.frames(id::kLocation, body, jt808::kMaxBodyBytes);
    bool closed = false;
    const auto deadline = std::chrono::steady_clock::now() + 3s;
    for (std::size_t i = 0; std::chrono::steady_clock::now() < deadline; ++i) {
        const std::uint8_t b = frames[0][i % frames[0].size()];
        if (!drip.send_raw(std::span<const std::uint8_t>(&b, 1))) {
            closed = true;
            break;
        }
        std::this_thread::sleep_for(50ms);
        if (drip.wait_closed(0ms)) {
            closed = true;
            break;
        }
    }
    EXPECT_TRUE(closed || drip.wait_closed(1s));
    EXPECT_EQ(value(stats_.refusal(Refusal::unauthenticated_timeout)), 1);
    expect_served(*good, sink_);
}

TEST_F(IngestServer, ConnectionsOverThePerAddressLimitAreRefusedAndCounted) {
    Limits l = test_limits();
    l.max_sessions_per_address = 16;
    start(l);
    auto good = logged_in();
    std::vector<std::unique_ptr<TestTerminal>> flood;
    for (int i = 0; i < 1000; ++i) {  // the acceptance test's "1 000 connections from one address"
        flood.push_back(std::make_unique<TestTerminal>(port(), "013900139000"));
        ASSERT_TRUE(flood.back()->connected());
    }
    // 15 fit beside the good terminal; the rest are accepted and closed at once.
    EXPECT_TRUE(eventually(
        [&] { return value(stats_.refusal(Refusal::max_sessions_per_address)) == 985; }, 10s));
    std::size_t closed = 0;
    for (auto& t : flood) closed += t->wait_closed(20ms) ? 1u : 0u;
    EXPECT_EQ(closed, 985u);
    EXPECT_EQ(server_->session_count(), 16u);
    expect_served(*good, sink_);
    flood.clear();
    EXPECT_TRUE(eventually([&] { return server_->session_count() == 1; }));
    TestTerminal later(port(), "013900139000");  // room again
    EXPECT_FALSE(later.wait_closed(100ms));
}

TEST_F(IngestServer, ConnectionsOverTheSessionLimitAreRefused) {
    Limits l = test_limits();
    l.max_sessions = 4;
    l.max_sessions_per_address = 0;
    start(l);
    auto good = logged_in();
    std::vector<std::unique_ptr<TestTerminal>> more;
    for (int i = 0; i < 10; ++i)
        more.push_back(std::make_unique<TestTerminal>(port(), "013900139000"));
    EXPECT_TRUE(eventually([&] { return value(stats_.refusal(Refusal::max_sessions)) == 7; }));
    expect_served(*good, sink_);
}

TEST_F(IngestServer, PeerThatDoesNotReadIsClosedWhenTheWriteQueueOverflows) {
    Limits l = test_limits();
    l.write_queue_bytes = 4096;
    l.send_buffer_bytes = 4096;
    start(l);
    auto good = logged_in();
    auto lazy = std::make_unique<TestTerminal>(port(), "013900139000", jt808::Dialect::v2013, 4096);
    ASSERT_TRUE(lazy->login());
    jt808::Buffer body;
    ASSERT_TRUE(jt808::encode_body(make_location(1, 2, 3, kGmt8Time), jt808::Dialect::v2013, body));
    jt808::Buffer burst;
    for (int i = 0; i < 200; ++i) {
        for (const auto& f : lazy->frames(id::kHeartbeat, {}, jt808::kMaxBodyBytes)) {
            burst.insert(burst.end(), f.begin(), f.end());
        }
    }
    // Heartbeats in bursts, never reading the acks; bounded in count and time.
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    bool closed = false;
    for (int i = 0; i < 5000 && std::chrono::steady_clock::now() < deadline; ++i) {
        if (!lazy->send_raw(burst)) {
            closed = true;
            break;
        }
        if (value(stats_.refusal(Refusal::write_queue_full)) >= 1) {
            closed = true;
            break;
        }
    }
    EXPECT_TRUE(closed);
    EXPECT_TRUE(eventually([&] { return value(stats_.refusal(Refusal::write_queue_full)) == 1; }));
    EXPECT_TRUE(
        eventually([&] { return value(stats_.close_reason(CloseReason::write_queue_full)) == 1; }));
    expect_served(*good, sink_);
}

}  // namespace
}  // namespace fleetwatch::ingest
