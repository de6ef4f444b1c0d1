// libFuzzer target for the JT/T 808 stream path: Framer -> parse_frame -> decode_body -> JSON,
// plus sub-package reassembly and encode/decode round trips.
//
// Input layout
//   A leading 0x7E means the input is a plain byte stream (so the seed frames from the test data
//   work as they are); the chunk pattern is then derived from the input length. Any other first
//   byte is a control byte that picks the chunk pattern (and sometimes a small frame limit) and
//   is not part of the stream:
//     bits 0-1  0: one byte at a time, 1: fixed chunks of (bits 2-7) + 1 bytes,
//               2: pseudo-random chunks of 1..64 bytes, 3: pseudo-random chunks of 1..1100 bytes
//     0xE0-0xFF additionally caps the Framer at 13 + 4 * (bits 0-4) un-escaped bytes
//   The whole input is also handed to parse_frame as one un-escaped frame, so raw (unflagged)
//   seeds reach the header and body parsers too.
//
// What counts as a bug (abort), besides sanitizer reports:
//   - grind: the frame/error events from feeding the stream whole, in the chosen chunks and one
//     byte at a time differ;
//   - a decoded 0x0200 / 0x0201 body does not re-encode to exactly the bytes it came from;
//     a fully decoded 0x0704 batch does not re-encode to its body;
//   - a decoded downlink body, encoded again and decoded, gives a different struct (checked only
//     where the round trip is lossless: text and names only when ASCII, see check_downlink);
//   - a parsed frame re-encoded with encode_frame does not frame and parse back to the same
//     header and body.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <span>
#include <string>
#include <type_traits>
#include <variant>
#include <vector>

#include "fleetwatch/jt808/decode.hpp"
#include "fleetwatch/jt808/encode.hpp"
#include "fleetwatch/jt808/error.hpp"
#include "fleetwatch/jt808/frame.hpp"
#include "fleetwatch/jt808/framer.hpp"
#include "fleetwatch/jt808/json.hpp"
#include "fleetwatch/jt808/messages.hpp"
#include "fleetwatch/jt808/reassembly.hpp"

namespace jt = fleetwatch::jt808;

namespace {

[[noreturn]] void fail(const char* what) {
    std::fprintf(stderr, "jt808_stream_fuzz: invariant broken: %s\n", what);
    std::abort();
}

void check(bool ok, const char* what) {
    if (!ok) fail(what);
}

// ---- grind: the events a Framer reports, in order ------------------------------------------

struct EventLog {
    std::vector<std::uint8_t> log;  // 'F' len(4) bytes... | 'E' code actual(8)

    void on_frame(std::span<const std::uint8_t> f) {
        log.push_back('F');
        put(f.size(), 4);
        log.insert(log.end(), f.begin(), f.end());
    }
    void on_frame_error(const jt::Error& e) {
        log.push_back('E');
        log.push_back(static_cast<std::uint8_t>(e.code));
        put(static_cast<std::uint64_t>(e.actual), 8);
    }
    void put(std::uint64_t v, int n) {
        for (int i = 0; i < n; ++i) log.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
    }
};

// Chunk sizes from a tiny xorshift generator, so one control byte gives a long varied pattern.
struct ChunkPlan {
    int mode = 0;
    std::size_t fixed = 1;
    std::size_t max = 1;
    std::uint32_t state = 1;

    std::size_t next() {
        switch (mode) {
            case 0: return 1;
            case 1: return fixed;
            default:
                state ^= state << 13;
                state ^= state >> 17;
                state ^= state << 5;
                return 1 + state % max;
        }
    }
};

template <class Sink>
void feed_chunked(jt::Framer& framer, jt::Bytes stream, ChunkPlan plan, Sink& sink) {
    while (!stream.empty()) {
        const std::size_t n = std::min(plan.next(), stream.size());
        framer.feed(stream.first(n), sink);
        stream = stream.subspan(n);
    }
}

// ---- invariants on decoded bodies -----------------------------------------------------------

bool ascii(const std::string& s) {
    for (const char c : s) {
        if (static_cast<unsigned char>(c) >= 0x80) return false;
    }
    return true;
}

template <class Areas>
bool names_ascii(const Areas& areas) {
    for (const auto& a : areas) {
        if (!ascii(a.name)) return false;
    }
    return true;
}

// Encodes `m` in `dialect`, decodes it again under `header` and compares with `expected`.
// An encoder refusal (a value the protocol cannot carry) is not a bug.
template <class M>
void round_trip(const M& m, const M& expected, const jt::Header& header, jt::Dialect dialect,
                const char* what) {
    jt::Buffer out;
    if (!jt::encode_body(m, dialect, out)) return;
    jt::Header h = header;
    h.encryption = 0;
    auto again = jt::decode_body(h, out);
    check(again.has_value(), what);
    const M* got = std::get_if<M>(&*again);
    check(got != nullptr, what);
    check(*got == expected, what);
}

// Downlink bodies are owning structs; decode(encode(decode(x))) must equal decode(x) wherever
// the encoding is lossless.
void check_downlink(const jt::Header& h, const jt::Body& body) {
    const jt::Dialect d = h.version == jt::HeaderVersion::v2019 ? jt::Dialect::v2019
                                                                 : jt::Dialect::v2013;
    std::visit(
        [&](const auto& m) {
            using M = std::decay_t<decltype(m)>;
            if constexpr (std::is_same_v<M, jt::PlatformResponse> ||
                          std::is_same_v<M, jt::TerminalResponse> ||
                          std::is_same_v<M, jt::PlatformResendRequest> ||
                          std::is_same_v<M, jt::TerminalResendRequest> ||
                          std::is_same_v<M, jt::ServerTime> ||
                          std::is_same_v<M, jt::SetParameters> ||
                          std::is_same_v<M, jt::AlarmConfirm> ||
                          std::is_same_v<M, jt::LocationQuery>) {
                round_trip(m, m, h, d, "downlink round trip (general, resend, time, params)");
            } else if constexpr (std::is_same_v<M, jt::RegistrationResponse>) {
                // The auth code is only sent with result 0.
                jt::RegistrationResponse expected = m;
                if (expected.result != 0) expected.auth_code.clear();
                round_trip(m, expected, h, d, "0x8100 round trip");
            } else if constexpr (std::is_same_v<M, jt::TextMessage>) {
                // GBK <-> UTF-8 is lossy for bytes that are not valid GBK; ASCII is exact.
                if (ascii(m.text)) round_trip(m, m, h, d, "0x8300 round trip");
            } else if constexpr (std::is_same_v<M, jt::SetCircleAreas> ||
                                 std::is_same_v<M, jt::SetRectangleAreas>) {
                if (names_ascii(m.areas)) round_trip(m, m, h, d, "0x8600/0x8602 round trip");
            } else if constexpr (std::is_same_v<M, jt::SetPolygonArea> ||
                                 std::is_same_v<M, jt::SetRoute>) {
                if (ascii(m.name)) round_trip(m, m, h, d, "0x8604/0x8606 round trip");
            }
        },
        body);
}

bool same_bytes(jt::Bytes a, jt::Bytes b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin());
}

// Walks every lazily decoded part of a location (the raw extra items).
void touch_location(const jt::Location& l) {
    std::size_t raw = 0;
    l.extras.for_each_raw([&raw](const jt::ExtraItem& item) { raw += item.value.size() + 2; });
    check(raw <= l.extras.items.size(), "raw extra items exceed the item bytes");
}

// A location body keeps everything after the basic block as raw bytes (items + trailing), so
// re-encoding it must give back exactly the body.
void check_location_bytes(const jt::Location& l, jt::Bytes body, const char* what) {
    jt::Buffer out;
    check(jt::encode_body(l, jt::Dialect::v2013, out).has_value(), what);
    check(same_bytes(out, body), what);
}

void check_body(const jt::Header& h, jt::Bytes raw_body, const jt::Body& body) {
    if (const auto* l = std::get_if<jt::Location>(&body)) {
        touch_location(*l);
        check_location_bytes(*l, raw_body, "0x0200 re-encode differs from its body");
    } else if (const auto* q = std::get_if<jt::LocationQueryResponse>(&body)) {
        touch_location(q->location);
        jt::Buffer out;
        check(jt::encode_body(*q, jt::Dialect::v2013, out).has_value(), "0x0201 encode");
        check(same_bytes(out, raw_body), "0x0201 re-encode differs from its body");
    } else if (const auto* b = std::get_if<jt::LocationBatch>(&body)) {
        std::vector<jt::Location> items;
        bool all_ok = true;
        jt::LocationBatchIterator it(*b);
        while (auto item = it.next()) {
            if (*item) {
                touch_location(**item);
                items.push_back(**item);
            } else {
                all_ok = false;
            }
        }
        check(items.size() <= b->count, "batch yielded more items than its count");
        if (all_ok && items.size() == b->count) {
            jt::Buffer out;
            check(jt::encode_location_batch(b->type, items, jt::Dialect::v2013, out).has_value(),
                  "0x0704 encode");
            check(same_bytes(out, raw_body), "0x0704 re-encode differs from its body");
        }
    } else if (const auto* p = std::get_if<jt::ParameterQueryResponse>(&body)) {
        jt::ParameterIterator it(p->items);
        while (auto v = it.next()) check(v->value.size() <= 0xFF, "parameter value too long");
        check(it.ok(), "0x0104 decoded although its items do not parse");
    } else if (const auto* m = std::get_if<jt::MultimediaData>(&body)) {
        if (m->location) touch_location(*m->location);
    }
    check_downlink(h, body);
}

void decode_all(const jt::Header& h, jt::Bytes body, std::string& sink) {
    static constexpr std::optional<jt::Dialect> kHints[] = {
        std::nullopt, jt::Dialect::v2011, jt::Dialect::v2013, jt::Dialect::v2019};
    // The hint only changes 0x0100 and 0x0702 bodies; rendering JSON once for the others keeps
    // the fuzzer fast (every hint is still decoded and checked).
    const bool hint_matters =
        h.msg_id == jt::msg_id::kRegister || h.msg_id == jt::msg_id::kDriverIdentity;
    for (const auto& hint : kHints) {
        auto decoded = jt::decode_body(h, body, jt::DecodeOptions{hint});
        const bool render = hint_matters || !hint;
        if (!decoded) {
            if (render) sink += jt::error_to_json(decoded.error()).dump();
            continue;
        }
        check_body(h, body, *decoded);
        (void)jt::dialect_of(h, *decoded);
        if (render) {
            sink += jt::frame_to_json(h, *decoded)
                        .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
        }
    }
}

// A parsed frame, written again with encode_frame and framed and parsed back, must give the same
// header and body. Not for frames whose header cannot be written as read: a 2019 bit on a 2013
// layout, the vendor one-byte serial, or the reserved attribute bit 15.
void check_reframe(const jt::Frame& f) {
    const jt::Header& h = f.header;
    if (h.misflagged_2019 || h.short_serial || (h.attributes & 0x8000) != 0) return;
    jt::OutboundHeader o;
    o.msg_id = h.msg_id;
    o.dialect = h.version == jt::HeaderVersion::v2019 ? jt::Dialect::v2019 : jt::Dialect::v2013;
    o.protocol_version = h.protocol_version;
    o.phone = *jt::PhoneNumber::from_digits(h.phone.digits());
    o.serial = h.serial;
    o.package = h.package;
    o.encryption = h.encryption;
    jt::Buffer wire;
    check(jt::encode_frame(o, f.body, wire).has_value(), "encode_frame refused a parsed frame");

    struct One {
        jt::Bytes body;
        std::optional<jt::Header> header;
        int frames = 0;
        int errors = 0;
        void on_frame(std::span<const std::uint8_t> u) {
            ++frames;
            auto p = jt::parse_frame(u);
            check(p.has_value(), "re-encoded frame does not parse");
            header = p->header;
            check(same_bytes(p->body, body), "re-encoded frame body differs");
        }
        void on_frame_error(const jt::Error&) { ++errors; }
    } one{f.body, std::nullopt, 0, 0};
    jt::Framer framer;
    framer.feed(wire, one);
    check(one.frames == 1 && one.errors == 0, "re-encoded frame does not frame as one frame");
    const jt::Header& g = *one.header;
    check(g.msg_id == h.msg_id && g.attributes == h.attributes && g.body_length == h.body_length &&
              g.encryption == h.encryption && g.version == h.version &&
              g.protocol_version == h.protocol_version && g.phone.digits() == h.phone.digits() &&
              g.serial == h.serial && g.package == h.package && !g.misflagged_2019 &&
              !g.short_serial,
          "re-encoded frame header differs");
}

// ---- the per-frame pipeline -----------------------------------------------------------------

struct Pipeline {
    jt::Reassembler reassembler{jt::ReassemblyLimits{
        .max_pending_messages = 3,
        .max_buffered_bytes = 8 * 1024,
        .max_packages = 64,
        .resend_after = std::chrono::milliseconds{50},
        .timeout = std::chrono::milliseconds{400},
    }};
    jt::Reassembler::Clock::time_point now{};
    std::string json;  // every JSON rendering, so nothing is optimised away
    std::size_t frames = 0;

    void on_frame(std::span<const std::uint8_t> unescaped) {
        ++frames;
        process(unescaped);
    }
    void on_frame_error(const jt::Error& e) { json += e.message(); }

    void process(jt::Bytes unescaped) {
        auto f = jt::parse_frame(unescaped);
        if (!f) {
            json += jt::error_to_json(f.error()).dump();
            return;
        }
        check(f->body.size() == f->header.body_length, "body length differs from the header");
        check(f->header.size() + f->body.size() + 1 == unescaped.size(),
              "header + body + check byte differ from the frame size");
        check_reframe(*f);
        decode_all(f->header, f->body, json);
        if (f->header.package) reassemble(*f);
    }

    void reassemble(const jt::Frame& f) {
        now += std::chrono::milliseconds{10};
        auto r = reassembler.add(f, now);
        if (!r) {
            json += r.error().message();
        } else if (*r) {
            const jt::ReassembledMessage& m = **r;
            check(!m.header.package, "a reassembled header still names a package");
            decode_all(m.header, m.body, json);
        }
        std::vector<jt::Error> dropped;
        for (const auto& due : reassembler.due_resends(now, &dropped)) {
            check(!due.missing.empty(), "a resend request with nothing missing");
        }
        check(reassembler.pending() <= 3, "reassembler holds more messages than its limit");
        check(reassembler.buffered_bytes() <= 8 * 1024, "reassembler holds more bytes than its limit");
    }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    const jt::Bytes input{data, size};

    // The whole input as one un-escaped frame (reaches the parsers without flags).
    {
        Pipeline direct;
        direct.process(input);
    }

    ChunkPlan plan;
    std::size_t cap = jt::kMaxUnescapedFrame;
    jt::Bytes stream = input;
    if (data[0] == jt::kFlag) {
        plan.mode = 2 + static_cast<int>(size & 1);
        plan.state = static_cast<std::uint32_t>(size) * 2654435761u | 1u;
    } else {
        const std::uint8_t c = data[0];
        stream = input.subspan(1);
        plan.mode = c & 3;
        plan.fixed = (c >> 2) + 1u;
        plan.state = c * 2654435761u | 1u;
        if (c >= 0xE0) cap = 13 + 4u * (c & 0x1F);
    }
    plan.max = plan.mode == 2 ? 64 : 1100;

    // Grind: whole, chunked and byte-by-byte feeds report the same events.
    EventLog whole;
    {
        jt::Framer framer(cap);
        framer.feed(stream, whole);
    }
    EventLog chunked;
    {
        jt::Framer framer(cap);
        feed_chunked(framer, stream, plan, chunked);
    }
    check(whole.log == chunked.log, "grind: chunked feed differs from the whole feed");
    EventLog bytewise;
    {
        jt::Framer framer(cap);
        feed_chunked(framer, stream, ChunkPlan{}, bytewise);
    }
    check(whole.log == bytewise.log, "grind: byte-by-byte feed differs from the whole feed");

    // The full pipeline on the chunked stream.
    Pipeline pipeline;
    jt::Framer framer(cap);
    feed_chunked(framer, stream, plan, pipeline);
    check(pipeline.frames == framer.stats().frames, "frame count differs from the framer's stats");
    return 0;
}
