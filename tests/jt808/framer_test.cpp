#include "fleetwatch/jt808/framer.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "corpus.hpp"
#include "fleetwatch/jt808/decode.hpp"
#include "fleetwatch/jt808/encode.hpp"
#include "fleetwatch/jt808/frame.hpp"
#include "fleetwatch/jt808/json.hpp"

namespace fleetwatch::jt808 {
namespace {

using ByteVec = std::vector<std::uint8_t>;

ByteVec hex(std::string_view text) {
    auto b = from_hex(text);
    if (!b) throw std::invalid_argument("bad hex in test: " + std::string(text));
    return *b;
}

ByteVec cat(std::initializer_list<ByteVec> parts) {
    ByteVec out;
    for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
    return out;
}

// A Framer sink that writes down everything the stream produced, in order: each frame as hex
// plus what parse_frame + decode_body + frame_to_json make of it, and each framer error by its
// reason. Two feeds of the same bytes must leave identical logs, however they were chunked.
struct EventLog {
    std::vector<std::string> events;
    std::vector<ByteVec> frames;
    std::vector<Error> errors;

    void on_frame(std::span<const std::uint8_t> unescaped) {
        frames.emplace_back(unescaped.begin(), unescaped.end());
        std::string line = "frame " + to_hex(unescaped) + " -> ";
        auto frame = parse_frame(unescaped);
        if (!frame) {
            line += error_to_json(frame.error()).dump();
        } else if (auto body = decode_body(*frame); !body) {
            line += error_to_json(body.error()).dump();
        } else {
            line += frame_to_json(frame->header, *body)
                        .dump(-1, ' ', false, Json::error_handler_t::replace);
        }
        events.push_back(std::move(line));
    }
    void on_frame_error(const Error& e) {
        errors.push_back(e);
        events.push_back("error " + std::string(to_string(e.code)));
    }
};

EventLog feed_whole(const ByteVec& wire) {
    EventLog log;
    Framer framer;
    framer.feed(wire, log);
    return log;
}

EventLog feed_split(const ByteVec& wire, std::size_t at) {
    EventLog log;
    Framer framer;
    const std::span<const std::uint8_t> all(wire);
    framer.feed(all.first(at), log);
    framer.feed(all.subspan(at), log);
    return log;
}

EventLog feed_bytewise(const ByteVec& wire) {
    EventLog log;
    Framer framer;
    for (std::size_t i = 0; i < wire.size(); ++i) {
        framer.feed(std::span<const std::uint8_t>(wire).subspan(i, 1), log);
    }
    return log;
}

// Beast-style parsegrind: whole, every 2-way split, one byte at a time. Returns the whole-feed
// log so callers can also check what it contains.
EventLog grind(const ByteVec& wire, const std::string& what) {
    EventLog whole = feed_whole(wire);
    for (std::size_t at = 0; at <= wire.size(); ++at) {
        const EventLog split = feed_split(wire, at);
        if (split.events != whole.events) {
            ADD_FAILURE() << what << ": split at byte " << at << " of " << wire.size()
                          << " changes the output";
            break;
        }
    }
    EXPECT_EQ(feed_bytewise(wire).events, whole.events) << what << ": one byte at a time";
    return whole;
}

// Wire form of a Traccar row (the frames there are un-escaped between their flags).
ByteVec traccar_wire(const ByteVec& bytes) {
    if (bytes.size() >= 2 && bytes.front() == kFlag && bytes.back() == kFlag) {
        return testing::to_wire(ByteVec(bytes.begin() + 1, bytes.end() - 1));
    }
    return bytes;  // e.g. the framer test's own input, already on the wire with garbage
}

// ---- Grind over the shared corpora ------------------------------------------------------

TEST(FramerGrind, EverySmallChiFrameGivesTheSameEventsWholeSplitAnywhereOrByteByByte) {
    std::size_t frames = 0;
    std::size_t decoded_ok = 0;
    for (const auto& row : testing::read_corpus("smallchi_vectors.tsv")) {
        if (row.at("kind") != "frame") continue;  // body/codec/header rows carry no frame
        const auto bytes = from_hex(row.at("hex"));
        ASSERT_TRUE(bytes) << "smallchi line " << row.line << " hex does not parse";
        const std::string what = "smallchi_vectors.tsv line " + std::to_string(row.line);
        const EventLog log = grind(*bytes, what);
        EXPECT_FALSE(log.frames.empty()) << what << " yields no frame";
        for (const auto& e : log.events) decoded_ok += e.find("\"ok\":true") != std::string::npos;
        ++frames;
    }
    EXPECT_GE(frames, 190u);  // the corpus holds 193 frame rows
    EXPECT_GT(decoded_ok, frames / 2);
}

void grind_traccar_file(const std::string& file, std::size_t at_least) {
    std::size_t frames = 0;
    for (const auto& row : testing::read_corpus(file)) {
        if (row.at("message_id") == "text") continue;  // ASCII text protocol rows, not JT/T 808
        const auto bytes = from_hex(row.at("hex"));
        ASSERT_TRUE(bytes) << file << " line " << row.line << " hex does not parse";
        const std::string what = file + " line " + std::to_string(row.line);
        const EventLog log = grind(traccar_wire(*bytes), what);
        EXPECT_FALSE(log.frames.empty()) << what << " yields no frame";
        ++frames;
    }
    EXPECT_GE(frames, at_least);
}

TEST(FramerGrind, EveryTraccarFrameEscapedForTheWireGivesTheSameEventsHoweverSplit) {
    grind_traccar_file("traccar_frames.tsv", 120);
}

TEST(FramerGrind, EveryTraccarIssueFrameGivesTheSameEventsHoweverSplit) {
    grind_traccar_file("traccar_issue_frames.tsv", 16);
}

// A stream with everything a real connection throws at us: garbage before the first flag,
// doubled flags, frames with escapes (also in the check byte), a frame with a bad escape, a
// dangling escape, a bad checksum, garbage between flags and a sub-package.
ByteVec nasty_stream() {
    return cat({
        hex("2424 41"),  // garbage before the first flag
        hex("7E0200002612345678901200" "7D02" "000000010000000200BA7F0E07E4F11C0028003C00001810151010"
            "10010400000064020200" "7D01" "137E"),  // SmallChi README worked frame
        hex("7E"),                                   // doubled flag
        hex("7E00020000040021679287002B7D027E"),     // heartbeat whose check byte is 0x7E
        hex("7E 30 7D 03 31 7E"),                    // escape + invalid byte
        hex("7E 01 02 03 7E"),                       // garbage between flags
        hex("7E 30 31 7D 7E"),                       // dangling escape, flag starts the next
        hex("7E00020000040021679287002C7D027E"),     // bad checksum (serial changed)
        hex("7E7E7E"),
        hex("7E00020000040021679287002B7D027E"),
        hex("7E 55 55"),  // partial frame at the end of the stream: nothing emitted
    });
}

TEST(FramerGrind, MultiFrameStreamGivesTheSameEventsHoweverSplit) {
    const ByteVec wire = nasty_stream();
    const EventLog log = grind(wire, "multi-frame stream");
    std::vector<std::string> kinds;
    for (const auto& e : log.events) kinds.push_back(e.substr(0, e.find(' ')));
    const std::vector<std::string> expected{"error", "frame", "frame", "error", "frame",
                                            "error", "frame", "frame"};
    EXPECT_EQ(kinds, expected);
    ASSERT_EQ(log.errors.size(), 3u);
    EXPECT_EQ(log.errors[0].code, Errc::unframed_bytes);
    EXPECT_EQ(log.errors[1].code, Errc::bad_escape);
    EXPECT_EQ(log.errors[2].code, Errc::bad_escape);
}

TEST(FramerGrind, MultiFrameStreamGivesTheSameEventsSplitIntoThreeChunksAnywhere) {
    const ByteVec wire = nasty_stream();
    const EventLog whole = feed_whole(wire);
    const std::span<const std::uint8_t> all(wire);
    for (std::size_t a = 0; a <= wire.size(); ++a) {
        for (std::size_t b = a; b <= wire.size(); ++b) {
            EventLog log;
            Framer framer;
            framer.feed(all.subspan(0, a), log);
            framer.feed(all.subspan(a, b - a), log);
            framer.feed(all.subspan(b), log);
            ASSERT_EQ(log.events, whole.events) << "split at " << a << " and " << b;
        }
    }
}

// ---- Escaping ---------------------------------------------------------------------------

TEST(FramerEscaping, StandardExampleIsEscapedOnTheWayOut) {
    // [S2013] 4.4.2: 30 7E 08 7D 55 is sent as 7E 30 7D 02 08 7D 01 55 7E.
    ByteVec out;
    escape_into(hex("307E087D55"), out);
    EXPECT_EQ(to_hex(out), "7e307d02087d01557e");
}

TEST(FramerEscaping, StandardExampleIsUnescapedOnTheWayIn) {
    EventLog log;
    Framer framer;
    framer.feed(hex("7E307D02087D01557E"), log);
    ASSERT_EQ(log.frames.size(), 1u);
    EXPECT_EQ(to_hex(log.frames[0]), "307e087d55");
    EXPECT_TRUE(log.errors.empty());
}

TEST(FramerEscaping, WorkedFrameFromSmallChiReadmeUnescapesSerialFuelAndChecksum) {
    const ByteVec wire = hex(
        "7E 0200 0026 123456789012 007D02 00000001 00000002 00BA7F0E 07E4F11C 0028 003C 0000 "
        "181015101010 01 04 00000064 02 02 007D01 13 7E");
    EventLog log;
    Framer framer;
    framer.feed(wire, log);
    ASSERT_EQ(log.frames.size(), 1u);
    auto frame = parse_frame(log.frames[0]);
    ASSERT_TRUE(frame) << frame.error().message();
    EXPECT_EQ(frame->header.serial, 0x007E);
    EXPECT_EQ(log.frames[0].back(), 0x13);
    auto body = decode_body(*frame);
    ASSERT_TRUE(body);
    const auto& loc = std::get<Location>(*body);
    ASSERT_TRUE(loc.extras.fuel_100ml);
    EXPECT_EQ(*loc.extras.fuel_100ml, 0x007D);
    EXPECT_EQ(loc.extras.mileage_100m, 100u);
}

TEST(FramerEscaping, EscapedChecksumByte) {
    // SmallChi codec row: a heartbeat whose XOR is 0x7E, sent as 7D 02 before the end flag.
    EventLog log;
    Framer framer;
    framer.feed(hex("7E00020000040021679287002B7D027E"), log);
    ASSERT_EQ(log.frames.size(), 1u);
    EXPECT_EQ(log.frames[0].back(), 0x7E);
    auto frame = parse_frame(log.frames[0]);
    ASSERT_TRUE(frame) << frame.error().message();
    EXPECT_EQ(frame->header.msg_id, 0x0002);
    EXPECT_EQ(frame->header.serial, 0x002B);
}

TEST(FramerEscaping, ChecksumOf0x7DIsEscapedAndUnescaped) {
    // Change the serial so that the XOR becomes 0x7D: 0x2B ^ 0x7E ^ 0x7D = 0x28.
    ByteVec unescaped = hex("00020000040021679287 0028");
    unescaped.push_back(xor_checksum(unescaped));
    ASSERT_EQ(unescaped.back(), 0x7D);
    const ByteVec wire = testing::to_wire(unescaped);
    EXPECT_EQ(to_hex(wire).substr(to_hex(wire).size() - 6), "7d017e");
    EventLog log;
    Framer framer;
    framer.feed(wire, log);
    ASSERT_EQ(log.frames.size(), 1u);
    EXPECT_EQ(log.frames[0], unescaped);
    EXPECT_TRUE(parse_frame(log.frames[0]));
}

// ---- Negative framer tests --------------------------------------------------------------

const ByteVec kHeartbeat = hex("7E00020000040021679287002B7D027E");

TEST(FramerErrors, DanglingEscapeAtEnd) {
    EventLog log;
    Framer framer;
    framer.feed(cat({hex("7E 30 31 7D 7E"), kHeartbeat}), log);
    ASSERT_EQ(log.errors.size(), 1u);
    EXPECT_EQ(log.errors[0].code, Errc::bad_escape);
    ASSERT_EQ(log.frames.size(), 1u) << "the broken frame must not be delivered";
    EXPECT_TRUE(parse_frame(log.frames[0]));
}

TEST(FramerErrors, DanglingEscapeWhoseFlagAlsoOpensTheNextFrame) {
    // The flag after the dangling escape is the start flag of the next frame.
    EventLog log;
    Framer framer;
    framer.feed(hex("7E 30 31 7D 7E 00020000040021679287002B7D02 7E"), log);
    ASSERT_EQ(log.errors.size(), 1u);
    EXPECT_EQ(log.errors[0].code, Errc::bad_escape);
    ASSERT_EQ(log.frames.size(), 1u);
    EXPECT_TRUE(parse_frame(log.frames[0]));
}

TEST(FramerErrors, EscapeFollowedByInvalidByte) {
    EventLog log;
    Framer framer;
    framer.feed(cat({hex("7E 30 7D 03 31 32 7E"), kHeartbeat}), log);
    ASSERT_EQ(log.errors.size(), 1u);
    EXPECT_EQ(log.errors[0].code, Errc::bad_escape);
    EXPECT_EQ(log.errors[0].actual, 0x03);
    ASSERT_EQ(log.frames.size(), 1u) << "bytes after the bad escape must be discarded";
    EXPECT_TRUE(parse_frame(log.frames[0]));
    EXPECT_EQ(framer.stats().errors, 1u);
    EXPECT_EQ(framer.stats().frames, 1u);
}

TEST(FramerErrors, FrameTooLargeIsSkippedAndNextFrameDecodes) {
    ByteVec huge{kFlag};
    huge.insert(huge.end(), kMaxUnescapedFrame + 10, 0x11);
    huge.push_back(kFlag);
    EventLog log;
    Framer framer;
    framer.feed(cat({huge, kHeartbeat}), log);
    ASSERT_EQ(log.errors.size(), 1u);
    EXPECT_EQ(log.errors[0].code, Errc::frame_too_large);
    ASSERT_EQ(log.frames.size(), 1u);
    auto frame = parse_frame(log.frames[0]);
    ASSERT_TRUE(frame);
    EXPECT_EQ(frame->header.msg_id, 0x0002);
}

TEST(FramerErrors, FrameTooLargeSharingItsEndFlagWithTheNextFrameStillLetsItDecode) {
    ByteVec wire{kFlag};
    wire.insert(wire.end(), 40, 0x11);
    const ByteVec next = hex("00020000040021679287002B7D027E");  // no start flag of its own
    wire.push_back(kFlag);
    wire.insert(wire.end(), next.begin(), next.end());
    EventLog log;
    Framer framer(32);
    framer.feed(wire, log);
    ASSERT_EQ(log.errors.size(), 1u);
    EXPECT_EQ(log.errors[0].code, Errc::frame_too_large);
    ASSERT_EQ(log.frames.size(), 1u);
    EXPECT_TRUE(parse_frame(log.frames[0]));
}

TEST(FramerErrors, FrameExactlyAtTheLimitIsKeptAndOneByteMoreIsNot) {
    {
        EventLog log;
        Framer framer(13);
        framer.feed(kHeartbeat, log);  // 13 bytes un-escaped, the last one escaped on the wire
        EXPECT_TRUE(log.errors.empty());
        EXPECT_EQ(log.frames.size(), 1u);
    }
    {
        EventLog log;
        Framer framer(12);
        framer.feed(kHeartbeat, log);
        ASSERT_EQ(log.errors.size(), 1u);
        EXPECT_EQ(log.errors[0].code, Errc::frame_too_large);
        EXPECT_TRUE(log.frames.empty());
    }
    {
        EventLog log;
        Framer framer(4);
        framer.feed(hex("7E 01 02 03 04 05 7E 01 02 03 04 7E"), log);
        ASSERT_EQ(log.errors.size(), 1u);
        ASSERT_EQ(log.frames.size(), 1u);
        EXPECT_EQ(to_hex(log.frames[0]), "01020304");
    }
}

TEST(FramerErrors, GarbageBeforeFirstFlagIsCountedAsUnframed) {
    EventLog log;
    Framer framer;
    framer.feed(cat({hex("24 24 41"), kHeartbeat}), log);
    ASSERT_EQ(log.errors.size(), 1u);
    EXPECT_EQ(log.errors[0].code, Errc::unframed_bytes);
    EXPECT_EQ(log.errors[0].actual, 3);
    EXPECT_EQ(framer.stats().unframed_bytes, 3u);
    ASSERT_EQ(log.frames.size(), 1u);
    EXPECT_TRUE(parse_frame(log.frames[0]));
}

TEST(FramerErrors, UnframedBytesAreReportedOnceWhenTheFlagArrivesInALaterChunk) {
    EventLog log;
    Framer framer;
    framer.feed(hex("2424"), log);
    EXPECT_TRUE(log.errors.empty()) << "garbage is reported once the flag shows where it ends";
    framer.feed(hex("41"), log);
    framer.feed(kHeartbeat, log);
    ASSERT_EQ(log.errors.size(), 1u);
    EXPECT_EQ(log.errors[0].actual, 3);
    EXPECT_EQ(log.frames.size(), 1u);
}

TEST(FramerErrors, DoubleFlagBetweenFramesYieldsNoEmptyFrame) {
    EventLog log;
    Framer framer;
    framer.feed(cat({kHeartbeat, kHeartbeat, hex("7E7E7E"), kHeartbeat}), log);
    EXPECT_EQ(log.frames.size(), 3u);
    for (const auto& f : log.frames) EXPECT_FALSE(f.empty());
    EXPECT_TRUE(log.errors.empty());
}

TEST(FramerErrors, GarbageBetweenFramesIsRejectedNotMerged) {
    EventLog log;
    Framer framer;
    framer.feed(cat({kHeartbeat, hex("7E 01 02 03 7E"), kHeartbeat}), log);
    ASSERT_EQ(log.frames.size(), 3u);
    EXPECT_EQ(to_hex(log.frames[1]), "010203") << "garbage stays a frame of its own";
    EXPECT_EQ(log.frames[0], log.frames[2]) << "neither neighbour absorbed the garbage";
    EXPECT_TRUE(parse_frame(log.frames[0]));
    auto garbage = parse_frame(log.frames[1]);
    ASSERT_FALSE(garbage);
    EXPECT_EQ(garbage.error().code, Errc::truncated);
    EXPECT_TRUE(parse_frame(log.frames[2]));
}

TEST(FramerErrors, ResetForgetsAPartialFrame) {
    EventLog log;
    Framer framer;
    framer.feed(hex("7E 00 02 00 00"), log);
    EXPECT_EQ(framer.buffered(), 4u);
    framer.reset();
    EXPECT_EQ(framer.buffered(), 0u);
    framer.feed(kHeartbeat, log);
    ASSERT_EQ(log.frames.size(), 1u);
    EXPECT_TRUE(parse_frame(log.frames[0]));
}

}  // namespace
}  // namespace fleetwatch::jt808
