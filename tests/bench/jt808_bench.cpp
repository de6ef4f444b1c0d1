// JT/T 808 codec benchmarks (Google Benchmark). docs/performance.md records the figures.
//
// The hot path is what the server does per position report: Framer::feed on a TCP chunk ->
// parse_frame -> decode_body / decode_location -> read the fields, then an 0x8001 reply. Each
// benchmark feeds a buffer of many back-to-back frames, so the per-call overhead of feed() is
// what a busy connection sees, and reports items_per_second (frames/s) and bytes_per_second
// (wire bytes).
//
// No-allocation proof: this binary replaces the global operator new/delete with counting
// versions (malloc-based, one relaxed atomic). Every steady-state benchmark reads the counter
// around its timed loop and reports `allocs_per_frame`; the hot-path ones call SkipWithError
// when it is not 0 and the binary then exits with status 1, so a regression fails the run
// (scripts/test.sh runs it; ctest runs it as `jt808_bench_no_alloc`). The JSON benchmark
// allocates by design and only reports the figure.
#include <benchmark/benchmark.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <new>
#include <span>
#include <string>
#include <vector>

#include "counting_allocator.hpp"
#include "fleetwatch/jt808/decode.hpp"
#include "fleetwatch/jt808/encode.hpp"
#include "fleetwatch/jt808/frame.hpp"
#include "fleetwatch/jt808/framer.hpp"
#include "fleetwatch/jt808/json.hpp"
#include "fleetwatch/jt808/messages.hpp"

namespace {

namespace jt = fleetwatch::jt808;

bool g_failed = false;  // a hot-path benchmark allocated or decoded wrongly: exit status 1

void fail(benchmark::State& state, const std::string& why) {
    g_failed = true;
    state.SkipWithError(why.c_str());
}

using fleetwatch::bench::AllocationProbe;

// Sets allocs_per_frame; for hot-path benchmarks anything but 0 fails the run.
void report_allocations(benchmark::State& state, const AllocationProbe& probe,
                        std::uint64_t frames, bool must_be_zero) {
    const std::uint64_t allocs = probe.count();
    state.counters["allocs_per_frame"] =
        frames == 0 ? 0.0 : static_cast<double>(allocs) / static_cast<double>(frames);
    if (must_be_zero && allocs != 0) {
        fail(state, "heap allocation on the hot path: " + std::to_string(allocs) +
                        " allocations in " + std::to_string(frames) + " frames");
    }
}

// ---- test frames ----------------------------------------------------------------------------

constexpr std::size_t kFramesPerBuffer = 1000;
constexpr std::size_t kBatchItems = 20;

// A typical moving-vehicle report: basic block + mileage 0x01, fuel 0x02, signal 0x30,
// satellites 0x31 (44-byte body; 59 bytes on the wire with a 2013 header).
jt::Location typical_location(std::uint32_t i) {
    jt::Location l;
    l.alarm = 0;
    l.status = 0x000C0003;  // ACC on, positioned, GPS + BeiDou
    l.lat_e6 = 31'230'416 + i % 1000;
    l.lon_e6 = 121'473'701 + i % 1000;
    l.altitude_m = 12;
    l.speed_dkmh = static_cast<std::uint16_t>(600 + i % 200);
    l.direction = static_cast<std::uint16_t>(i % 360);
    l.time = jt::BcdTime::from_civil(
        fleetwatch::core::CivilTime{2025, 3, 10, 8, static_cast<int>(i / 60 % 60),
                                    static_cast<int>(i % 60)});
    l.extras.mileage_100m = 123'456 + i;
    l.extras.fuel_100ml = 512;
    l.extras.signal_strength = 25;
    l.extras.satellites = 14;
    return l;
}

jt::OutboundHeader terminal_header(jt::Dialect dialect, std::uint16_t serial) {
    jt::OutboundHeader h;
    h.msg_id = jt::msg_id::kLocation;
    h.dialect = dialect;
    h.phone = *jt::PhoneNumber::from_digits("13800138000");
    h.serial = serial;
    return h;
}

// kFramesPerBuffer 0x0200 frames back to back, as one TCP stream would carry them.
jt::Buffer location_stream(jt::Dialect dialect) {
    jt::Buffer wire;
    jt::Buffer body;
    for (std::uint32_t i = 0; i < kFramesPerBuffer; ++i) {
        body.clear();
        (void)jt::encode_body(typical_location(i), dialect, body);
        (void)jt::encode_frame(terminal_header(dialect, static_cast<std::uint16_t>(i)), body, wire);
    }
    return wire;
}

// kFramesPerBuffer 0x0704 frames of kBatchItems locations each.
jt::Buffer batch_stream() {
    jt::Buffer wire;
    jt::Buffer body;
    std::vector<jt::Location> items;
    for (std::uint32_t i = 0; i < kFramesPerBuffer; ++i) {
        items.clear();
        for (std::uint32_t k = 0; k < kBatchItems; ++k) {
            items.push_back(typical_location(static_cast<std::uint32_t>(i * kBatchItems + k)));
        }
        body.clear();
        (void)jt::encode_location_batch(1, items, jt::Dialect::v2013, body);
        auto h = terminal_header(jt::Dialect::v2013, static_cast<std::uint16_t>(i));
        h.msg_id = jt::msg_id::kLocationBatch;
        (void)jt::encode_frame(h, body, wire);
    }
    return wire;
}

// Un-escaped frames (what the Framer hands on), stored contiguously, for the no-framing case.
struct UnescapedFrames {
    std::vector<std::uint8_t> bytes;
    std::vector<std::pair<std::size_t, std::size_t>> spans;  // offset, length

    void on_frame(std::span<const std::uint8_t> f) {
        spans.emplace_back(bytes.size(), f.size());
        bytes.insert(bytes.end(), f.begin(), f.end());
    }
    void on_frame_error(const jt::Error&) {}
};

// What the server reads from a position: a few fields folded into one value the optimiser
// cannot drop.
std::uint64_t touch(const jt::Location& l) {
    return std::uint64_t{l.lat_e6} + l.lon_e6 + l.speed_dkmh + static_cast<std::uint64_t>(l.time.civil.second) +
           l.extras.mileage_100m.value_or(0) + l.extras.satellites.value_or(0);
}

// ---- sinks ----------------------------------------------------------------------------------

// Framer -> parse_frame -> decode_body (the generic dispatcher) -> touch.
struct DecodeBodySink {
    std::uint64_t frames = 0;
    std::uint64_t bad = 0;
    std::uint64_t sum = 0;

    void on_frame(std::span<const std::uint8_t> unescaped) {
        ++frames;
        auto f = jt::parse_frame(unescaped);
        if (!f) {
            ++bad;
            return;
        }
        auto body = jt::decode_body(*f);
        const jt::Location* l = body ? std::get_if<jt::Location>(&*body) : nullptr;
        if (l == nullptr) {
            ++bad;
            return;
        }
        sum += touch(*l);
    }
    void on_frame_error(const jt::Error&) { ++bad; }
};

// Framer -> parse_frame -> decode_location (a caller that switches on msg_id itself).
struct DecodeLocationSink {
    std::uint64_t frames = 0;
    std::uint64_t bad = 0;
    std::uint64_t sum = 0;

    void on_frame(std::span<const std::uint8_t> unescaped) {
        ++frames;
        auto f = jt::parse_frame(unescaped);
        if (!f || f->header.msg_id != jt::msg_id::kLocation) {
            ++bad;
            return;
        }
        auto l = jt::decode_location(f->body);
        if (!l) {
            ++bad;
            return;
        }
        sum += touch(*l);
    }
    void on_frame_error(const jt::Error&) { ++bad; }
};

// Framer -> parse_frame -> decode_body -> iterate every 0x0704 item.
struct BatchSink {
    std::uint64_t frames = 0;
    std::uint64_t items = 0;
    std::uint64_t bad = 0;
    std::uint64_t sum = 0;

    void on_frame(std::span<const std::uint8_t> unescaped) {
        ++frames;
        auto f = jt::parse_frame(unescaped);
        if (!f) {
            ++bad;
            return;
        }
        auto body = jt::decode_body(*f);
        const jt::LocationBatch* b = body ? std::get_if<jt::LocationBatch>(&*body) : nullptr;
        if (b == nullptr) {
            ++bad;
            return;
        }
        jt::LocationBatchIterator it(*b);
        while (auto item = it.next()) {
            if (!*item) {
                ++bad;
                continue;
            }
            ++items;
            sum += touch(**item);
        }
    }
    void on_frame_error(const jt::Error&) { ++bad; }
};

// Framer only: counts frames.
struct CountSink {
    std::uint64_t frames = 0;
    std::uint64_t bytes = 0;
    void on_frame(std::span<const std::uint8_t> f) {
        ++frames;
        bytes += f.size();
    }
    void on_frame_error(const jt::Error&) {}
};

// ---- benchmarks -----------------------------------------------------------------------------

template <class Sink>
void run_stream(benchmark::State& state, const jt::Buffer& wire) {
    jt::Framer framer;  // allocates its frame buffer once, here
    Sink sink;
    const AllocationProbe probe;
    for (auto _ : state) {
        framer.feed(wire, sink);
        benchmark::DoNotOptimize(sink.sum);
    }
    const auto iterations = static_cast<std::uint64_t>(state.iterations());
    report_allocations(state, probe, sink.frames, /*must_be_zero=*/true);
    if (sink.bad != 0 || sink.frames != iterations * kFramesPerBuffer) {
        fail(state, "frames failed to decode: " + std::to_string(sink.bad));
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(sink.frames));
    state.SetBytesProcessed(static_cast<std::int64_t>(iterations * wire.size()));
    state.counters["wire_bytes_per_frame"] =
        static_cast<double>(wire.size()) / static_cast<double>(kFramesPerBuffer);
}

// (a) 2013 header, full path through the generic dispatcher.
void BM_Stream0200_2013_DecodeBody(benchmark::State& state) {
    static const jt::Buffer wire = location_stream(jt::Dialect::v2013);
    run_stream<DecodeBodySink>(state, wire);
}
BENCHMARK(BM_Stream0200_2013_DecodeBody);

// (a') 2013 header, full path calling decode_location directly.
void BM_Stream0200_2013_DecodeLocation(benchmark::State& state) {
    static const jt::Buffer wire = location_stream(jt::Dialect::v2013);
    run_stream<DecodeLocationSink>(state, wire);
}
BENCHMARK(BM_Stream0200_2013_DecodeLocation);

// (b) 2019 header (20-digit phone, protocol version byte).
void BM_Stream0200_2019_DecodeBody(benchmark::State& state) {
    static const jt::Buffer wire = location_stream(jt::Dialect::v2019);
    run_stream<DecodeBodySink>(state, wire);
}
BENCHMARK(BM_Stream0200_2019_DecodeBody);

// (c) parse_frame + decode_body on frames already split and un-escaped: the cost without the
// Framer.
void BM_Parse0200_NoFraming(benchmark::State& state) {
    static const UnescapedFrames frames = [] {
        UnescapedFrames u;
        jt::Framer framer;
        framer.feed(location_stream(jt::Dialect::v2013), u);
        return u;
    }();
    std::uint64_t decoded = 0;
    std::uint64_t bad = 0;
    std::uint64_t sum = 0;
    const AllocationProbe probe;
    for (auto _ : state) {
        for (const auto& [offset, length] : frames.spans) {
            auto f = jt::parse_frame(jt::Bytes{frames.bytes.data() + offset, length});
            auto body = f ? jt::decode_body(*f) : jt::Expected<jt::Body>{f.error()};
            const jt::Location* l = body ? std::get_if<jt::Location>(&*body) : nullptr;
            if (l == nullptr) {
                ++bad;
                continue;
            }
            ++decoded;
            sum += touch(*l);
        }
        benchmark::DoNotOptimize(sum);
    }
    const auto iterations = static_cast<std::uint64_t>(state.iterations());
    report_allocations(state, probe, decoded, true);
    if (bad != 0) fail(state, "frames failed to decode: " + std::to_string(bad));
    state.SetItemsProcessed(static_cast<std::int64_t>(decoded));
    state.SetBytesProcessed(static_cast<std::int64_t>(iterations * frames.bytes.size()));
}
BENCHMARK(BM_Parse0200_NoFraming);

// (d) 0x0704 batches of kBatchItems locations: framing + decode + every item.
void BM_Stream0704_Batch20(benchmark::State& state) {
    static const jt::Buffer wire = batch_stream();
    jt::Framer framer;
    BatchSink sink;
    const AllocationProbe probe;
    for (auto _ : state) {
        framer.feed(wire, sink);
        benchmark::DoNotOptimize(sink.sum);
    }
    const auto iterations = static_cast<std::uint64_t>(state.iterations());
    report_allocations(state, probe, sink.frames, true);
    if (sink.bad != 0 || sink.items != sink.frames * kBatchItems) {
        fail(state, "batch items failed to decode: " + std::to_string(sink.bad));
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(sink.frames));
    state.SetBytesProcessed(static_cast<std::int64_t>(iterations * wire.size()));
    state.counters["locations_per_second"] =
        benchmark::Counter(static_cast<double>(sink.items), benchmark::Counter::kIsRate);
    state.counters["wire_bytes_per_frame"] =
        static_cast<double>(wire.size()) / static_cast<double>(kFramesPerBuffer);
}
BENCHMARK(BM_Stream0704_Batch20);

// (e) 0x8001 platform general response, one per position report, into a reused buffer.
void BM_Encode8001(benchmark::State& state) {
    jt::Buffer out;
    jt::Buffer scratch;
    out.reserve(64);
    scratch.reserve(16);
    jt::OutboundHeader h = terminal_header(jt::Dialect::v2013, 0);
    jt::PlatformResponse reply;
    reply.reply_msg_id = jt::msg_id::kLocation;
    std::uint64_t replies = 0;
    std::uint64_t bytes = 0;
    const AllocationProbe probe;
    for (auto _ : state) {
        out.clear();
        reply.reply_serial = static_cast<std::uint16_t>(replies);
        h.serial = static_cast<std::uint16_t>(replies);
        auto n = jt::encode_message(reply, h, out, scratch);
        benchmark::DoNotOptimize(n);
        benchmark::DoNotOptimize(out.data());
        ++replies;
        bytes += out.size();
    }
    report_allocations(state, probe, replies, true);
    state.SetItemsProcessed(static_cast<std::int64_t>(replies));
    state.SetBytesProcessed(static_cast<std::int64_t>(bytes));
}
BENCHMARK(BM_Encode8001);

// The Framer alone (split + un-escape), for reference.
void BM_FramerOnly0200(benchmark::State& state) {
    static const jt::Buffer wire = location_stream(jt::Dialect::v2013);
    jt::Framer framer;
    CountSink sink;
    const AllocationProbe probe;
    for (auto _ : state) {
        framer.feed(wire, sink);
        benchmark::DoNotOptimize(sink.bytes);
    }
    report_allocations(state, probe, sink.frames, true);
    state.SetItemsProcessed(static_cast<std::int64_t>(sink.frames));
    state.SetBytesProcessed(
        static_cast<std::int64_t>(static_cast<std::uint64_t>(state.iterations()) * wire.size()));
}
BENCHMARK(BM_FramerOnly0200);

// (f) Reference only: the JSON view (`fleetwatch decode`, logs). Allocates by design.
void BM_FrameToJson0200(benchmark::State& state) {
    static const UnescapedFrames frames = [] {
        UnescapedFrames u;
        jt::Framer framer;
        framer.feed(location_stream(jt::Dialect::v2013), u);
        return u;
    }();
    std::uint64_t rendered = 0;
    std::size_t chars = 0;
    std::size_t next = 0;
    const AllocationProbe probe;
    for (auto _ : state) {
        const auto& [offset, length] = frames.spans[next];
        next = (next + 1) % frames.spans.size();
        auto f = jt::parse_frame(jt::Bytes{frames.bytes.data() + offset, length});
        auto body = jt::decode_body(*f);
        const std::string text = jt::frame_to_json(f->header, *body).dump();
        chars += text.size();
        ++rendered;
    }
    benchmark::DoNotOptimize(chars);
    report_allocations(state, probe, rendered, /*must_be_zero=*/false);
    state.SetItemsProcessed(static_cast<std::int64_t>(rendered));
    state.counters["json_bytes_per_frame"] =
        static_cast<double>(chars) / static_cast<double>(rendered == 0 ? 1 : rendered);
}
BENCHMARK(BM_FrameToJson0200);

}  // namespace

int main(int argc, char** argv) {
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    if (g_failed) {
        std::fprintf(stderr,
                     "fleetwatch_jt808_bench: FAILED: a hot-path benchmark allocated or "
                     "decoded wrongly (see the error rows above)\n");
        return 1;
    }
    return 0;
}
