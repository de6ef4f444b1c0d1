// Traccar's JT/T 808 frames as golden inputs (../shared/testdata/jt808/traccar_frames.tsv and
// traccar_issue_frames.tsv, read straight from the shared checkout; a missing corpus fails).
//
// Every row of both files has one entry in `expectations()` below, keyed by file and index, and a
// test fails for a row without one. Three kinds:
//   * decodes:  a JT/T 808 frame that must decode. The frame goes through the stream path a
//               terminal's bytes take (escaped with `to_wire` when Traccar's test fed it
//               un-escaped, as is when the note says CONSISTENT(unescaped)), then Framer ->
//               parse_frame -> decode_body. The header is checked against the table (and the
//               table against the note's independent check); the body against values read by
//               hand from the hex. Where Traccar asserted a value taken from a standard field we
//               assert our field; where it comes from a vendor extension we keep raw, we assert
//               the raw bytes and say how Traccar derives its value from them.
//   * rejected: the note marks the frame INCONSISTENT (hand-edited test vector); we reject it
//               with the reason the note implies (parse_frame checks the XOR before the length).
//   * special:  not a JT/T 808 frame (ASCII text sentences, Traccar's synthetic escape tests);
//               each has its own assertion about what our framer does with it.
//
// Units in the goldens are the wire's: coordinates in 1e-6 degrees (signed by the status
// bits), speed in 0.1 km/h, times converted from GMT+8 BCD to UTC.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <ostream>
#include <random>
#include <set>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "corpus.hpp"
#include "fleetwatch/core/time.hpp"
#include "fleetwatch/jt808/bytes.hpp"
#include "fleetwatch/jt808/decode.hpp"
#include "fleetwatch/jt808/encode.hpp"
#include "fleetwatch/jt808/error.hpp"
#include "fleetwatch/jt808/frame.hpp"
#include "fleetwatch/jt808/framer.hpp"
#include "fleetwatch/jt808/json.hpp"
#include "fleetwatch/jt808/messages.hpp"
#include "fleetwatch/jt808/text.hpp"

namespace fleetwatch::jt808 {
namespace {

namespace ft = fleetwatch::testing;

constexpr const char* kFrames = "traccar_frames.tsv";
constexpr const char* kIssues = "traccar_issue_frames.tsv";

// ---- Corpus rows -----------------------------------------------------------------------------

struct Row {
    std::string file;
    int index = 0;
    std::size_t line = 0;
    std::string message_id;
    std::string hex;
    std::string note;

    std::string where() const {
        return file + " row " + std::to_string(index) + " (line " + std::to_string(line) + ")";
    }
};

std::vector<Row> load_rows(const char* file) {
    std::vector<Row> out;
    for (const ft::CorpusRow& r : ft::read_corpus(file)) {  // throws (test fails) when missing
        Row row;
        row.file = file;
        row.index = std::stoi(r.at("index"));
        row.line = r.line;
        row.message_id = r.at("message_id");
        row.hex = r.at("hex");
        row.note = r.at("note");
        out.push_back(std::move(row));
    }
    return out;
}

const std::vector<Row>& all_rows() {
    static const std::vector<Row> rows = [] {
        std::vector<Row> a = load_rows(kFrames);
        std::vector<Row> b = load_rows(kIssues);
        a.insert(a.end(), b.begin(), b.end());
        return a;
    }();
    return rows;
}

const Row& row_at(std::string_view file, int index) {
    for (const Row& r : all_rows()) {
        if (r.file == file && r.index == index) return r;
    }
    throw std::runtime_error("no row " + std::to_string(index) + " in " + std::string(file));
}

bool note_says(const Row& row, std::string_view what) {
    return row.note.find(what) != std::string::npos;
}

// A `key=value` field of the note's independent check, e.g. "phone6=" -> "014450376202".
std::string note_field(const Row& row, std::string_view key) {
    const std::size_t at = row.note.find(key);
    if (at == std::string::npos) return {};
    const std::size_t from = at + key.size();
    const std::size_t to = row.note.find_first_of("; ", from);
    return row.note.substr(from, to == std::string::npos ? std::string::npos : to - from);
}

std::vector<std::uint8_t> hex_bytes(std::string_view hex) {
    auto b = from_hex(hex);
    if (!b) throw std::runtime_error("not hex: " + std::string(hex));
    return *b;
}

// The row's frame without its flags, as Traccar's test saw it (un-escaped), or for a
// CONSISTENT(unescaped) row, after un-escaping by hand here.
std::vector<std::uint8_t> traccar_frame(const Row& row) {
    const std::vector<std::uint8_t> b = hex_bytes(row.hex);
    std::vector<std::uint8_t> inner(b.begin() + 1, b.end() - 1);
    if (!note_says(row, "CONSISTENT(unescaped)")) return inner;
    std::vector<std::uint8_t> out;
    for (std::size_t i = 0; i < inner.size(); ++i) {
        if (inner[i] == 0x7D && i + 1 < inner.size()) {
            out.push_back(inner[i + 1] == 0x01 ? 0x7D : 0x7E);
            ++i;
        } else {
            out.push_back(inner[i]);
        }
    }
    return out;
}

// The bytes a terminal puts on the TCP stream for this row. Traccar's decoder tests feed frames
// already un-escaped, so those are escaped here; a CONSISTENT(unescaped) row is real wire form.
std::vector<std::uint8_t> wire_of(const Row& row) {
    if (note_says(row, "CONSISTENT(unescaped)")) return hex_bytes(row.hex);
    return ft::to_wire(traccar_frame(row));
}

// ---- Framing ---------------------------------------------------------------------------------

struct Collect {
    std::vector<std::vector<std::uint8_t>> frames;
    std::vector<Error> errors;
    void on_frame(std::span<const std::uint8_t> f) { frames.emplace_back(f.begin(), f.end()); }
    void on_frame_error(const Error& e) { errors.push_back(e); }
};

// Feeds `wire` to a fresh Framer in chunks of `chunk` bytes (0 = all at once).
Collect frame_stream(std::span<const std::uint8_t> wire, std::size_t chunk = 0,
                     FramerStats* stats = nullptr) {
    Framer framer;
    Collect c;
    if (chunk == 0) chunk = wire.size() == 0 ? 1 : wire.size();
    for (std::size_t at = 0; at < wire.size(); at += chunk) {
        framer.feed(wire.subspan(at, std::min(chunk, wire.size() - at)), c);
    }
    if (stats != nullptr) *stats = framer.stats();
    return c;
}

std::string errors_text(const std::vector<Error>& errors) {
    std::string s;
    for (const Error& e : errors) s += std::string(to_string(e.code)) + ": " + e.message() + "; ";
    return s;
}

// ---- Expectations ----------------------------------------------------------------------------

// What a `decodes` check sees.
struct Ctx {
    const Row& row;
    const Header& header;
    const Body& body;
    Bytes frame_body;  // the body bytes as framed (before body decoding)
};

enum class Kind { decodes, rejected, special };

std::string_view kind_name(Kind k) {
    switch (k) {
        case Kind::decodes:
            return "decodes";
        case Kind::rejected:
            return "rejected";
        case Kind::special:
            return "special";
    }
    return "?";
}

struct Expect {
    const char* file = "";
    int index = 0;
    Kind kind = Kind::decodes;
    std::uint16_t msg_id = 0;
    const char* phone = "";  // the header's digits as on the wire
    std::uint16_t serial = 0;
    HeaderVersion version = HeaderVersion::v2013;
    Errc error = Errc::bad_checksum;        // for `rejected`
    void (*check)(const Ctx&) = nullptr;    // for `decodes`
    void (*special)(const Row&) = nullptr;  // for `special`
};

void PrintTo(const Expect& e, std::ostream* os) { *os << e.file << " row " << e.index; }

Expect decodes(const char* file, int index, std::uint16_t msg_id, const char* phone,
               std::uint16_t serial, void (*check)(const Ctx&),
               HeaderVersion version = HeaderVersion::v2013) {
    Expect e;
    e.file = file;
    e.index = index;
    e.kind = Kind::decodes;
    e.msg_id = msg_id;
    e.phone = phone;
    e.serial = serial;
    e.version = version;
    e.check = check;
    return e;
}

Expect rejected(const char* file, int index, std::uint16_t msg_id, Errc error) {
    Expect e;
    e.file = file;
    e.index = index;
    e.kind = Kind::rejected;
    e.msg_id = msg_id;
    e.error = error;
    return e;
}

Expect special(const char* file, int index, void (*fn)(const Row&)) {
    Expect e;
    e.file = file;
    e.index = index;
    e.kind = Kind::special;
    e.special = fn;
    return e;
}

// ---- Body checks -----------------------------------------------------------------------------

template <class T>
const T* body_as(const Ctx& c) {
    const T* p = std::get_if<T>(&c.body);
    if (p == nullptr) {
        ADD_FAILURE() << c.row.where() << ": body is variant alternative " << c.body.index()
                      << ", not the expected one";
    }
    return p;
}

std::string str(Bytes b) { return {b.begin(), b.end()}; }
std::string ascii_of_hex(std::string_view hex) {
    const auto b = hex_bytes(hex);
    return {b.begin(), b.end()};
}

// One additional-information item kept raw (id, value as hex).
struct RawItem {
    std::uint8_t id = 0;
    std::string_view hex;
};

// A location report as read by hand from the hex. Optional standard items use -1 for "absent".
struct LocGolden {
    std::uint32_t alarm = 0;
    std::uint32_t status = 0;
    std::int32_t lat_e6 = 0;  // signed by status bit 2
    std::int32_t lon_e6 = 0;  // signed by status bit 3
    std::uint16_t altitude_m = 0;
    std::uint16_t speed_dkmh = 0;
    std::uint16_t direction = 0;
    std::string_view time;                  // UTC, RFC 3339; empty when the BCD time is invalid
    std::int64_t mileage_100m = -1;         // 0x01
    std::int64_t fuel_100ml = -1;           // 0x02
    std::int64_t recorder_speed_dkmh = -1;  // 0x03
    std::int64_t alarm_event_id = -1;       // 0x04
    std::int64_t vehicle_signals = -1;      // 0x25
    std::int64_t io_status = -1;            // 0x2A
    std::int64_t analog = -1;               // 0x2B
    std::int64_t signal_strength = -1;      // 0x30
    std::int64_t satellites = -1;           // 0x31
    std::vector<RawItem> raw;               // every item not decoded into a field, in order
    std::string_view trailing;              // bytes after an item whose length overran the body
};

template <class T>
std::int64_t opt(const std::optional<T>& v) {
    return v ? static_cast<std::int64_t>(*v) : -1;
}

void expect_location(const Location& l, const LocGolden& g) {
    EXPECT_EQ(l.alarm, g.alarm);
    EXPECT_EQ(l.status, g.status);
    EXPECT_EQ(l.lat_signed_e6(), g.lat_e6);
    EXPECT_EQ(l.lon_signed_e6(), g.lon_e6);
    EXPECT_LE(l.lat_e6, 90'000'000u);
    EXPECT_LE(l.lon_e6, 180'000'000u);
    EXPECT_EQ(l.altitude_m, g.altitude_m);
    EXPECT_EQ(l.speed_dkmh, g.speed_dkmh);
    EXPECT_EQ(l.direction, g.direction);
    if (g.time.empty()) {
        EXPECT_FALSE(l.time.valid) << "time " << to_hex(Bytes{l.time.raw});
    } else {
        EXPECT_TRUE(l.time.valid) << "time " << to_hex(Bytes{l.time.raw});
        if (l.time.valid) {
            EXPECT_EQ(core::format_rfc3339(l.time.instant()), g.time);
        }
    }
    const LocationExtras& x = l.extras;
    EXPECT_EQ(opt(x.mileage_100m), g.mileage_100m) << "0x01 mileage";
    EXPECT_EQ(opt(x.fuel_100ml), g.fuel_100ml) << "0x02 fuel";
    EXPECT_EQ(opt(x.recorder_speed_dkmh), g.recorder_speed_dkmh) << "0x03 recorder speed";
    EXPECT_EQ(opt(x.alarm_event_id), g.alarm_event_id) << "0x04 alarm event id";
    EXPECT_EQ(opt(x.vehicle_signals), g.vehicle_signals) << "0x25 vehicle signals";
    EXPECT_EQ(opt(x.io_status), g.io_status) << "0x2A io status";
    EXPECT_EQ(opt(x.analog), g.analog) << "0x2B analog";
    EXPECT_EQ(opt(x.signal_strength), g.signal_strength) << "0x30 signal strength";
    EXPECT_EQ(opt(x.satellites), g.satellites) << "0x31 satellites";
    // No frame in these corpora carries these standard items with their standard length.
    EXPECT_FALSE(x.tyre_pressure.has_value());
    EXPECT_FALSE(x.compartment_temp_c.has_value());
    EXPECT_FALSE(x.overspeed.has_value());
    EXPECT_FALSE(x.area_crossing.has_value());
    EXPECT_FALSE(x.section_time.has_value());

    std::vector<std::pair<int, std::string>> got;
    x.for_each_raw(
        [&got](const ExtraItem& item) { got.emplace_back(item.id, to_hex(item.value)); });
    std::vector<std::pair<int, std::string>> want;
    for (const RawItem& r : g.raw) want.emplace_back(r.id, std::string(r.hex));
    EXPECT_EQ(got, want) << "raw additional items (id, hex)";
    EXPECT_EQ(to_hex(x.trailing), g.trailing);
}

// The Location of a 0x0200 or 0x0201 body.
const Location* location_of(const Ctx& c) {
    if (const auto* l = std::get_if<Location>(&c.body)) return l;
    if (const auto* q = std::get_if<LocationQueryResponse>(&c.body)) return &q->location;
    ADD_FAILURE() << c.row.where() << ": body is not a location (alternative " << c.body.index()
                  << ")";
    return nullptr;
}

void expect_location(const Ctx& c, const LocGolden& g) {
    const Location* l = location_of(c);
    if (l != nullptr) expect_location(*l, g);
}

// The value (hex) of the n-th raw item `id` of the row's location, or "<absent>".
std::string raw_item(const Location& l, std::uint8_t id, int n = 0) {
    std::string out = "<absent>";
    int seen = 0;
    l.extras.for_each_raw([&](const ExtraItem& item) {
        if (item.id == id && seen++ == n) out = to_hex(item.value);
    });
    return out;
}
std::string raw_item(const Ctx& c, std::uint8_t id, int n = 0) {
    const Location* l = location_of(c);
    return l != nullptr ? raw_item(*l, id, n) : "<no location>";
}

// `hex` occurs in the raw item `id` (a vendor sub-record Traccar reads a value from).
void expect_raw_holds(const Ctx& c, std::uint8_t id, std::string_view hex) {
    const std::string v = raw_item(c, id);
    EXPECT_NE(v.find(hex), std::string::npos)
        << "raw item 0x" << std::hex << int{id} << " = " << v << " lacks " << hex;
}

// The raw item `id` of batch item `n`, or "<absent>".
std::string batch_raw_item(const Ctx& c, std::size_t n, std::uint8_t id) {
    const auto* b = body_as<LocationBatch>(c);
    if (b == nullptr) return "<no batch>";
    LocationBatchIterator it(*b);
    for (std::size_t i = 0; auto item = it.next(); ++i) {
        if (i == n) return item->has_value() ? raw_item(**item, id) : "<bad item>";
    }
    return "<absent>";
}

void expect_batch(const Ctx& c, std::uint8_t type, const std::vector<LocGolden>& items) {
    const auto* b = body_as<LocationBatch>(c);
    if (b == nullptr) return;
    EXPECT_EQ(b->count, items.size());
    EXPECT_EQ(b->type, type);
    LocationBatchIterator it(*b);
    std::size_t i = 0;
    while (auto item = it.next()) {
        SCOPED_TRACE("batch item " + std::to_string(i));
        ASSERT_TRUE(item->has_value())
            << to_string(item->error().code) << ": " << item->error().message();
        ASSERT_LT(i, items.size());
        expect_location(**item, items[i]);
        ++i;
    }
    EXPECT_EQ(i, items.size());
}

// A body kept raw (message ids outside our set): exactly these bytes.
void expect_raw_body(const Ctx& c, std::string_view hex) {
    const auto* r = body_as<RawBody>(c);
    if (r != nullptr) {
        EXPECT_EQ(to_hex(r->data), hex);
    }
}

void expect_passthrough(const Ctx& c, std::uint8_t type, std::string_view data_hex) {
    const auto* p = body_as<Passthrough>(c);
    if (p == nullptr) return;
    EXPECT_EQ(p->type, type);
    EXPECT_EQ(to_hex(p->data), data_hex);
}

// Vendor 0x55xx: one-byte serial header, reserved bits set, body kept raw.
void expect_vendor_55xx(const Ctx& c, std::uint8_t encryption, std::string_view body_hex) {
    EXPECT_TRUE(c.header.short_serial);
    EXPECT_EQ(c.header.size(), 11u);
    EXPECT_EQ(c.header.encryption, encryption);
    expect_raw_body(c, body_hex);
}

struct RegistrationGolden {
    Dialect dialect = Dialect::v2013;
    std::uint16_t province = 0;
    std::uint16_t city = 0;
    std::string_view maker;
    std::string_view model;
    std::string_view terminal_id_hex;  // as bytes: some terminals put BCD here, not text
    std::uint8_t plate_color = 0;
    std::string_view plate_utf8;
};

void expect_registration(const Ctx& c, const RegistrationGolden& g) {
    const auto* r = body_as<Registration>(c);
    if (r == nullptr) return;
    EXPECT_EQ(r->dialect, g.dialect);
    EXPECT_EQ(r->province, g.province);
    EXPECT_EQ(r->city, g.city);
    EXPECT_EQ(str(r->maker), g.maker);
    EXPECT_EQ(str(r->model), g.model);
    EXPECT_EQ(to_hex(r->terminal_id), g.terminal_id_hex);
    EXPECT_EQ(r->plate_color, g.plate_color);
    EXPECT_EQ(gbk_to_utf8(r->plate), g.plate_utf8);
    EXPECT_EQ(dialect_of(c.header, c.body), g.dialect);
}

void expect_auth_code(const Ctx& c, std::string_view code) {
    const auto* a = body_as<Authentication>(c);
    if (a == nullptr) return;
    EXPECT_EQ(str(a->auth_code), code);
    EXPECT_TRUE(a->imei.empty());
    EXPECT_TRUE(a->software_version.empty());
}

void expect_general(const GeneralResponse& g, std::uint16_t reply_serial, std::uint16_t reply_id,
                    std::uint8_t result) {
    EXPECT_EQ(g.reply_serial, reply_serial);
    EXPECT_EQ(g.reply_msg_id, reply_id);
    EXPECT_EQ(g.result, result);
}

// ---- Rows that are not JT/T 808 frames -------------------------------------------------------

// The ASCII sentences some lock devices send ("(740190311185,1,001,ELOCK,3,529439)") are not
// 0x7E-delimited. Traccar's frame decoder passes them through; ours does not parse them.
void text_is_not_a_frame(const Row& row) {
    const auto parsed = from_hex(row.hex);
    const std::vector<std::uint8_t> text =
        parsed ? *parsed : std::vector<std::uint8_t>(row.hex.begin(), row.hex.end());
    ASSERT_GE(text.size(), 2u);
    ASSERT_EQ(text.front(), '(');
    ASSERT_EQ(text.back(), ')');
    ASSERT_EQ(std::count(text.begin(), text.end(), kFlag), 0);

    // At the start of a connection the text is skipped; it is reported as unframed bytes (with
    // its length) once the first flag arrives, and never becomes a frame.
    {
        Framer framer;
        Collect c;
        framer.feed(text, c);
        EXPECT_TRUE(c.frames.empty());
        EXPECT_TRUE(c.errors.empty());
        EXPECT_EQ(framer.buffered(), 0u);
        const std::uint8_t flag = kFlag;
        framer.feed(std::span<const std::uint8_t>(&flag, 1), c);
        EXPECT_TRUE(c.frames.empty());
        ASSERT_EQ(c.errors.size(), 1u);
        EXPECT_EQ(c.errors[0].code, Errc::unframed_bytes);
        EXPECT_EQ(c.errors[0].actual, static_cast<std::int64_t>(text.size()));
        EXPECT_EQ(framer.stats().unframed_bytes, text.size());
    }
    // After a frame's end flag the text is a candidate frame (bytes are never silently merged
    // or dropped), which parse_frame rejects: its last byte ')' is not the XOR of the rest.
    {
        std::vector<std::uint8_t> stream = wire_of(row_at(kIssues, 8));  // a 0x0002 heartbeat
        stream.insert(stream.end(), text.begin(), text.end());
        stream.push_back(kFlag);
        const Collect c = frame_stream(stream);
        EXPECT_TRUE(c.errors.empty()) << errors_text(c.errors);
        ASSERT_EQ(c.frames.size(), 2u);
        EXPECT_TRUE(parse_frame(c.frames[0]).has_value());
        EXPECT_EQ(c.frames[1], text);
        const auto parsed_text = parse_frame(c.frames[1]);
        ASSERT_FALSE(parsed_text.has_value());
        EXPECT_EQ(parsed_text.error().code, Errc::bad_checksum) << parsed_text.error().message();
    }
}

// Traccar's synthetic escape-test frames (`7E 30 7E 08 7D 55 7E` is the un-escaped form of
// `7E 30 7D 02 08 7D 01 55 7E`, the worked example of JT808.md §1.1). Not JT/T 808 messages:
// parse_frame calls five bytes truncated.
std::vector<std::uint8_t> synthetic_inner(const Row& row) {
    const std::vector<std::uint8_t> b = hex_bytes(row.hex);
    const auto first = std::find(b.begin(), b.end(), kFlag);
    return {first + 1, b.end() - 1};
}

void expect_not_jt808(const std::vector<std::uint8_t>& frame) {
    const auto p = parse_frame(frame);
    ASSERT_FALSE(p.has_value());
    EXPECT_EQ(p.error().code, Errc::truncated);
}

// A frame-decoder input row: framing it (whole and one byte at a time) gives exactly the bytes
// of the partner row (Traccar's expected output), after skipping any garbage before the first
// flag (reported as unframed bytes).
void frames_to_the_partner_row(const Row& row, const Row& partner) {
    const std::vector<std::uint8_t> wire = hex_bytes(row.hex);
    const std::vector<std::uint8_t> want = synthetic_inner(partner);
    const auto garbage =
        static_cast<std::int64_t>(std::find(wire.begin(), wire.end(), kFlag) - wire.begin());
    for (const std::size_t chunk : {std::size_t{0}, std::size_t{1}}) {
        SCOPED_TRACE("chunk " + std::to_string(chunk));
        const Collect c = frame_stream(wire, chunk);
        ASSERT_EQ(c.frames.size(), 1u);
        EXPECT_EQ(to_hex(c.frames[0]), to_hex(want));
        if (garbage == 0) {
            EXPECT_TRUE(c.errors.empty()) << errors_text(c.errors);
        } else {
            ASSERT_EQ(c.errors.size(), 1u);
            EXPECT_EQ(c.errors[0].code, Errc::unframed_bytes);
            EXPECT_EQ(c.errors[0].actual, garbage);
        }
        expect_not_jt808(c.frames[0]);
    }
}

// 116, 118: Traccar's frame-decoder output for the next row (its input).
void is_what_framing_the_next_row_gives(const Row& row) {
    frames_to_the_partner_row(row_at(row.file, row.index + 1), row);
}
// 117, 119: frame-decoder input whose expected output is the previous row.
void frames_to_the_previous_row(const Row& row) {
    frames_to_the_partner_row(row, row_at(row.file, row.index - 1));
}
// 120: Traccar's frame-encoder input; escaping it gives the next row (the expected output).
void escapes_to_the_next_row(const Row& row) {
    Buffer out;
    escape_into(synthetic_inner(row), out);
    EXPECT_EQ(to_hex(out), to_hex(hex_bytes(row_at(row.file, row.index + 1).hex)));
}
// 121: Traccar's frame-encoder output; our framer un-escapes it back to the encoder's input.
void unescapes_to_the_previous_row(const Row& row) {
    frames_to_the_partner_row(row, row_at(row.file, row.index - 1));
}

// ---- The table -------------------------------------------------------------------------------

// The goldens name only the fields a row has (designated initializers); the others keep their
// defaults on purpose, which GCC's -Wextra would report as missing initializers.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
// clang-format off
const std::vector<Expect>& expectations() {
    static const std::vector<Expect> table = {
        // ---- traccar_frames.tsv (F<index>) ----
        // F1 0x0704: verifyAttribute(..., Position.KEY_SATELLITES, 14) [input]
        //   KEY_SATELLITES 14 = standard item 0x31 (satellites in the golden).
        decodes(kFrames, 1, 0x0704, "014450376202", 0x0002, [](const Ctx& c) {
            expect_batch(c, 1, {
                LocGolden{
                    .alarm = 0x00040100, .status = 0x00080003,
                    .lat_e6 = 33697808, .lon_e6 = 116954088, .altitude_m = 29, .speed_dkmh = 0,
                    .direction = 149,
                    .time = "2026-08-17T14:18:12Z",
                    .mileage_100m = 14025, .recorder_speed_dkmh = 0, .vehicle_signals = 0x0,
                    .io_status = 0, .signal_strength = 31, .satellites = 14,
                    .raw = {
                        {0x14, "00000000"},
                        {0x17, "0000"},
                        {0xEA, "020c8300"},
                        {0xEF, "00000000"},
                    },
                },
            });
        }),
        // F2 0x0200: verifyAttribute(..., Position.KEY_POWER, 11.7) [input]
        //   KEY_POWER 11.7 = vendor item 0xEB, sub-record {len 0x0006, type 0x002D, u32}:
        //   0x00002DB4 / 1000. Kept raw.
        decodes(kFrames, 2, 0x0200, "000000000000", 0x08F5, [](const Ctx& c) {
            expect_location(c, LocGolden{
                .alarm = 0x00000000, .status = 0x00000000,
                .lat_e6 = 0, .lon_e6 = 0, .altitude_m = 199, .speed_dkmh = 0, .direction = 204,
                .time = "2026-06-15T02:01:15Z",
                .mileage_100m = 1, .signal_strength = 20, .satellites = 8,
                .raw = {
                    {0xEB, "000c00b20000000000000000000000060089fffffffe000600c5ffffffef0006002d00002db4001100d5303030303030303030303030303030"},
                },
            });
            expect_raw_holds(c, 0xEB, "0006002d00002db4");
        }),
        // F3 0x0200: verifyAttribute(..., Position.KEY_POWER, 11.4) [input]
        //   KEY_POWER 11.4 = vendor item 0xE1 (2 bytes) 0x0072 / 10. Kept raw. Traccar reads
        //   0x2B as two WORDs AD0, AD1 in wire order; our analog DWORD keeps the wire value.
        decodes(kFrames, 3, 0x0200, "000000000000", 0x0225, [](const Ctx& c) {
            expect_location(c, LocGolden{
                .alarm = 0x00000000, .status = 0x000c0002,
                .lat_e6 = 0, .lon_e6 = 0, .altitude_m = 113, .speed_dkmh = 0, .direction = 326,
                .time = "2026-06-15T02:57:25Z",
                .mileage_100m = 100, .analog = 0xab560000, .signal_strength = 31, .satellites = 12,
                .raw = {{0xE1, "0072"}},
            });
            EXPECT_EQ(raw_item(c, 0xE1), "0072");
        }),
        // F4 0x0200: verifyAttribute(..., Position.KEY_BATTERY_LEVEL, 99) [input]
        //   KEY_BATTERY_LEVEL 99 = vendor item 0xE4 byte 1 (0x63); byte 0 = 0 means charging.
        decodes(kFrames, 4, 0x0200, "051160004464", 0x000D, [](const Ctx& c) {
            expect_location(c, LocGolden{
                .alarm = 0x00000000, .status = 0x000c0002,
                .lat_e6 = 22644830, .lon_e6 = 114029380, .altitude_m = 0, .speed_dkmh = 0,
                .direction = 0,
                .time = "2020-08-07T10:07:22Z",
                .mileage_100m = 1, .signal_strength = 28, .satellites = 9,
                .raw = {
                    {0xE4, "0063"},
                    {0xE5, "00"},
                    {0xE6, "00"},
                    {0xE7, "0000000000000000"},
                    {0xEE, "01cc01262c009a674300"},
                },
            });
            EXPECT_EQ(raw_item(c, 0xE4), "0063");
        }),
        // F5 0x0100: verifyNull [input]
        //   2019 registration (Traccar: no position). Terminal id is the IMEI.
        decodes(kFrames, 5, 0x0100, "00000866496077582164", 0x5218, [](const Ctx& c) {
            expect_registration(c, {.dialect = Dialect::v2019, .province = 0, .city = 0,
                                      .maker = "", .model = "MD300",
                                      .terminal_id_hex = "383636343936303737353832313634",
                                      .plate_color = 4, .plate_utf8 = ""});
            EXPECT_EQ(c.header.protocol_version, 1);
            EXPECT_EQ(c.header.phone.key(), "866496077582164");
        }, HeaderVersion::v2019),
        // F6 0x0704: verifyAttribute(..., Position.KEY_SATELLITES, 14) [input]
        //   KEY_SATELLITES 14 = standard 0x31. A 2019-header batch.
        decodes(kFrames, 6, 0x0704, "00000866496077582164", 0x881D, [](const Ctx& c) {
            expect_batch(c, 0, {
                LocGolden{
                    .alarm = 0x00000000, .status = 0x00000007,
                    .lat_e6 = -27263378, .lon_e6 = 153037383, .altitude_m = 22, .speed_dkmh = 0,
                    .direction = 2,
                    .time = "2026-05-09T08:42:27Z",
                    .mileage_100m = 9602, .signal_strength = 0, .satellites = 14,
                },
            });
            EXPECT_EQ(c.header.protocol_version, 1);
        }, HeaderVersion::v2019),
        // F7 0x0200: verifyAttribute(..., Position.KEY_BATTERY_LEVEL, 100) [input]
        //   KEY_BATTERY_LEVEL 100 = vendor item 0xD4 (1 byte) 0x64. South-west (Paraguay).
        decodes(kFrames, 7, 0x0200, "794308010679", 0x0138, [](const Ctx& c) {
            expect_location(c, LocGolden{
                .alarm = 0x00000000, .status = 0x022c004e,
                .lat_e6 = -25269608, .lon_e6 = -57602956, .altitude_m = 92, .speed_dkmh = 18,
                .direction = 0,
                .time = "2025-11-18T03:26:11Z",
                .signal_strength = 29, .satellites = 12,
                .raw = {
                    {0xD4, "64"},
                    {0xD5, "01a2"},
                    {0xF4, "04"},
                    {0xF9, "0007"},
                    {0xFE, "00000090"},
                    {0xFD, "02e8000400044a150fe6"},
                    {0xEF, "4a"},
                    {0x0B, "2200623a4965"},
                },
            });
            EXPECT_EQ(raw_item(c, 0xD4), "64");
        }),
        // F8 0x0702: verifyAttribute(..., "cardCode", "0029b885") [input]
        //   Traccar's cardCode "0029b885" = our certificate_no (2013 card-in, read OK);
        //   no name, no issuer, expiry 00000000 (invalid, not an error).
        decodes(kFrames, 8, 0x0702, "018270611514", 0x01BC, [](const Ctx& c) {
            const auto* d = body_as<DriverIdentity>(c);
            if (d == nullptr) return;
            EXPECT_EQ(d->dialect, Dialect::v2013);
            EXPECT_EQ(d->state, 1);
            ASSERT_TRUE(d->time.valid);
            EXPECT_EQ(core::format_rfc3339(d->time.instant()), "2025-10-09T07:07:51Z");
            EXPECT_EQ(d->ic_result, std::optional<std::uint8_t>(0));
            EXPECT_EQ(str(d->driver_name), "");
            EXPECT_EQ(str(d->certificate_no), "0029b885");
            EXPECT_EQ(str(d->issuer), "");
            EXPECT_FALSE(d->certificate_expiry.has_value());
            EXPECT_TRUE(d->certificate_expiry_invalid);
            EXPECT_TRUE(d->id_card_no.empty());
        }),
        // F9 0x0200: verifyAttribute(..., Position.KEY_BATTERY, 4.005) [input]
        //   KEY_BATTERY 4.005 = vendor 0xEB sub-record {0x0004, type 0x002D, u16} 0x0FA5 / 1000.
        decodes(kFrames, 9, 0x0200, "009590068983", 0x0016, [](const Ctx& c) {
            expect_location(c, LocGolden{
                .alarm = 0x00000000, .status = 0x0000000b,
                .lat_e6 = 10631496, .lon_e6 = -61416952, .altitude_m = 0, .speed_dkmh = 0,
                .direction = 0,
                .time = "2025-11-24T03:51:47Z",
                .mileage_100m = 62, .signal_strength = 21, .satellites = 19,
                .raw = {
                    {0xEB, "000c00b28988228066613427450900060089ffffffff000600c5ffffffef0004002d0fa5000300a85c"},
                },
            });
            expect_raw_holds(c, 0xEB, "0004002d0fa5");
        }),
        // F10 0x0200: verifyAttribute(..., Position.KEY_ALARM, Position.ALARM_REMOVING) [input]
        //   ALARM_REMOVING = vendor 0xEB sub-record type 0x0089 with bit 12 clear (FFFFEFFF).
        decodes(kFrames, 10, 0x0200, "009590068983", 0x0016, [](const Ctx& c) {
            expect_location(c, LocGolden{
                .alarm = 0x00000000, .status = 0x0000000b,
                .lat_e6 = 10631496, .lon_e6 = -61416952, .altitude_m = 0, .speed_dkmh = 0,
                .direction = 0,
                .time = "2025-11-24T03:51:47Z",
                .mileage_100m = 62, .signal_strength = 21, .satellites = 19,
                .raw = {
                    {0xEB, "000c00b28988228066613427450900060089ffffefff000600c5ffffffef0004002d0fa5000300a85c"},
                },
            });
            expect_raw_holds(c, 0xEB, "00060089ffffefff");
        }),
        // F11 0x0200: verifyAttribute(..., Position.KEY_ALARM, Position.ALARM_VIBRATION) [input]
        //   ALARM_VIBRATION = vendor 0xEB sub-record type 0x00C5 with bit 6 clear (FFFFFFAF).
        decodes(kFrames, 11, 0x0200, "009590068983", 0x0016, [](const Ctx& c) {
            expect_location(c, LocGolden{
                .alarm = 0x00000000, .status = 0x0000000b,
                .lat_e6 = 10631496, .lon_e6 = -61416952, .altitude_m = 0, .speed_dkmh = 0,
                .direction = 0,
                .time = "2025-11-24T03:51:47Z",
                .mileage_100m = 62, .signal_strength = 21, .satellites = 19,
                .raw = {
                    {0xEB, "000c00b28988228066613427450900060089ffffffff000600c5ffffffaf0004002d0fa5000300a85c"},
                },
            });
            expect_raw_holds(c, 0xEB, "000600c5ffffffaf");
        }),
        // F12 0x0200: verifyAttribute(..., Position.KEY_MOTION, true) [input]
        //   KEY_MOTION = vendor 0xEB sub-record type 0x00C5, bits 23-24 == 0 (FE7FFFEF).
        decodes(kFrames, 12, 0x0200, "009590068983", 0x0016, [](const Ctx& c) {
            expect_location(c, LocGolden{
                .alarm = 0x00000000, .status = 0x0000000b,
                .lat_e6 = 10631496, .lon_e6 = -61416952, .altitude_m = 0, .speed_dkmh = 0,
                .direction = 0,
                .time = "2025-11-24T03:51:47Z",
                .mileage_100m = 62, .signal_strength = 21, .satellites = 19,
                .raw = {
                    {0xEB, "000c00b28988228066613427450900060089ffffffff000600c5fe7fffef0004002d0fa5000300a85c"},
                },
            });
            expect_raw_holds(c, 0xEB, "000600c5fe7fffef");
        }),
        // F13 0x0704: verifyAttribute(..., "timezone", "UTC+08:00") [input]
        //   "timezone" "UTC+08:00" = vendor item 0xEB holding printable ASCII. The phone field
        //   is a binary IMEI (not BCD): accepted and flagged, digits shown as hex.
        decodes(kFrames, 13, 0x0704, "4eb6fb4afd9e", 0x485B, [](const Ctx& c) {
            expect_batch(c, 1, {
                LocGolden{
                    .alarm = 0x00000000, .status = 0x000c0003,
                    .lat_e6 = 32875911, .lon_e6 = 13247685, .altitude_m = 13, .speed_dkmh = 0,
                    .direction = 73,
                    .time = "2025-11-12T07:45:45Z",
                    .mileage_100m = 0, .vehicle_signals = 0x0, .signal_strength = 23,
                    .satellites = 10,
                    .raw = {{0xEB, "5554432b30383a3030"}},
                },
                LocGolden{
                    .alarm = 0x00000000, .status = 0x000c0003,
                    .lat_e6 = 32875918, .lon_e6 = 13247693, .altitude_m = 13, .speed_dkmh = 0,
                    .direction = 40,
                    .time = "2025-11-12T07:45:47Z",
                    .mileage_100m = 0, .vehicle_signals = 0x0, .signal_strength = 23,
                    .satellites = 10,
                    .raw = {{0xEB, "5554432b30383a3030"}},
                },
                LocGolden{
                    .alarm = 0x00000000, .status = 0x000c0003,
                    .lat_e6 = 32875949, .lon_e6 = 13247710, .altitude_m = 14, .speed_dkmh = 0,
                    .direction = 272,
                    .time = "2025-11-12T07:45:59Z",
                    .mileage_100m = 0, .vehicle_signals = 0x0, .signal_strength = 25,
                    .satellites = 10,
                    .raw = {{0xEB, "5554432b30383a3030"}},
                },
                LocGolden{
                    .alarm = 0x00000000, .status = 0x000c0003,
                    .lat_e6 = 32875953, .lon_e6 = 13247725, .altitude_m = 14, .speed_dkmh = 0,
                    .direction = 70,
                    .time = "2025-11-12T07:46:14Z",
                    .mileage_100m = 0, .vehicle_signals = 0x0, .signal_strength = 25,
                    .satellites = 10,
                    .raw = {{0xEB, "5554432b30383a3030"}},
                },
                LocGolden{
                    .alarm = 0x00000000, .status = 0x000c0003,
                    .lat_e6 = 32875945, .lon_e6 = 13247733, .altitude_m = 14, .speed_dkmh = 0,
                    .direction = 161,
                    .time = "2025-11-12T07:46:17Z",
                    .mileage_100m = 0, .vehicle_signals = 0x0, .signal_strength = 25,
                    .satellites = 10,
                    .raw = {{0xEB, "5554432b30383a3030"}},
                },
                LocGolden{
                    .alarm = 0x00000000, .status = 0x000c0003,
                    .lat_e6 = 32875951, .lon_e6 = 13247739, .altitude_m = 14, .speed_dkmh = 0,
                    .direction = 221,
                    .time = "2025-11-12T07:46:32Z",
                    .mileage_100m = 0, .vehicle_signals = 0x0, .signal_strength = 23,
                    .satellites = 11,
                    .raw = {{0xEB, "5554432b30383a3030"}},
                },
            });
            EXPECT_TRUE(c.header.phone_not_bcd);
            for (std::size_t i = 0; i < 6; ++i) { EXPECT_EQ(ascii_of_hex(batch_raw_item(c, i, 0xEB)), "UTC+08:00"); }
        }),
        // F14 0x0200: verifyAttribute(..., Position.KEY_RPM, 55.0) [input]
        //   KEY_RPM 55.0 = vendor item 0xE6 "$OBD-RT,<power>,<rpm>,...": the second field.
        decodes(kFrames, 14, 0x0200, "017721028890", 0x061B, [](const Ctx& c) {
            expect_location(c, LocGolden{
                .alarm = 0x00000000, .status = 0x004c0003,
                .lat_e6 = 31060692, .lon_e6 = 121414285, .altitude_m = 43, .speed_dkmh = 450,
                .direction = 0,
                .time = "2024-01-10T09:26:05Z",
                .mileage_100m = 572, .vehicle_signals = 0x0, .analog = 0x0, .signal_strength = 25,
                .satellites = 22,
                .raw = {
                    {0x14, "00000001"},
                    {0x15, "00000004"},
                    {0x16, "00000000"},
                    {0x17, "0000"},
                    {0x18, "000000"},
                    {0xE1, "00735443"},
                    {0xE2, "00001211"},
                    {0xE3, "4e61747572654c696e6b"},
                    {0xE6, "244f42442d52542c2c35352e3030302c3130332e37382c2c302e302c342c2c2c2c302e3030302c2c31323336302e32382c2c2c0d0a"},
                },
            });
            EXPECT_EQ(ascii_of_hex(raw_item(c, 0xE6)).rfind("$OBD-RT,,55.000,", 0), 0u);
        }),
        // F15 0x0200: verifyAttribute(..., "videoAlarm", 4L) [input]
        //   "videoAlarm" 4 = item 0x14 (JT/T 1078 video alarm DWORD); kept raw, not decoded.
        decodes(kFrames, 15, 0x0200, "014542655112", 0x0220, [](const Ctx& c) {
            expect_location(c, LocGolden{
                .alarm = 0x00000000, .status = 0x0000000a,
                .lat_e6 = 10203620, .lon_e6 = -83787988, .altitude_m = 310, .speed_dkmh = 0,
                .direction = 298,
                .time = "2025-06-09T15:01:42Z",
                .mileage_100m = 87164, .signal_strength = 21, .satellites = 18,
                .raw = {
                    {0x14, "00000004"},
                    {0x15, "00000000"},
                    {0x17, "0001"},
                    {0xEB, "000c00b28950604201407522798f00060089ffffffff000600c5ffffffef0004002d304c001100d5333531383430363230323732383638000600f800000000"},
                    {0xEF, "00000000000000000011140000"},
                },
            });
            EXPECT_EQ(raw_item(c, 0x14), "00000004");
        }),
        // F16 0x0200: verifyAttribute(..., Position.KEY_BATTERY_LEVEL, 86) [input]
        //   KEY_BATTERY_LEVEL 86 = vendor item 0xE4 byte 1 (0x56).
        decodes(kFrames, 16, 0x0200, "014310709432", 0x043A, [](const Ctx& c) {
            expect_location(c, LocGolden{
                .alarm = 0x00000000, .status = 0x000c0000,
                .lat_e6 = 13728691, .lon_e6 = 100730873, .altitude_m = 0, .speed_dkmh = 0,
                .direction = 0,
                .time = "2025-04-23T04:21:40Z",
                .mileage_100m = 6299, .signal_strength = 26, .satellites = 0,
                .raw = {
                    {0xE4, "0056"},
                    {0xE5, "01"},
                    {0xE6, "00"},
                    {0xE7, "0000000400000000"},
                    {0xEC, "30de4bf67368cec65bbec0fac6b8f0090d353c03b87890a2f4b01eaa6420e36e35e6a8"},
                    {0xE1, "020800040013b202e4648300"},
                    {0xF5, "01"},
                },
            });
            EXPECT_EQ(raw_item(c, 0xE4), "0056");
        }),
        // F17 0x0200: verifyAttribute(..., Position.KEY_MOTION, true) [input]
        //   KEY_MOTION true = vendor item 0xE5 (1 byte) == 1.
        decodes(kFrames, 17, 0x0200, "014310709432", 0x043A, [](const Ctx& c) {
            expect_location(c, LocGolden{
                .alarm = 0x00000000, .status = 0x000c0000,
                .lat_e6 = 13728691, .lon_e6 = 100730873, .altitude_m = 0, .speed_dkmh = 0,
                .direction = 0,
                .time = "2025-04-23T04:21:40Z",
                .mileage_100m = 6299, .signal_strength = 26, .satellites = 0,
                .raw = {
                    {0xE4, "0056"},
                    {0xE5, "01"},
                    {0xE6, "00"},
                    {0xE7, "0000000400000000"},
                    {0xEC, "30de4bf67368cec65bbec0fac6b8f0090d353c03b87890a2f4b01eaa6420e36e35e6a8"},
                    {0xE1, "020800040013b202e4648300"},
                    {0xF5, "01"},
                },
            });
            EXPECT_EQ(raw_item(c, 0xE5), "01");
        }),
        // F18 0x0701: verifyAttribute(..., Position.KEY_RESULT, "MD,SET CONFIG OK!") [input]
        //   0x0701 (electronic waybill) is outside our set: kept raw. Traccar's
        //   "MD,SET CONFIG OK!" = u32 length 0x11 + that ASCII.
        decodes(kFrames, 18, 0x0701, "012076463279", 0x0008, [](const Ctx& c) {
            expect_raw_body(c, "000000114d442c53455420434f4e464947204f4b21");
            EXPECT_EQ(ascii_of_hex("4d442c53455420434f4e464947204f4b21"), "MD,SET CONFIG OK!");
        }),
        // F19 0x0200: verifyAttribute(..., "tire1Pressure", 1.4) [input]
        //   tire1Pressure 1.4 = vendor item 0x77 record {index 01, sensor 7E19F1, WORD 0x0038
        //   & 0x3FF / 40, temp, status}. The frame has three raw 0x7E bytes (escaped on the
        //   wire). Item 0x05 has length 3, not the 2019 tyre block's 30: kept raw.
        decodes(kFrames, 19, 0x0200, "012040000004", 0x019C, [](const Ctx& c) {
            expect_location(c, LocGolden{
                .alarm = 0x00000000, .status = 0x00000403,
                .lat_e6 = 22601623, .lon_e6 = 113860715, .altitude_m = 44, .speed_dkmh = 0,
                .direction = 171,
                .time = "2025-04-17T09:00:23Z",
                .mileage_100m = 3155, .signal_strength = 21, .satellites = 21,
                .raw = {
                    {0x05, "000000"},
                    {0x82, "008b"},
                    {0x53, "0101cc00262600000ff113"},
                    {0x77, "017e19f100384d08026e73e0003a4d08037e19e800000000047e3b950000000005409017000000000640a69600000000"},
                },
            });
            EXPECT_EQ(raw_item(c, 0x77).rfind("017e19f100384d08", 0), 0u);
        }),
        // F20 0x0900: verifyAttribute(..., Position.KEY_DRIVER_UNIQUE_ID, "10218094") [input]
        //   0x0900 pass-through type 0x40 kept raw. KEY_DRIVER_UNIQUE_ID "10218094" is field 4
        //   of the text "GTSL|6|1|0|10218094|1|".
        decodes(kFrames, 20, 0x0900, "413058889758", 0x8319, [](const Ctx& c) {
            expect_passthrough(c, 0x40, "00184754534c7c367c317c307c31303231383039347c317c0d0a");
        }),
        // F21 0x0200: verifyAttribute(..., Position.KEY_BATTERY_LEVEL, 62) [input]
        //   KEY_BATTERY_LEVEL 62 = item 0x06 with ONE byte 0x3E. Standard 0x06 is the 2019
        //   2-byte compartment temperature, so the wrong length keeps it raw (and no temperature).
        decodes(kFrames, 21, 0x0200, "012076463279", 0x0040, [](const Ctx& c) {
            expect_location(c, LocGolden{
                .alarm = 0x00000000, .status = 0x00006002,
                .lat_e6 = 22837943, .lon_e6 = 114426985, .altitude_m = 59, .speed_dkmh = 0,
                .direction = 0,
                .time = "2025-04-02T08:36:26Z",
                .raw = {{0x06, "3e"}},
            });
            EXPECT_EQ(raw_item(c, 0x06), "3e");
        }),
        // F22 0x0200: verifyNotNull [input]
        //   Traccar only asserts a position exists.
        decodes(kFrames, 22, 0x0200, "014093117711", 0x0002, [](const Ctx& c) {
            expect_location(c, LocGolden{
                .alarm = 0x00000100, .status = 0x00000002,
                .lat_e6 = 23116800, .lon_e6 = 114481183, .altitude_m = 0, .speed_dkmh = 0,
                .direction = 0,
                .time = "2025-02-10T02:38:46Z",
                .raw = {
                    {0xEB, "001700243436303b30303b31303336393b3438383438393130000500043123500004000805dc001300a354383453475f4a543830385f56302e313b000600a50000001000060089ffffffff000e00d801cc000001288102e9600eb5000600c500c650c8001600fb3839383630324433313932344630303134303331000500ae03001e0005f00001001e0009f0012502101108430000030030140003003126"},
                },
            });
        }),
        // F23 0x0900: verifyAttribute(..., Position.KEY_FUEL_USED, 565.96) [input]
        //   0x0900 pass-through type 0x41 kept raw: "$OBD-RT,..."; KEY_FUEL_USED 565.96 is its
        //   12th value.
        decodes(kFrames, 23, 0x0900, "018178393931", 0x0079, [](const Ctx& c) {
            expect_passthrough(c, 0x41, "244f42442d52542c31322e332c302c32302c302e30302c302e30302c302c31302e38392c33312e31352c3138312e36382c3138312c35342e32362c3536352e39362c302c302c300d0a");
            const auto* p = std::get_if<Passthrough>(&c.body);
            if (p != nullptr) { EXPECT_NE(str(p->data).find(",54.26,565.96,"), std::string::npos); }
        }),
        // F24 0x6006: verifyAttribute(..., Position.KEY_RESULT,
        //   "<VER:SDK:BC78E_PET_V1.02_240611,APP:PET10#HW014JTS10203D241104_Nov 4 2024_14:49:34>")
        //   [input]
        //   0x6006 (vendor text report) kept raw: encoding byte 0x00 + the KEY_RESULT text.
        decodes(kFrames, 24, 0x6006, "014164192753", 0x005A, [](const Ctx& c) {
            expect_raw_body(c, "003c5645523a53444b3a42433738455f5045545f56312e30325f3234303631312c4150503a50455431302348573031344a54533130323033443234313130345f4e6f7620203420323032345f31343a34393a33343e");
            const auto* r = std::get_if<RawBody>(&c.body);
            if (r != nullptr) {
                EXPECT_EQ(str(r->data.subspan(1)),
                          "<VER:SDK:BC78E_PET_V1.02_240611,APP:PET10#HW014JTS10203D241104_Nov  4 2024_14:49:34>");
            }
        }),
        // F25 0x0200: verifyPosition [input]
        //   verifyPosition: status 0 (not positioned) but coordinates and time are present.
        decodes(kFrames, 25, 0x0200, "014164192753", 0x0029, [](const Ctx& c) {
            expect_location(c, LocGolden{
                .alarm = 0x00000000, .status = 0x00000000,
                .lat_e6 = 22586145, .lon_e6 = 113907324, .altitude_m = 0, .speed_dkmh = 0,
                .direction = 0,
                .time = "2024-11-15T06:59:45Z",
                .mileage_100m = 0, .signal_strength = 31, .satellites = 0,
                .raw = {
                    {0x32, "00a2"},
                    {0x33, "03"},
                    {0xEB, "000c00b28986012184236189583200060089ffffffff000600c5fffffff70004002d0f0c000300a83c001100d5383637333139303736333637313439007000b90535343a42313a32313a36363a43393a45322c2d35302c35343a42313a32313a36363a43393a45302c2d35312c35433a42303a30413a32433a41443a37302c2d35322c35433a42303a30413a39303a36433a32442c2d36332c32453a37303a34463a33303a46313a34452c2d3734"},
                },
            });
        }),
        // F26 0x0200: verifyPosition [input]
        //   verifyPosition: status bits 2 and 3 set: south and west (Sao Paulo).
        decodes(kFrames, 26, 0x0200, "413057160185", 0x04E6, [](const Ctx& c) {
            expect_location(c, LocGolden{
                .alarm = 0x00000000, .status = 0x9020001e,
                .lat_e6 = -23404205, .lon_e6 = -46853273, .altitude_m = 734, .speed_dkmh = 0,
                .direction = 0,
                .time = "2024-08-25T09:03:44Z",
                .mileage_100m = 0, .signal_strength = 29, .satellites = 7,
                .raw = {
                    {0xF0, "02d4000301080509000079c9ac"},
                    {0xF2, "414f56585f474c3130302d4c415f48322e305f4547393135554c4141425230334130314d30385f56322e302e393a763130"},
                    {0xF4, "c0252f96f022d0c03dd95c5ec8c6e4fac4ea462eb798b3ef4f74dcb58416f94020e6b4"},
                    {0xF6, "001e00d3026b0000ffd0000805dc002800000032000a"},
                    {0xF7, "00000f48014e"},
                    {0xF8, "04086541305716018589553202100062282617474c3130302d4c410000"},
                    {0xF9, "000f00000001000000000018240825170407"},
                },
            });
        }),
        // F27 0x0200: verifyAttribute(..., Position.PREFIX_TEMP + 1, -10.8) [input]
        //   PREFIX_TEMP+1 -10.8 = vendor item 0xF6 {event 07, mask 1E, ...}: mask bit 1 -> int16
        //   0xFF94 / 10.
        decodes(kFrames, 27, 0x0200, "413057160185", 0x0419, [](const Ctx& c) {
            expect_location(c, LocGolden{
                .alarm = 0x00000000, .status = 0x1000000e,
                .lat_e6 = -23404231, .lon_e6 = -46853220, .altitude_m = 721, .speed_dkmh = 0,
                .direction = 0,
                .time = "2024-08-24T15:48:50Z",
                .mileage_100m = 0, .signal_strength = 31, .satellites = 8,
                .raw = {
                    {0xF0, "02d4000301080509000079c9af"},
                    {0xF2, "414f56585f474c3130302d4c415f48322e305f4547393135554c4141425230334130314d30385f56322e302e393a763130"},
                    {0xF6, "071eff940261ffe8ff10fdd805dc002800000032000a"},
                    {0xF7, "00000f620150"},
                    {0xF8, "04086541305716018589553202100062282617474c3130302d4c410000"},
                    {0xF9, "000f00000004000000000010240824234954"},
                },
            });
            EXPECT_EQ(raw_item(c, 0xF6).rfind("071eff94", 0), 0u);
        }),
        // F28 0x0200: verifyAttribute(..., Position.PREFIX_TEMP + 1, 29.1) [input]
        //   PREFIX_TEMP+1 29.1 = vendor item 0x51 (2 bytes) 0x0123 / 10.
        decodes(kFrames, 28, 0x0200, "019172511329", 0x0013, [](const Ctx& c) {
            expect_location(c, LocGolden{
                .alarm = 0x00000000, .status = 0x00000002,
                .lat_e6 = 22601586, .lon_e6 = 113860720, .altitude_m = 55, .speed_dkmh = 0,
                .direction = 132,
                .time = "2024-05-13T03:20:18Z",
                .mileage_100m = 0, .signal_strength = 13, .satellites = 29,
                .raw = {{0x57, "0000000000000000"}, {0x82, "0092"}, {0x51, "0123"}},
            });
            EXPECT_EQ(raw_item(c, 0x51), "0123");
        }),
        // F29 0x0200: verifyAttribute(..., Position.KEY_BATTERY_LEVEL, 100) [input]
        //   KEY_BATTERY_LEVEL 100 = vendor item 0xE3 byte 1 (0x64).
        decodes(kFrames, 29, 0x0200, "017051564189", 0x000C, [](const Ctx& c) {
            expect_location(c, LocGolden{
                .alarm = 0x00000000, .status = 0x000c0002,
                .lat_e6 = 22609778, .lon_e6 = 114106188, .altitude_m = 0, .speed_dkmh = 0,
                .direction = 291,
                .time = "2020-11-22T03:56:39Z",
                .mileage_100m = 0, .signal_strength = 67, .satellites = 20,
                .raw = {{0x93, "00"}, {0xE3, "0064019a0000"}},
            });
            EXPECT_EQ(raw_item(c, 0xE3), "0064019a0000");
        }),
        // F30 0x0200: verifyAttribute(..., Position.PREFIX_TEMP + 1, -2.3) [input]
        //   PREFIX_TEMP+1 -2.3 = vendor item 0x51 first WORD 0x8017: sign bit + 23 / 10.
        decodes(kFrames, 30, 0x0200, "019808090874", 0x0AF3, [](const Ctx& c) {
            expect_location(c, LocGolden{
                .alarm = 0x00000000, .status = 0x000c000f,
                .lat_e6 = -23462563, .lon_e6 = -46555896, .altitude_m = 764, .speed_dkmh = 0,
                .direction = 204,
                .time = "2024-05-16T10:13:24Z",
                .mileage_100m = 527, .signal_strength = 30, .satellites = 9,
                .raw = {
                    {0xF3, "00"},
                    {0x61, "04b0"},
                    {0x56, "0acd"},
                    {0x5D, "0102d40379b8011423033c"},
                    {0x51, "8017ffffffffffffffffffffffffffff"},
                },
            });
            EXPECT_EQ(raw_item(c, 0x51).rfind("8017", 0), 0u);
        }),
        // F31 0x0200: verifyAttribute(..., Position.KEY_ICCID, "8942310221007544309") [input]
        //   KEY_ICCID = vendor 0xEB sub-record type 0x00B2, 10 bytes hex, trailing 'f' dropped.
        decodes(kFrames, 31, 0x0200, "010050376964", 0x0002, [](const Ctx& c) {
            expect_location(c, LocGolden{
                .alarm = 0x00000100, .status = 0x0000001a,
                .lat_e6 = 28961528, .lon_e6 = -81325702, .altitude_m = 24, .speed_dkmh = 0,
                .direction = 0,
                .time = "2024-05-06T19:51:52Z",
                .mileage_100m = 0, .signal_strength = 0, .satellites = 7,
                .raw = {{0xEB, "00060089fffffffe000400ce0000000c00b28942310221007544309f"}},
            });
            expect_raw_holds(c, 0xEB, "000c00b28942310221007544309f");
        }),
        // F32 0x0200: verifyAttribute(..., Position.KEY_BATTERY_LEVEL, 76) [input]
        //   KEY_BATTERY_LEVEL 76 = vendor 0xEB sub-record type 0x00A8, one byte 0x4C.
        decodes(kFrames, 32, 0x0200, "009590001944", 0x0008, [](const Ctx& c) {
            expect_location(c, LocGolden{
                .alarm = 0x00000000, .status = 0x00000003,
                .lat_e6 = 22914632, .lon_e6 = 114078888, .altitude_m = 17, .speed_dkmh = 0,
                .direction = 0,
                .time = "2023-08-15T17:41:37Z",
                .mileage_100m = 23359, .signal_strength = 31, .satellites = 18,
                .raw = {
                    {0xEB, "000c00b28986049910219020787400060089ffffffff000600c5ffffffef0004002d0f4e000300a84c"},
                },
            });
            expect_raw_holds(c, 0xEB, "000300a84c");
        }),
        // F33 0x5501: verifyAttribute(..., "unlockResult", 0x65) [input]
        //   Vendor 0x55xx (Jointech lock) body, kept raw: bytes 0-5 BCD DDMMYY hhmmss, 6-9 latitude
        //   BCD ddmm.mmmm, 10-14 longitude BCD dddmm.mmmm + a flags nibble (bit 0 valid, bit 1
        //   north, bit 2 east), then speed, course, rssi, satellites, odometer, battery...
        //   "unlockResult" 0x65 = item {0x0B, len 8}: command 03, password "689607", result 65.
        decodes(kFrames, 33, 0x5501, "856009001017", 0x0047, [](const Ctx& c) {
            expect_vendor_55xx(c, 3, "01022106242122348476113550490700001c06000000074e0000000000000308100000100102020200000a030000000b0803363839363037650c0600000001000a");
            EXPECT_NE(to_hex(c.frame_body).find("0b0803363839363037650c"), std::string::npos);
        }),
        // F34 0x5501: verifyPosition [input]
        //   INCONSISTENT: XOR bad (calc 86 vs 1b).
        rejected(kFrames, 34, 0x5501, Errc::bad_checksum),
        // F35 0x5502: verifyPosition [input]
        //   Vendor 0x55xx (Jointech lock) body, kept raw: bytes 0-5 BCD DDMMYY hhmmss, 6-9 latitude
        //   BCD ddmm.mmmm, 10-14 longitude BCD dddmm.mmmm + a flags nibble (bit 0 valid, bit 1
        //   north, bit 2 east), then speed, course, rssi, satellites, odometer, battery...
        //   verifyPosition: 08-05-21 06:30:51, 22 deg 34.8621', 113 deg 55.0170', flags 7.
        decodes(kFrames, 35, 0x5502, "850011000200", 0x00C0, [](const Ctx& c) {
            expect_vendor_55xx(c, 3, "08052106305122348621113550170700001e080000000aaa0000000000000300000000100100020200140a030000000c06003bffa8ffc3");
        }),
        // F36 0x0200: verifyAttribute(..., Position.KEY_DRIVER_UNIQUE_ID, "\u00909001738") [input]
        //   KEY_DRIVER_UNIQUE_ID = vendor item 0x60: event 0x0065, lock id (6), 8 ASCII bytes
        //   ("\x90" "9001738"). Alarm bit 2 (fatigue) is standard.
        decodes(kFrames, 36, 0x0200, "000000001862", 0x003F, [](const Ctx& c) {
            expect_location(c, LocGolden{
                .alarm = 0x00000004, .status = 0x00108042,
                .lat_e6 = 22688290, .lon_e6 = 113797448, .altitude_m = 23, .speed_dkmh = 123,
                .direction = 302,
                .time = "2023-09-18T00:15:50Z",
                .raw = {
                    {0x66, "01cc1a0000099dc25727b0130000099dc26b27b00100000c40f89427b0"},
                    {0x71, "3839383630343639313032313930303738313533"},
                    {0x6A, "14"},
                    {0x50, "f8af05826bc8ca24e124f732b7c780c5484d6318c0a840412262d4bcec26ca0234ccb85455d5114f12b650fa841fbec0b03c67a21f501cae6c384595028da7"},
                    {0x6B, "00"},
                    {0x60, "0065000012345678903930303137333833"},
                    {0x63, "0012345678900e5c308000"},
                    {0x68, "000003d4"},
                    {0x69, "016f"},
                },
            });
            EXPECT_EQ(raw_item(c, 0x60), "0065000012345678903930303137333833");
        }),
        // F37 0x0200: verifyAttribute(..., "lock2Battery", 4.038) [input]
        //   lock2Battery 4.038 = vendor item 0x63, second 11-byte lock record, WORD 0x0FC6 / 1000.
        decodes(kFrames, 37, 0x0200, "440061018577", 0x001B, [](const Ctx& c) {
            expect_location(c, LocGolden{
                .alarm = 0x00001000, .status = 0x00200066,
                .lat_e6 = -6290315, .lon_e6 = 106809488, .altitude_m = 0, .speed_dkmh = 0,
                .direction = 0,
                .time = "2023-09-07T21:13:40Z",
                .raw = {
                    {0x63, "cd91fe1314da1080318122c3a19a6f6f3a0fc6318113"},
                    {0x66, "01fe00000a069a011704de"},
                    {0x69, "01a1"},
                    {0x6A, "1f"},
                    {0x6B, "0a"},
                    {0x6C, "353130313031393135393237383735"},
                    {0x71, "3839363231303030313931353932373837353546"},
                },
            });
            EXPECT_EQ(raw_item(c, 0x63).substr(22, 16), "c3a19a6f6f3a0fc6");
        }),
        // F38 0x0102: verifyNull [input]
        //   0x0102 (Traccar: no position). Binary-IMEI phone, accepted and flagged.
        decodes(kFrames, 38, 0x0102, "4f07788ef676", 0x0182, [](const Ctx& c) {
            expect_auth_code(c, "ODY4OTM1MDYwMDA1MDIwbmV3U25SdWxl");
            EXPECT_TRUE(c.header.phone_not_bcd);
        }),
        // F39 0x0200: verifyAttribute(..., Position.KEY_BATTERY_LEVEL, 90) [input]
        //   KEY_BATTERY_LEVEL 90 = vendor item 0x56 byte 0 (0x09) * 10. Alarm bit 17 is standard.
        decodes(kFrames, 39, 0x0200, "014501643822", 0x0003, [](const Ctx& c) {
            expect_location(c, LocGolden{
                .alarm = 0x00020000, .status = 0x000c000c,
                .lat_e6 = 0, .lon_e6 = 0, .altitude_m = 0, .speed_dkmh = 0, .direction = 0,
                .time = "2023-06-15T06:39:03Z",
                .signal_strength = 17, .satellites = 0,
                .raw = {
                    {0x53, "01027f0300456f073e"},
                    {0x56, "0900"},
                    {0xFE, "001e"},
                    {0x57, "0002000200000000"},
                },
            });
            EXPECT_EQ(raw_item(c, 0x56), "0900");
        }),
        // F40 0x0900: verifyAttribute(..., Position.KEY_DTCS, "P1457") [input]
        //   0x0900 type 0xF0 (OBD box), kept raw: time 230515123046, subtype 02 = DTC list;
        //   KEY_DTCS "P1457" is the ASCII code in it. The data holds 7D bytes (escaped on the
        //   wire).
        decodes(kFrames, 40, 0x0900, "4f07788ef87d", 0x0138, [](const Ctx& c) {
            expect_passthrough(c, 0xF0, "2305151230460102020001ffffffff000100001457000000020006503134353700000c000a029dc63004b99a98230515132726");
            EXPECT_TRUE(c.header.phone_not_bcd);
            EXPECT_NE(to_hex(c.frame_body).find(to_hex(as_bytes("P1457"))), std::string::npos);
        }),
        // F41 0x0200: verifyAttribute(..., Position.KEY_BATTERY, 3.95) [input]
        //   KEY_BATTERY 3.95 = vendor item 0x69 (2 bytes) 0x018B / 100.
        decodes(kFrames, 41, 0x0200, "768061118983", 0x0071, [](const Ctx& c) {
            expect_location(c, LocGolden{
                .alarm = 0x00000000, .status = 0x00100046,
                .lat_e6 = -6107478, .lon_e6 = 106918184, .altitude_m = 0, .speed_dkmh = 0,
                .direction = 0,
                .time = "2023-05-11T08:59:56Z",
                .raw = {
                    {0x66, "01fe000001031a5d1a8101"},
                    {0x67, "3133323134333232"},
                    {0x69, "018b"},
                    {0x6A, "16"},
                    {0x6B, "00"},
                    {0x6C, "323034303830393230373533363735"},
                    {0x71, "3839343434373838303030303032313130303046"},
                },
            });
            EXPECT_EQ(raw_item(c, 0x69), "018b");
        }),
        // F42 0x0200: verifyAttribute(..., Position.KEY_EVENT, 4) [input]
        //   KEY_EVENT 4 = vendor item 0x60 first WORD.
        decodes(kFrames, 42, 0x0200, "768060874297", 0x002D, [](const Ctx& c) {
            expect_location(c, LocGolden{
                .alarm = 0x00000000, .status = 0x00208022,
                .lat_e6 = 22687920, .lon_e6 = 113797624, .altitude_m = 0, .speed_dkmh = 0,
                .direction = 0,
                .time = "2023-05-04T22:20:34Z",
                .raw = {
                    {0x60, "0004003930303235343939"},
                    {0x66, "01cc0000000c40f89f27b0"},
                    {0x67, "3133323134333232"},
                    {0x69, "0193"},
                    {0x6A, "11"},
                    {0x6B, "00"},
                    {0x6C, "343630303831383539373036323430"},
                    {0x71, "3839383630343938313032313930353835373430"},
                },
            });
            EXPECT_EQ(raw_item(c, 0x60).rfind("0004", 0), 0u);
        }),
        // F43 0x0200: verifyAttribute(..., Position.KEY_BATTERY_LEVEL, 45) [input]
        //   KEY_BATTERY_LEVEL 45 = vendor item 0xE1 with one byte 0x2D.
        decodes(kFrames, 43, 0x0200, "017028775424", 0x038D, [](const Ctx& c) {
            expect_location(c, LocGolden{
                .alarm = 0x00000000, .status = 0x0000000a,
                .lat_e6 = 25811947, .lon_e6 = -80373050, .altitude_m = 0, .speed_dkmh = 18,
                .direction = 327,
                .time = "2023-04-06T16:07:44Z",
                .mileage_100m = 0, .signal_strength = 27, .satellites = 14,
                .raw = {{0xE1, "2d"}, {0xEA, "0001"}},
            });
            EXPECT_EQ(raw_item(c, 0xE1), "2d");
        }),
        // F44 0x0200: verifyAttribute(..., "driver", "DRIVING LICENSE$TEST$MR.") [input]
        //   "driver" = vendor item 0xBC ASCII, NUL padding trimmed.
        decodes(kFrames, 44, 0x0200, "013653183645", 0x009E, [](const Ctx& c) {
            expect_location(c, LocGolden{
                .alarm = 0x00000000, .status = 0x000c0c03,
                .lat_e6 = 22593280, .lon_e6 = 113845863, .altitude_m = 0, .speed_dkmh = 64,
                .direction = 206,
                .time = "2022-12-08T20:27:42Z",
                .mileage_100m = 93, .signal_strength = 31, .satellites = 8,
                .raw = {
                    {0xBC, "44524956494e47204c4943454e53452454455354244d522e0000000000000000000000000000000000000000000000000000"},
                    {0xBD, "323431393939393935383030313030"},
                    {0xE3, "000005050000"},
                    {0x71, "000c"},
                },
            });
            EXPECT_EQ(ascii_of_hex(raw_item(c, 0xBC)).substr(0, 24), "DRIVING LICENSE$TEST$MR.");
        }),
        // F45 0x5501: verifyAttribute(..., "tilt", "[-104,-88,126]") [input]
        //   Vendor 0x55xx (Jointech lock) body, kept raw: bytes 0-5 BCD DDMMYY hhmmss, 6-9 latitude
        //   BCD ddmm.mmmm, 10-14 longitude BCD dddmm.mmmm + a flags nibble (bit 0 valid, bit 1
        //   north, bit 2 east), then speed, course, rssi, satellites, odometer, battery...
        //   "tilt" [-104,-88,126] = item {0x0C, len 6}: int16 FF98, FFA8, 007E (a raw 0x7E byte,
        //   escaped on the wire).
        decodes(kFrames, 45, 0x5501, "857111000339", 0x009A, [](const Ctx& c) {
            expect_vendor_55xx(c, 7, "07032310302029538631031015370500001a0c000000265700440001233703080000001001020202000a0a04028f000af401040c06ff98ffa8007e");
        }),
        // F46 0x0900: verifyPosition [input]
        //   0x0900 type 0xF0 subtype 03 (alarms) kept raw; Traccar's position is at the end of
        //   the data: status 000C000B, lat 0x029DC58C = 43.894156, lon 0x04B99B60 = 79.272800 W.
        decodes(kFrames, 46, 0x0900, "4f07788ef87d", 0x000C, [](const Ctx& c) {
            expect_passthrough(c, 0xF0, "230223150215010203013800000c000b029dc58c04b99b60230223171822");
            EXPECT_TRUE(c.header.phone_not_bcd);
        }),
        // F47 0x0200: verifyPosition [input]
        //   verifyPosition: status 0x10 (out of service, not positioned); Netherlands.
        decodes(kFrames, 47, 0x0200, "079042262206", 0x08CA, [](const Ctx& c) {
            expect_location(c, LocGolden{
                .alarm = 0x00000100, .status = 0x00000010,
                .lat_e6 = 52276237, .lon_e6 = 4744435, .altitude_m = 0, .speed_dkmh = 0,
                .direction = 0,
                .time = "2022-12-29T02:03:22Z",
                .mileage_100m = 96679, .signal_strength = 7, .satellites = 0,
                .raw = {{0xEB, "000300e151000300e304000b00d801041edf340000306b"}},
            });
        }),
        // F48 0x0200: verifyPosition [input]
        //   verifyPosition: standard 0x01/02/03/25/2A/2B/30/31 all decoded.
        decodes(kFrames, 48, 0x0200, "069223000241", 0x002E, [](const Ctx& c) {
            expect_location(c, LocGolden{
                .alarm = 0x00000000, .status = 0x000c0003,
                .lat_e6 = 22714616, .lon_e6 = 113811750, .altitude_m = 19, .speed_dkmh = 0,
                .direction = 230,
                .time = "2022-08-26T09:46:44Z",
                .mileage_100m = 383, .fuel_100ml = 1, .recorder_speed_dkmh = 0,
                .vehicle_signals = 0x0, .io_status = 0, .analog = 0x0, .signal_strength = 23,
                .satellites = 18,
                .raw = {
                    {0xE3, "000005890000"},
                    {0xF3, "000202000000030202f2000402375f00050400000000000602000c000702000c000801320009020072000b020035000c020050000d020176000e0122000f018a00501b4c46504d34414350584731413337303937000000000000000000000052040000000c01000200010101040000000001020200010103040000000101040203e7010c02000e010d020000010e02059b010f020072011002387001110200000112020000011302000001140200000116020000"},
                },
            });
        }),
        // F49 0x0210: verifyPositions [input]
        //   0x0210 (vendor batch) kept raw. verifyPositions: the body is {length BYTE, 0x0200 body}
        //   records; decoding each record with decode_location gives the positions Traccar checks.
        decodes(kFrames, 49, 0x0210, "010036526447", 0x000A, [](const Ctx& c) {
            const auto* r = body_as<RawBody>(c);
            if (r == nullptr) return;
            EXPECT_EQ(r->data.size(), 418u);
            std::vector<Location> items;
            for (std::size_t at = 0; at < r->data.size();) {
                const std::size_t n = r->data[at];
                ASSERT_LE(at + 1 + n, r->data.size());
                auto l = decode_location(r->data.subspan(at + 1, n));
                ASSERT_TRUE(l.has_value()) << l.error().message();
                items.push_back(*l);
                at += 1 + n;
            }
            ASSERT_EQ(items.size(), 8u);
            const std::vector<RawItem> cells = {{0x66, "019431000b0000cf47006931000b000058a4006930000b000088240069"}};
            for (std::size_t i = 0; i < items.size(); ++i) {
                SCOPED_TRACE("0x0210 record " + std::to_string(i));
                const std::string time = "2016-11-18T03:01:2" + std::to_string(i + 1) + "Z";
                const bool short_record = i == 4 || i == 7;  // 28 bytes: no additional items
                expect_location(items[i], LocGolden{
                    .status = 0x00000001, .lat_e6 = 22607138, .lon_e6 = 113841840, .time = time,
                    .raw = short_record ? std::vector<RawItem>{} : cells});
            }
        }),
        // F50 0x0200: verifyAttribute(..., Position.PREFIX_TEMP + 3, -17.094117647058823) [input]
        //   PREFIX_TEMP+3 -17.094 = vendor item 0xE6 {sensor 03, MAC (6), int8 0xEF = -17,
        //   0x18/255}.
        //   Status bit 5 (coordinates encrypted by the security plug-in) is set: decoded, flagged.
        decodes(kFrames, 50, 0x0200, "012291302260", 0x198F, [](const Ctx& c) {
            expect_location(c, LocGolden{
                .alarm = 0x00000000, .status = 0x800c0123,
                .lat_e6 = 13788438, .lon_e6 = 100610440, .altitude_m = 30, .speed_dkmh = 0,
                .direction = 0,
                .time = "2022-10-25T02:31:00Z",
                .recorder_speed_dkmh = 0,
                .raw = {
                    {0xA7, "00000000"},
                    {0xAC, "0000012c"},
                    {0xE5, "0003"},
                    {0xE6, "03bc572900ce2eef183200"},
                    {0xE7, "000000"},
                },
            });
            EXPECT_EQ(raw_item(c, 0xE6), "03bc572900ce2eef183200");
            const Location* l = location_of(c);
            if (l != nullptr) { EXPECT_TRUE(l->encrypted()); }
        }),
        // F51 0x0200: verifyAttribute(..., Position.KEY_ALARM, Position.ALARM_ACCELERATION) [input]
        //   ALARM_ACCELERATION = vendor item 0xFE {mark 7C, {01, 4, DWORD bit 0}}. 0xE1 with 2
        //   bytes is Traccar's KEY_POWER (0x0075 / 10).
        decodes(kFrames, 51, 0x0200, "012152334751", 0x0003, [](const Ctx& c) {
            expect_location(c, LocGolden{
                .alarm = 0x00000000, .status = 0x00000003,
                .lat_e6 = 22708065, .lon_e6 = 114265324, .altitude_m = 61, .speed_dkmh = 0,
                .direction = 0,
                .time = "2021-07-13T03:48:19Z",
                .mileage_100m = 86, .signal_strength = 25, .satellites = 26,
                .raw = {
                    {0xE1, "0075"},
                    {0x5D, "0601cc0024990a7da0032301cc002499099b2941fc01cc002499099b29430b01cc0024990a7da0290601cc0024990a7da015fd01cc0026220994506bff"},
                    {0xFE, "7c010400000001f10c000000000000000000000000"},
                },
            });
            EXPECT_EQ(raw_item(c, 0xFE).rfind("7c010400000001", 0), 0u);
        }),
        // F52 0x0200: verifyAttribute(..., Position.KEY_BATTERY_LEVEL, 100) [input]
        //   KEY_BATTERY_LEVEL 100 = vendor 0xEB sub-record type 0x00E1, one byte 0x64.
        decodes(kFrames, 52, 0x0200, "055123142556", 0x0568, [](const Ctx& c) {
            expect_location(c, LocGolden{
                .alarm = 0x00000000, .status = 0x04000002,
                .lat_e6 = 23169687, .lon_e6 = 113451233, .altitude_m = 65, .speed_dkmh = 0,
                .direction = 39,
                .time = "2022-06-08T08:26:15Z",
                .mileage_100m = 349, .signal_strength = 21, .satellites = 5,
                .raw = {{0xEB, "000300e164000300e301"}},
            });
            expect_raw_holds(c, 0xEB, "000300e164");
        }),
        // F53 0xtext: verifyNull [input]
        //   ASCII sentence (Traccar answers "BASE,2" with the time).
        special(kFrames, 53, text_is_not_a_frame),
        // F54 0x0200: verifyAttribute(..., "lock1Locked", false) [input]
        //   lock1Locked false = vendor item 0xD5 {count 1, id (5), card (5), battery, status
        //   WORD 0x0030}: bit 5 set means unlocked.
        decodes(kFrames, 54, 0x0200, "200002604323", 0x0048, [](const Ctx& c) {
            expect_location(c, LocGolden{
                .alarm = 0x00000000, .status = 0x000c0000,
                .lat_e6 = 22591764, .lon_e6 = 113995783, .altitude_m = 107, .speed_dkmh = 0,
                .direction = 0,
                .time = "2022-05-12T02:11:38Z",
                .mileage_100m = 3880, .recorder_speed_dkmh = 0, .vehicle_signals = 0x0,
                .signal_strength = 20, .satellites = 0,
                .raw = {
                    {0xE3, "00"},
                    {0xD5, "0100026043232795980277530030"},
                    {0xE5, "00000000"},
                    {0xE7, "0fc8"},
                    {0xE8, "0e83"},
                },
            });
            EXPECT_EQ(raw_item(c, 0xD5), "0100026043232795980277530030");
        }),
        // F55 0x0900: verifyPosition [input]
        //   0x0900 type 0xF0 subtype 01 (OBD data items) kept raw; the position Traccar checks is
        //   the last 12 bytes: status 000C0003, lat 0x0160A85C = 23.111772, lon 0x06D1C138.
        decodes(kFrames, 55, 0x0900, "4e5de66fba22", 0x00C4, [](const Ctx& c) {
            expect_passthrough(c, 0xF0, "2204280610090002010d052b0150052c0400129009052d016b052e014f05300231ba053502000005360203b8053802000005390200ad053d0201ea05440150054604009899d90545040000001e000c00030160a85c06d1c138");
            EXPECT_TRUE(c.header.phone_not_bcd);
        }),
        // F56 0x0100: verifyNull [input]
        //   2011 registration (33-byte body): model BYTE[8], plate GBK.
        decodes(kFrames, 56, 0x0100, "013345678906", 0x000F, [](const Ctx& c) {
            expect_registration(c, {.dialect = Dialect::v2011, .province = 44, .city = 303,
                                      .maker = "70111", .model = "BSJ-M7B",
                                      .terminal_id_hex = "30303030303030", .plate_color = 1,
                                      .plate_utf8 = "\u7ca4B88888"});
        }),
        // F57 0x0200: verifyAttribute(..., Position.KEY_ALARM, Position.ALARM_LOW_BATTERY + "," +
        //   Position.ALARM_REMOVING) [input]
        //   ALARM_LOW_BATTERY = standard alarm bit 7 (main power under-voltage); ALARM_REMOVING =
        //   vendor 0xEB sub-record type 0x0089 bit 12 clear.
        decodes(kFrames, 57, 0x0200, "012345678901", 0x0013, [](const Ctx& c) {
            expect_location(c, LocGolden{
                .alarm = 0x00000080, .status = 0x00000003,
                .lat_e6 = 22641605, .lon_e6 = 114032486, .altitude_m = 235, .speed_dkmh = 0,
                .direction = 341,
                .time = "2021-07-26T12:35:31Z",
                .mileage_100m = 0,
                .raw = {
                    {0xEB, "000c00b28986047701207027150200060089ffffefff0004002d0e10000600c5ffffffef"},
                },
            });
            expect_raw_holds(c, 0xEB, "00060089ffffefff");
        }),
        // F58 0x0200: verifyAttribute(..., Position.KEY_DTCS, "P538f U029f") [input]
        //   KEY_DTCS "P538f U029f" = vendor item 0xA0 ASCII "P538f,U029f". One raw 0x7E byte
        //   (item 0x87), escaped on the wire.
        decodes(kFrames, 58, 0x0200, "019171590437", 0x00B3, [](const Ctx& c) {
            expect_location(c, LocGolden{
                .alarm = 0x00000000, .status = 0x80000003,
                .lat_e6 = 22583558, .lon_e6 = 113905623, .altitude_m = 4, .speed_dkmh = 0,
                .direction = 0,
                .time = "2021-11-29T03:17:05Z",
                .mileage_100m = 0, .signal_strength = 13,
                .raw = {
                    {0xCC, "3839383630374238313032303930313632393638"},
                    {0x80, "aa"},
                    {0x81, "1388"},
                    {0x82, "0085"},
                    {0x83, "14"},
                    {0x84, "aa"},
                    {0x85, "189b"},
                    {0x86, "33"},
                    {0x87, "007e"},
                    {0x88, "33"},
                    {0x89, "14"},
                    {0x8A, "0099"},
                    {0x8B, "3132333435363738394142434445464748"},
                    {0x8C, "000200a8"},
                    {0x8D, "0082"},
                    {0x8E, "14"},
                    {0xA0, "50353338662c5530323966"},
                },
            });
            EXPECT_EQ(ascii_of_hex(raw_item(c, 0xA0)), "P538f,U029f");
        }),
        // F59 0x0200: verifyPosition [input]
        //   verifyPosition; the hex is real wire form (7D escapes): fed to the framer as is.
        decodes(kFrames, 59, 0x0200, "019171590437", 0x0A2E, [](const Ctx& c) {
            expect_location(c, LocGolden{
                .alarm = 0x00000000, .status = 0x80000003,
                .lat_e6 = 22583576, .lon_e6 = 113905643, .altitude_m = 4, .speed_dkmh = 0,
                .direction = 269,
                .time = "2021-11-08T11:40:50Z",
                .mileage_100m = 3, .signal_strength = 26,
                .raw = {
                    {0xCC, "3839383630343738313032303730333138363038"},
                    {0x80, "aa"},
                    {0x81, "1388"},
                    {0x82, "007a"},
                    {0x83, "14"},
                    {0x84, "aa"},
                    {0x85, "189b"},
                    {0x86, "33"},
                    {0x87, "007e"},
                    {0x88, "33"},
                    {0x89, "14"},
                    {0x8A, "0099"},
                    {0x8B, "3132333435363738394142434445464748"},
                    {0x8C, "000200a8"},
                    {0x8D, "0082"},
                    {0x8E, "14"},
                    {0xA0, ""},
                },
            });
        }),
        // F60 0x0200: verifyPosition [input]
        //   verifyPosition: west longitude (status bit 3).
        decodes(kFrames, 60, 0x0200, "019171844754", 0x0DCD, [](const Ctx& c) {
            expect_location(c, LocGolden{
                .alarm = 0x00000000, .status = 0x8000000b,
                .lat_e6 = 43953090, .lon_e6 = -79329361, .altitude_m = 4, .speed_dkmh = 0,
                .direction = 4,
                .time = "2021-11-18T15:21:12Z",
                .mileage_100m = 6134, .signal_strength = 29,
                .raw = {
                    {0xCC, "3839333032373230373033393330333837323731"},
                    {0x80, "34"},
                    {0x81, "0471"},
                    {0x82, "0082"},
                    {0x83, "0e"},
                    {0x84, "7b"},
                    {0x85, "1ae9"},
                    {0x86, "2f"},
                    {0x87, "0178"},
                    {0x89, "03"},
                    {0x8B, "4a4e31424a314352364b57333336353335"},
                    {0x8C, "0008dcb6"},
                    {0x8D, "018c"},
                    {0x8E, "3d"},
                    {0xA0, ""},
                },
            });
        }),
        // F61 0x2070: verifyNotNull [input]
        //   0x2070 (vendor accelerometer log) kept raw: 55 records {BCD time, 3 x sign-magnitude
        //   int16}; Traccar builds a G-sensor string from them.
        decodes(kFrames, 61, 0x2070, "012152300153", 0x0047, [](const Ctx& c) {
            const auto* r = body_as<RawBody>(c);
            if (r == nullptr) return;
            EXPECT_EQ(r->data.size(), 660u);
            EXPECT_EQ(to_hex(r->data.first(12)), "210927151009000e002d80ac");
            EXPECT_EQ(to_hex(r->data.last(12)), "210927151103000e002e80a5");
        }),
        // F62 0x0704: verifyNotNull [input]
        //   verifyNotNull: 6 blind-area items, the first five unpositioned with zero coordinates.
        decodes(kFrames, 62, 0x0704, "046110426684", 0x002B, [](const Ctx& c) {
            expect_batch(c, 1, {
                LocGolden{
                    .alarm = 0x00000000, .status = 0x00000000,
                    .lat_e6 = 0, .lon_e6 = 0, .altitude_m = 0, .speed_dkmh = 0, .direction = 0,
                    .time = "2021-03-14T02:53:00Z",
                    .mileage_100m = 0, .signal_strength = 27, .satellites = 1,
                    .raw = {
                        {0xE4, "0064"},
                        {0xE5, "01"},
                        {0xE6, "00"},
                        {0xE7, "0000000000000000"},
                        {0xEB, "01cc00253510260100000000000000000000000000000000000000000000000000"},
                    },
                },
                LocGolden{
                    .alarm = 0x00000000, .status = 0x004c0001,
                    .lat_e6 = 0, .lon_e6 = 0, .altitude_m = 0, .speed_dkmh = 0, .direction = 0,
                    .time = "2021-03-14T02:53:14Z",
                    .mileage_100m = 0, .signal_strength = 31, .satellites = 3,
                    .raw = {
                        {0xE4, "0064"},
                        {0xE5, "01"},
                        {0xE6, "00"},
                        {0xE7, "0000000000000000"},
                        {0xEB, "01cc0025351026012535100f32263d11f931000000000000000000000000000000"},
                    },
                },
                LocGolden{
                    .alarm = 0x00000000, .status = 0x004c0001,
                    .lat_e6 = 0, .lon_e6 = 0, .altitude_m = 0, .speed_dkmh = 0, .direction = 0,
                    .time = "2021-03-14T02:53:40Z",
                    .mileage_100m = 0, .signal_strength = 31, .satellites = 4,
                    .raw = {
                        {0xE4, "0064"},
                        {0xE5, "01"},
                        {0xE6, "00"},
                        {0xE7, "0000000000000000"},
                        {0xEB, "01cc002535102601263d11f92d0000000000000000000000000000000000000000"},
                    },
                },
                LocGolden{
                    .alarm = 0x00000000, .status = 0x004c0001,
                    .lat_e6 = 0, .lon_e6 = 0, .altitude_m = 0, .speed_dkmh = 0, .direction = 0,
                    .time = "2021-03-14T02:53:50Z",
                    .mileage_100m = 0, .signal_strength = 24, .satellites = 4,
                    .raw = {
                        {0xE4, "0064"},
                        {0xE5, "01"},
                        {0xE6, "00"},
                        {0xE7, "0000000000000000"},
                        {0xEB, "01cc002535102601263d11f92e25350f6f2c263d120d2c00000000000000000000"},
                    },
                },
                LocGolden{
                    .alarm = 0x00000000, .status = 0x004c0001,
                    .lat_e6 = 0, .lon_e6 = 0, .altitude_m = 0, .speed_dkmh = 0, .direction = 0,
                    .time = "2021-03-14T02:54:00Z",
                    .mileage_100m = 0, .signal_strength = 29, .satellites = 5,
                    .raw = {
                        {0xE4, "0064"},
                        {0xE5, "01"},
                        {0xE6, "00"},
                        {0xE7, "0000000000000000"},
                        {0xEB, "01cc002535102601263d11f93025350f6f2e263d120d2e00000000000000000000"},
                    },
                },
                LocGolden{
                    .alarm = 0x00000000, .status = 0x004c0003,
                    .lat_e6 = 22733793, .lon_e6 = 113781433, .altitude_m = 0, .speed_dkmh = 16,
                    .direction = 267,
                    .time = "2021-03-14T02:54:09Z",
                    .mileage_100m = 0, .signal_strength = 27, .satellites = 5,
                    .raw = {{0xE4, "0064"}, {0xE5, "01"}, {0xE6, "00"}, {0xE7, "0000000000000000"}},
                },
            });
        }),
        // F63 0x0200: verifyAttribute(..., Position.KEY_ALARM, Position.ALARM_TAMPERING) [input]
        //   ALARM_TAMPERING = standard alarm bit 17 (in the golden alarm word).
        decodes(kFrames, 63, 0x0200, "421030000018", 0x004C, [](const Ctx& c) {
            expect_location(c, LocGolden{
                .alarm = 0x00020000, .status = 0x00040002,
                .lat_e6 = 22375883, .lon_e6 = 113562653, .altitude_m = 12, .speed_dkmh = 241,
                .direction = 252,
                .time = "2021-01-18T01:58:53Z",
                .mileage_100m = 0,
                .raw = {{0xFE, "40"}, {0xFF, "01cc000000002694000055d8"}},
            });
        }),
        // F64 0x0200: verifyAttribute(..., Position.KEY_BATTERY_LEVEL, 69) [input]
        //   KEY_BATTERY_LEVEL 69 = vendor item 0xFE with one byte 0x45.
        decodes(kFrames, 64, 0x0200, "202011200010", 0x0013, [](const Ctx& c) {
            expect_location(c, LocGolden{
                .alarm = 0x00020000, .status = 0x00040002,
                .lat_e6 = 22590208, .lon_e6 = 113852133, .altitude_m = 32, .speed_dkmh = 0,
                .direction = 0,
                .time = "2020-11-27T08:29:37Z",
                .mileage_100m = 0,
                .raw = {{0xFE, "45"}, {0xFF, "01cc00000000263300000f3e"}},
            });
            EXPECT_EQ(raw_item(c, 0xFE), "45");
        }),
        // F65 0x0200: verifyPosition [input]
        //   verifyPosition: after four empty items 0x00, an item 0x00 claims 0x78 bytes and
        //   overruns
        //   the body: the basic block and the items before it are kept, the rest is `trailing`.
        decodes(kFrames, 65, 0x0200, "202000129707", 0x001C, [](const Ctx& c) {
            expect_location(c, LocGolden{
                .alarm = 0x00000000, .status = 0x00001c06,
                .lat_e6 = -27455656, .lon_e6 = 153029616, .altitude_m = 0, .speed_dkmh = 0,
                .direction = 237,
                .time = "2020-11-02T19:17:33Z",
                .raw = {{0x00, ""}, {0x00, ""}, {0x00, ""}, {0x00, ""}},
                .trailing = "00780000000018000000",
            });
        }),
        // F66 0x0704: verifyAttribute(..., Position.KEY_POWER, 74.94) [input]
        //   KEY_POWER 74.94 = vendor 0xEB sub-record type 0x00CE, WORD 0x1D46 / 100 (first item).
        decodes(kFrames, 66, 0x0704, "079041168750", 0x1448, [](const Ctx& c) {
            expect_batch(c, 1, {
                LocGolden{
                    .alarm = 0x00000000, .status = 0x0000000b,
                    .lat_e6 = 33576916, .lon_e6 = -7535516, .altitude_m = 100, .speed_dkmh = 370,
                    .direction = 242,
                    .time = "2020-09-02T07:23:03Z",
                    .mileage_100m = 2345, .signal_strength = 31, .satellites = 12,
                    .raw = {{0xEB, "000c00b28921200272401241734f00060089ffffffef000400ce1d46"}},
                },
                LocGolden{
                    .alarm = 0x00000000, .status = 0x0000000b,
                    .lat_e6 = 33576716, .lon_e6 = -7536050, .altitude_m = 95, .speed_dkmh = 310,
                    .direction = 238,
                    .time = "2020-09-02T07:23:08Z",
                    .mileage_100m = 2346, .signal_strength = 31, .satellites = 12,
                    .raw = {{0xEB, "000c00b28921200272401241734f00060089ffffffef000400ce1e80"}},
                },
                LocGolden{
                    .alarm = 0x00000000, .status = 0x0000000b,
                    .lat_e6 = 33576620, .lon_e6 = -7536283, .altitude_m = 90, .speed_dkmh = 210,
                    .direction = 236,
                    .time = "2020-09-02T07:23:13Z",
                    .mileage_100m = 2346, .signal_strength = 27, .satellites = 12,
                    .raw = {{0xEB, "000c00b28921200272401241734f00060089ffffffef000400ce1e35"}},
                },
            });
            EXPECT_NE(batch_raw_item(c, 0, 0xEB).find("000400ce1d46"), std::string::npos);
        }),
        // F67 0x5501: verifyAttribute(..., Position.KEY_CHARGE, true) [input]
        //   Vendor 0x55xx (Jointech lock) body, kept raw: bytes 0-5 BCD DDMMYY hhmmss, 6-9 latitude
        //   BCD ddmm.mmmm, 10-14 longitude BCD dddmm.mmmm + a flags nibble (bit 0 valid, bit 1
        //   north, bit 2 east), then speed, course, rssi, satellites, odometer, battery...
        //   KEY_CHARGE true = battery byte 0xAA (body byte 23).
        decodes(kFrames, 67, 0x5501, "740190311185", 0x0006, [](const Ctx& c) {
            expect_vendor_55xx(c, 1, "22072002454206133574075359513a0000080100000001aa00005ded05e203000000000c06005affb5ffb40a0302dc65100100");
            EXPECT_EQ(c.frame_body[23], 0xAA);
        }),
        // F68 0xtext: verifyAttribute(..., Position.KEY_RESULT,
        //   "(740190311185,1,001,ELOCK,3,529439)") [input]
        //   ASCII sentence; Traccar's KEY_RESULT is the sentence itself.
        special(kFrames, 68, text_is_not_a_frame),
        // F69 0x1300: verifyAttribute(..., Position.KEY_RESULT, "Set OK!") [input]
        //   0x1300 (vendor text reply) kept raw: reply serial + UTF-16BE "Set OK!\r".
        decodes(kFrames, 69, 0x1300, "045450091546", 0x0109, [](const Ctx& c) {
            expect_raw_body(c, "00000053006500740020004f004b0021000d");
        }),
        // F70 0x5502: verifyPosition [input]
        //   Vendor 0x55xx (Jointech lock) body, kept raw: bytes 0-5 BCD DDMMYY hhmmss, 6-9 latitude
        //   BCD ddmm.mmmm, 10-14 longitude BCD dddmm.mmmm + a flags nibble (bit 0 valid, bit 1
        //   north, bit 2 east), then speed, course, rssi, satellites, odometer, battery...
        //   verifyPosition: 16-07-20 02:39:27, 06 deg 13.2126', 075 deg 36.1086', flags 3 (west).
        decodes(kFrames, 70, 0x5502, "740190311185", 0x0009, [](const Ctx& c) {
            expect_vendor_55xx(c, 1, "1607200239270613212607536108630000170a000000014600005ded05e203000000000b010d0c06005b003e00ab0a0302dc65100100");
        }),
        // F71 0x5501: verifyPosition [input]
        //   Vendor 0x55xx (Jointech lock) body, kept raw: bytes 0-5 BCD DDMMYY hhmmss, 6-9 latitude
        //   BCD ddmm.mmmm, 10-14 longitude BCD dddmm.mmmm + a flags nibble (bit 0 valid, bit 1
        //   north, bit 2 east), then speed, course, rssi, satellites, odometer, battery...
        //   verifyPosition: 27-06-10 08:04:53, 22 deg 33.2880', 113 deg 55.5602'.
        decodes(kFrames, 71, 0x5501, "700160818000", 0x0001, [](const Ctx& c) {
            expect_vendor_55xx(c, 0, "27061008045322332880113555602e05003101000000060800001093143501000200030003010005");
        }),
        // F72 0x0200: verifyAttribute(..., "fuel2", 1.47) [input]
        //   fuel2 1.47 = vendor 0xEB sub-record {0x0008, type 0x0023, ASCII "001.47"}.
        decodes(kFrames, 72, 0x0200, "032041872904", 0x18C7, [](const Ctx& c) {
            expect_location(c, LocGolden{
                .alarm = 0x00000000, .status = 0x00040003,
                .lat_e6 = 22740109, .lon_e6 = 114373846, .altitude_m = 0, .speed_dkmh = 0,
                .direction = 0,
                .time = "2020-04-01T02:06:34Z",
                .mileage_100m = 2, .signal_strength = 15, .satellites = 6,
                .raw = {
                    {0x57, "0000000000000000"},
                    {0x53, "010000000000000000"},
                    {0xEB, "000800233030312e3437000a000300000000000000000005000101a500"},
                },
            });
            expect_raw_holds(c, 0xEB, "000800233030312e3437");
        }),
        // F73 0x0200: verifyAttribute(..., "fuel1", 88.7) [input]
        //   fuel1 88.7 = vendor 0xEB sub-record {0x0005, type 0x0001, WORD 0x0377 / 10, pad}.
        decodes(kFrames, 73, 0x0200, "087034547007", 0x000B, [](const Ctx& c) {
            expect_location(c, LocGolden{
                .alarm = 0x00000000, .status = 0x00040003,
                .lat_e6 = 22707439, .lon_e6 = 114264708, .altitude_m = 0, .speed_dkmh = 0,
                .direction = 0,
                .time = "2020-01-07T22:44:51Z",
                .mileage_100m = 0, .signal_strength = 19, .satellites = 9,
                .raw = {
                    {0x57, "0000000000000000"},
                    {0x53, "010000000000000000"},
                    {0xEB, "000800233030302e3838000a0003001a00000000000000050001037700"},
                },
            });
            expect_raw_holds(c, 0xEB, "00050001037700");
        }),
        // F74 0x0200: verifyAttribute(..., Position.KEY_BATTERY, 3.86) [input]
        //   KEY_BATTERY 3.86 = vendor item 0x33 text "*M00,45,1138600...": chars 10-12 / 100.
        decodes(kFrames, 74, 0x0200, "086031592715", 0x006E, [](const Ctx& c) {
            expect_location(c, LocGolden{
                .alarm = 0x00000000, .status = 0x00000002,
                .lat_e6 = 22690842, .lon_e6 = 113799992, .altitude_m = 0, .speed_dkmh = 0,
                .direction = 0,
                .time = "2019-10-30T14:18:36Z",
                .raw = {
                    {0x33, "2a4d30302c34352c31313338363030526f79314f70656e26303030303030303030303030263132333435363738393031323334353623"},
                },
            });
            EXPECT_EQ(ascii_of_hex(raw_item(c, 0x33)).substr(0, 15), "*M00,45,1138600");
        }),
        // F75 0x0200: verifyPosition [input]
        //   verifyPosition.
        decodes(kFrames, 75, 0x0200, "080263000030", 0x0648, [](const Ctx& c) {
            expect_location(c, LocGolden{
                .alarm = 0x00000000, .status = 0x00000007,
                .lat_e6 = -34895833, .lon_e6 = 138514951, .altitude_m = 0, .speed_dkmh = 0,
                .direction = 80,
                .time = "2019-11-05T07:19:40Z",
                .mileage_100m = 5745, .signal_strength = 22, .satellites = 12,
                .raw = {
                    {0xD0, "00000400"},
                    {0xD3, "0027"},
                    {0xD4, "3f"},
                    {0xD6, "3839363130313832303030343833363532383330"},
                    {0xDA, "04"},
                },
            });
        }),
        // F76 0x0200: verifyPosition [input]
        //   verifyPosition.
        decodes(kFrames, 76, 0x0200, "030300000228", 0x0042, [](const Ctx& c) {
            expect_location(c, LocGolden{
                .alarm = 0x00000000, .status = 0x00000003,
                .lat_e6 = 23169716, .lon_e6 = 113450696, .altitude_m = 0, .speed_dkmh = 0,
                .direction = 5,
                .time = "2018-09-21T08:14:57Z",
                .mileage_100m = 1144, .signal_strength = 16, .satellites = 10,
                .raw = {{0xEB, "000c00b28986011780108622216500060089ffffffff"}},
            });
        }),
        // F77 0x0200: verifyPosition [input]
        //   verifyPosition.
        decodes(kFrames, 77, 0x0200, "013833501744", 0x0019, [](const Ctx& c) {
            expect_location(c, LocGolden{
                .alarm = 0x00000000, .status = 0x000000c2,
                .lat_e6 = 22642600, .lon_e6 = 114032984, .altitude_m = 128, .speed_dkmh = 0,
                .direction = 8,
                .time = "2015-08-17T23:21:21Z",
                .mileage_100m = 757, .fuel_100ml = 0, .recorder_speed_dkmh = 0,
            });
        }),
        // F78 0x0704: verifyPositions [input]
        //   verifyPositions: 8 blind-area items, every one asserted.
        decodes(kFrames, 78, 0x0704, "013567777777", 0x07F5, [](const Ctx& c) {
            expect_batch(c, 1, {
                LocGolden{
                    .alarm = 0x00000000, .status = 0x00000003,
                    .lat_e6 = 22639634, .lon_e6 = 114031952, .altitude_m = 370, .speed_dkmh = 0,
                    .direction = 1,
                    .time = "2016-05-27T01:06:24Z",
                    .mileage_100m = 29, .recorder_speed_dkmh = 0,
                },
                LocGolden{
                    .alarm = 0x00000000, .status = 0x00000003,
                    .lat_e6 = 22639718, .lon_e6 = 114031952, .altitude_m = 363, .speed_dkmh = 0,
                    .direction = 1,
                    .time = "2016-05-27T01:06:53Z",
                    .mileage_100m = 29, .recorder_speed_dkmh = 0,
                },
                LocGolden{
                    .alarm = 0x00000000, .status = 0x00000003,
                    .lat_e6 = 22640100, .lon_e6 = 114032216, .altitude_m = 319, .speed_dkmh = 0,
                    .direction = 1,
                    .time = "2016-05-27T01:07:27Z",
                    .mileage_100m = 29, .recorder_speed_dkmh = 0,
                },
                LocGolden{
                    .alarm = 0x00000000, .status = 0x00000003,
                    .lat_e6 = 22640350, .lon_e6 = 114032400, .altitude_m = 302, .speed_dkmh = 0,
                    .direction = 1,
                    .time = "2016-05-27T01:07:56Z",
                    .mileage_100m = 29, .recorder_speed_dkmh = 0,
                },
                LocGolden{
                    .alarm = 0x00000000, .status = 0x00000003,
                    .lat_e6 = 22640316, .lon_e6 = 114032336, .altitude_m = 301, .speed_dkmh = 0,
                    .direction = 1,
                    .time = "2016-05-27T01:08:30Z",
                    .mileage_100m = 29, .recorder_speed_dkmh = 0,
                },
                LocGolden{
                    .alarm = 0x00000000, .status = 0x00000003,
                    .lat_e6 = 22640382, .lon_e6 = 114032320, .altitude_m = 264, .speed_dkmh = 0,
                    .direction = 1,
                    .time = "2016-05-27T01:09:00Z",
                    .mileage_100m = 29, .recorder_speed_dkmh = 0,
                },
                LocGolden{
                    .alarm = 0x00000000, .status = 0x00000003,
                    .lat_e6 = 22640382, .lon_e6 = 114032248, .altitude_m = 252, .speed_dkmh = 0,
                    .direction = 1,
                    .time = "2016-05-27T01:09:33Z",
                    .mileage_100m = 29, .recorder_speed_dkmh = 0,
                },
                LocGolden{
                    .alarm = 0x00000000, .status = 0x00000003,
                    .lat_e6 = 22640550, .lon_e6 = 114032432, .altitude_m = 264, .speed_dkmh = 0,
                    .direction = 1,
                    .time = "2016-05-27T01:10:02Z",
                    .mileage_100m = 29, .recorder_speed_dkmh = 0,
                },
            });
        }),
        // F79 0x0200: verifyAttributes [input]
        //   verifyAttributes (no particular value).
        decodes(kFrames, 79, 0x0200, "013578888888", 0x00B6, [](const Ctx& c) {
            expect_location(c, LocGolden{
                .alarm = 0x00000000, .status = 0x00000003,
                .lat_e6 = 22639284, .lon_e6 = 114030264, .altitude_m = 547, .speed_dkmh = 0,
                .direction = 1,
                .time = "2016-06-13T09:57:13Z",
                .mileage_100m = 0, .recorder_speed_dkmh = 0,
                .raw = {{0xEB, "00050001016708"}},
            });
        }),
        // F80 0x0704: verifyPositions [input]
        //   verifyPositions: 4 blind-area items; the last has alarm bit 8 and status bit 11.
        decodes(kFrames, 80, 0x0704, "030300000245", 0x0064, [](const Ctx& c) {
            expect_batch(c, 1, {
                LocGolden{
                    .alarm = 0x00000000, .status = 0x00000003,
                    .lat_e6 = 23169734, .lon_e6 = 113450784, .altitude_m = 0, .speed_dkmh = 0,
                    .direction = 41,
                    .time = "2018-05-14T12:28:47Z",
                    .mileage_100m = 0,
                    .raw = {{0xEB, "000c00b28986061708003732585700060089fffffffe"}},
                },
                LocGolden{
                    .alarm = 0x00000000, .status = 0x00000003,
                    .lat_e6 = 23169768, .lon_e6 = 113450680, .altitude_m = 0, .speed_dkmh = 0,
                    .direction = 159,
                    .time = "2018-05-14T12:29:17Z",
                    .mileage_100m = 0,
                    .raw = {{0xEB, "000c00b28986061708003732585700060089fffffffe"}},
                },
                LocGolden{
                    .alarm = 0x00000000, .status = 0x00000003,
                    .lat_e6 = 23169768, .lon_e6 = 113450680, .altitude_m = 0, .speed_dkmh = 0,
                    .direction = 159,
                    .time = "2018-05-14T12:29:47Z",
                    .mileage_100m = 0,
                    .raw = {{0xEB, "000c00b28986061708003732585700060089fffffffe"}},
                },
                LocGolden{
                    .alarm = 0x00000100, .status = 0x00000803,
                    .lat_e6 = 23169768, .lon_e6 = 113450680, .altitude_m = 0, .speed_dkmh = 0,
                    .direction = 159,
                    .time = "2018-05-14T12:30:06Z",
                    .mileage_100m = 0,
                    .raw = {{0xEB, "000c00b28986061708003732585700060089fffffffe"}},
                },
            });
        }),
        // F81 0x0200: verifyPosition [input]
        //   verifyPosition: status bit 1 clear (not positioned) with coordinates present.
        decodes(kFrames, 81, 0x0200, "093037612710", 0x0007, [](const Ctx& c) {
            expect_location(c, LocGolden{
                .alarm = 0x00000000, .status = 0x00000001,
                .lat_e6 = 35892384, .lon_e6 = 14458328, .altitude_m = 0, .speed_dkmh = 0,
                .direction = 0,
                .time = "2017-12-14T09:12:21Z",
                .raw = {
                    {0x33, "2a4d30302c34352c31313336393042383030313233303026303030303030303030303030263132333435363738393031323334353623"},
                },
            });
        }),
        // F82 0x0200: verifyPosition [input]
        //   verifyPosition.
        decodes(kFrames, 82, 0x0200, "001601285614", 0x0002, [](const Ctx& c) {
            expect_location(c, LocGolden{
                .alarm = 0x00000000, .status = 0x00040001,
                .lat_e6 = 6152695, .lon_e6 = 106720495, .altitude_m = 0, .speed_dkmh = 0,
                .direction = 0,
                .time = "2017-01-17T02:04:42Z",
                .mileage_100m = 43264, .io_status = 0, .signal_strength = 27, .satellites = 3,
            });
        }),
        // F83 0x0200: verifyPosition [input]
        //   verifyPosition.
        decodes(kFrames, 83, 0x0200, "001601285614", 0x0003, [](const Ctx& c) {
            expect_location(c, LocGolden{
                .alarm = 0x00000000, .status = 0x00040007,
                .lat_e6 = -6152508, .lon_e6 = 106720475, .altitude_m = 22, .speed_dkmh = 0,
                .direction = 0,
                .time = "2017-01-17T02:05:42Z",
                .mileage_100m = 43264, .io_status = 0, .signal_strength = 27, .satellites = 4,
            });
        }),
        // F84 0x0100: verifyNull [input]
        //   2013 registration (45 bytes). Plate GBK D4C1 = U+7CA4.
        decodes(kFrames, 84, 0x0100, "014130567872", 0x0024, [](const Ctx& c) {
            expect_registration(c, {.dialect = Dialect::v2013, .province = 44, .city = 303,
                                      .maker = "70111", .model = "BSJ-A6-BD",
                                      .terminal_id_hex = "30353637383732", .plate_color = 1,
                                      .plate_utf8 = "\u7ca4B88888"});
        }),
        // F85 0x0100: verifyNull [input]
        //   2013 registration. Plate GBK CBD5 = U+82CF.
        decodes(kFrames, 85, 0x0100, "013511221122", 0x0005, [](const Ctx& c) {
            expect_registration(c, {.dialect = Dialect::v2013, .province = 0, .city = 0,
                                      .maker = "70107", .model = "HB-R03GBD",
                                      .terminal_id_hex = "32333636313034", .plate_color = 2,
                                      .plate_utf8 = "\u82cfBA6860"});
        }),
        // F86 0x0100: verifyNull [input]
        //   2013 registration with an all-NUL maker id.
        decodes(kFrames, 86, 0x0100, "007089994489", 0x0028, [](const Ctx& c) {
            expect_registration(c, {.dialect = Dialect::v2013, .province = 0, .city = 0,
                                      .maker = "", .model = "HB-R03GBD",
                                      .terminal_id_hex = "31393036373531", .plate_color = 2,
                                      .plate_utf8 = "ABC00000"});
        }),
        // F87 0x0102: verifyNull [input]
        //   2013 authentication: the whole body is the code.
        decodes(kFrames, 87, 0x0102, "013511221122", 0x0006, [](const Ctx& c) {
            expect_auth_code(c, "authentication");
        }),
        // F88 0x0200: verifyPosition [input]
        //   INCONSISTENT: body length 50 declared, 40 present, and XOR bad: XOR is checked first.
        rejected(kFrames, 88, 0x0200, Errc::bad_checksum),
        // F89 0x0102: verifyNull [input]
        //   2013 authentication.
        decodes(kFrames, 89, 0x0102, "094027849470", 0x0084, [](const Ctx& c) {
            expect_auth_code(c, "2011110811332196");
        }),
        // F90 0x0100: verifyNull [input]
        //   2011 registration (25 bytes, no plate): the terminal id is the phone number in BCD
        //   (00 09 40 27 84 94 70, leading NUL trimmed), not text.
        decodes(kFrames, 90, 0x0100, "094027849470", 0x0012, [](const Ctx& c) {
            expect_registration(c, {.dialect = Dialect::v2011, .province = 0, .city = 0,
                                      .maker = "", .model = "",
                                      .terminal_id_hex = "094027849470", .plate_color = 0,
                                      .plate_utf8 = ""});
        }),
        // F91 0x0200: verifyPosition [input]
        //   verifyPosition: alarm bit 0 (SOS), west longitude (UK); item 0x36 kept raw.
        decodes(kFrames, 91, 0x0200, "094027587492", 0x000A, [](const Ctx& c) {
            expect_location(c, LocGolden{
                .alarm = 0x00000001, .status = 0x0000000a,
                .lat_e6 = 50871735, .lon_e6 = -1255923, .altitude_m = 0, .speed_dkmh = 20,
                .direction = 0,
                .time = "2013-04-12T08:49:52Z",
                .mileage_100m = 18,
                .raw = {{0x36, "0002341502cb0c20085c"}},
            });
        }),
        // F92 0x0200: verifyPosition [input]
        //   verifyPosition: south and west (Brazil).
        decodes(kFrames, 92, 0x0200, "001401249917", 0x0007, [](const Ctx& c) {
            expect_location(c, LocGolden{
                .alarm = 0x00000000, .status = 0x0000400e,
                .lat_e6 = -19591535, .lon_e6 = -46912186, .altitude_m = 0, .speed_dkmh = 0,
                .direction = 0,
                .time = "2015-01-01T11:42:57Z",
                .mileage_100m = 119,
            });
        }),
        // F93 0x0002: verifyNull [input]
        //   0x0002 heartbeat, empty body.
        decodes(kFrames, 93, 0x0002, "043048325465", 0x00B7, [](const Ctx& c) {
            EXPECT_NE(body_as<Heartbeat>(c), nullptr);
            EXPECT_TRUE(c.frame_body.empty());
        }),
        // F94 0x0200: verifyAttribute(..., Position.KEY_CHARGE, true) [input]
        //   KEY_CHARGE true = vendor item 0xF7 {u32 battery mV, status byte 2 = charging, level}.
        decodes(kFrames, 94, 0x0200, "413056480105", 0x0048, [](const Ctx& c) {
            expect_location(c, LocGolden{
                .alarm = 0x00000000, .status = 0x1000004f,
                .lat_e6 = -23404078, .lon_e6 = -46853176, .altitude_m = 744, .speed_dkmh = 0,
                .direction = 21,
                .time = "2024-06-26T08:00:21Z",
                .mileage_100m = 3, .signal_strength = 31, .satellites = 14,
                .raw = {
                    {0xF1, "0000308c"},
                    {0xF2, "414f56585f564c3330302d4c415f48322e315f4547393135554c4141425230334130324d30385f56322e312e305f763130"},
                    {0xF3, "1f"},
                    {0xF4, ""},
                    {0xF5, "0000000000000001"},
                    {0xF6, "4008fffffffd0009"},
                    {0xF7, "00000e870246"},
                    {0xF9, "000f000000010000062a0008240626160018"},
                },
            });
            EXPECT_EQ(raw_item(c, 0xF7), "00000e870246");
        }),
        // F95 0x0200: verifyAttribute(..., Position.KEY_POWER, 12.428) [input]
        //   KEY_POWER 12.428 = vendor item 0xF1 u32 0x308C / 1000. Item 0xF4 is empty.
        decodes(kFrames, 95, 0x0200, "413056480105", 0x0048, [](const Ctx& c) {
            expect_location(c, LocGolden{
                .alarm = 0x00000000, .status = 0x1000004f,
                .lat_e6 = -23404078, .lon_e6 = -46853176, .altitude_m = 744, .speed_dkmh = 0,
                .direction = 21,
                .time = "2024-06-26T08:00:21Z",
                .mileage_100m = 3, .signal_strength = 31, .satellites = 14,
                .raw = {
                    {0xF1, "0000308c"},
                    {0xF2, "414f56585f564c3330302d4c415f48322e315f4547393135554c4141425230334130324d30385f56322e312e305f763130"},
                    {0xF3, "1f"},
                    {0xF4, ""},
                    {0xF5, "0000000000000001"},
                    {0xF6, "4008fffffffd0009"},
                    {0xF7, "00000e870246"},
                    {0xF9, "000f000000010000062a0008240626160018"},
                },
            });
            EXPECT_EQ(raw_item(c, 0xF1), "0000308c");
            EXPECT_EQ(raw_item(c, 0xF4), "");
        }),
        // F96 0x0200: verifyAttribute(..., Position.KEY_POWER, 13.0) [input]
        //   KEY_POWER 13.0 = vendor item 0x82 WORD 0x0082 / 10.
        decodes(kFrames, 96, 0x0200, "019111110000", 0x00D2, [](const Ctx& c) {
            expect_location(c, LocGolden{
                .alarm = 0x00000000, .status = 0x00000042,
                .lat_e6 = 45554290, .lon_e6 = 9288608, .altitude_m = 0, .speed_dkmh = 0,
                .direction = 0,
                .time = "2025-07-02T00:08:29Z",
                .mileage_100m = 0, .signal_strength = 23, .satellites = 14,
                .raw = {{0x57, "0000000000000000"}, {0x82, "0082"}},
            });
            EXPECT_EQ(raw_item(c, 0x82), "0082");
        }),
        // F97 0x0704: verifyPositions [input]
        //   verifyPositions: 3 blind-area items; item 0 is positioned west (Portugal), items 1-2
        //   are not positioned and clear the west bit.
        decodes(kFrames, 97, 0x0704, "045450091546", 0x00A4, [](const Ctx& c) {
            expect_batch(c, 1, {
                LocGolden{
                    .alarm = 0x00000000, .status = 0x004c000a,
                    .lat_e6 = 37149177, .lon_e6 = -8464058, .altitude_m = 40, .speed_dkmh = 1,
                    .direction = 0,
                    .time = "2026-05-23T10:42:13Z",
                    .mileage_100m = 61, .signal_strength = 0, .satellites = 13,
                    .raw = {
                        {0xE4, "0159"},
                        {0xE5, "01"},
                        {0xE6, "00"},
                        {0xE7, "0000000400000000"},
                        {0xF5, "01"},
                        {0xFB, "00"},
                    },
                },
                LocGolden{
                    .alarm = 0x00000000, .status = 0x004c0000,
                    .lat_e6 = 37149177, .lon_e6 = 8464058, .altitude_m = 40, .speed_dkmh = 0,
                    .direction = 0,
                    .time = "2026-05-23T10:45:13Z",
                    .mileage_100m = 61, .signal_strength = 0, .satellites = 0,
                    .raw = {
                        {0xE4, "0158"},
                        {0xE5, "01"},
                        {0xE6, "00"},
                        {0xE7, "0000000400000000"},
                        {0xEC, "5091e3194157ae8c86dd750382a69e86dd750382a4"},
                        {0xE1, "010c000600bbe4001ada2900"},
                        {0xF5, "01"},
                        {0xFB, "00"},
                    },
                },
                LocGolden{
                    .alarm = 0x00000000, .status = 0x004c0000,
                    .lat_e6 = 37149177, .lon_e6 = 8464058, .altitude_m = 40, .speed_dkmh = 0,
                    .direction = 0,
                    .time = "2026-05-23T10:48:12Z",
                    .mileage_100m = 61, .signal_strength = 0, .satellites = 0,
                    .raw = {
                        {0xE4, "0157"},
                        {0xE5, "01"},
                        {0xE6, "00"},
                        {0xE7, "0000000400000000"},
                        {0xEC, "5091e3194157b09e86dd750382af"},
                        {0xE1, "010c000600bbe4001b1c2900"},
                        {0xF5, "01"},
                        {0xFB, "00"},
                    },
                },
            });
        }),
        // F98 0x0200: verifyPosition [input]
        //   verifyPosition; one raw 0x7E byte in item 0xEC (escaped on the wire).
        decodes(kFrames, 98, 0x0200, "045460005635", 0x0073, [](const Ctx& c) {
            expect_location(c, LocGolden{
                .alarm = 0x00000000, .status = 0x00000000,
                .lat_e6 = 37147932, .lon_e6 = 8535833, .altitude_m = 0, .speed_dkmh = 0,
                .direction = 0,
                .time = "2026-06-02T14:07:01Z",
                .mileage_100m = 0, .signal_strength = 17, .satellites = 0,
                .raw = {
                    {0xE4, "0064"},
                    {0xE5, "00"},
                    {0xE6, "00"},
                    {0xE7, "0000000600000000"},
                    {0xE1, "010c000600bbe4001ada1500"},
                    {0xEC, "f0090dba115abb5091e3194157b9ce20bd25d93fb5ce20bd85d93fb57e9cd82cadd5b1"},
                    {0xF5, "01"},
                },
            });
        }),
        // F99 0x0200: verifyAttribute(..., "imei", "867567041100769") [input]
        //   "imei" 867567041100769 = vendor item 0xF6 (8 bytes) hex without its first digit.
        decodes(kFrames, 99, 0x0200, "000000000000", 0x0001, [](const Ctx& c) {
            expect_location(c, LocGolden{
                .alarm = 0x00000000, .status = 0x00000002,
                .lat_e6 = 0, .lon_e6 = 0, .altitude_m = 0, .speed_dkmh = 0, .direction = 0,
                .time = "2026-06-17T16:15:12Z",
                .raw = {{0xF6, "0867567041100769"}},
            });
            EXPECT_EQ(raw_item(c, 0xF6).substr(1), "867567041100769");
        }),
        // F100 0x0210: verifyAttribute(..., Position.KEY_BATTERY_LEVEL, 79) [input]
        //   0x0210 with a 7-byte body kept raw: KEY_BATTERY_LEVEL 79 = byte 0 (0x4F), then a
        //   BCD time.
        decodes(kFrames, 100, 0x0210, "045460002319", 0x0088, [](const Ctx& c) {
            expect_raw_body(c, "4f260618022957");
        }),
        // F101 0x0107: verifyAttribute(..., Position.KEY_ICCID, "89883030000131882455") [input]
        //   0x0107 (terminal attributes reply) kept raw: KEY_ICCID = the 10 bytes after type (2),
        //   maker (5), model (20) and id (7).
        decodes(kFrames, 101, 0x0107, "045460005635", 0x0003, [](const Ctx& c) {
            expect_raw_body(c, "0000584300000043354c00000000000000000000000000000000003938383731323589883030000131882455001943354c5f56322e3620323032362f30362f30342031353a33310301");
            EXPECT_EQ(to_hex(c.frame_body.subspan(34, 10)), "89883030000131882455");
        }),
        // F102 0x1007: verifyNull [input]
        //   0x1007 (vendor time-zone sync) kept raw.
        decodes(kFrames, 102, 0x1007, "045460002319", 0x0906, [](const Ctx& c) {
            expect_raw_body(c, "40000000");
        }),
        // F103 0x0200: verifyAttribute(..., Position.KEY_DOOR, true) [modelOverride=MV710G] [input]
        //   KEY_DOOR (model MV710G) = standard status bit 16 (door 4).
        decodes(kFrames, 103, 0x0200, "019111110000", 0x007B, [](const Ctx& c) {
            expect_location(c, LocGolden{
                .alarm = 0x00000000, .status = 0x00010042,
                .lat_e6 = 45554290, .lon_e6 = 9288608, .altitude_m = 0, .speed_dkmh = 0,
                .direction = 0,
                .time = "2025-07-02T00:08:29Z",
                .mileage_100m = 0, .signal_strength = 23, .satellites = 14,
                .raw = {{0x57, "0000000000000000"}, {0x82, "0082"}},
            });
            const Location* l = location_of(c);
            if (l != nullptr) { EXPECT_TRUE(l->status & (1u << 16)); }
        }),
        // F104 0x0200: verifyAttribute(..., Position.KEY_ALARM, Position.ALARM_DOOR)
        //   [modelOverride=MV710G] [input]
        //   ALARM_DOOR (model MV710G) = vendor item 0x57 second DWORD bit 16.
        decodes(kFrames, 104, 0x0200, "019111110000", 0x007A, [](const Ctx& c) {
            expect_location(c, LocGolden{
                .alarm = 0x00000000, .status = 0x00010042,
                .lat_e6 = 45554290, .lon_e6 = 9288608, .altitude_m = 0, .speed_dkmh = 0,
                .direction = 0,
                .time = "2025-07-02T00:08:29Z",
                .mileage_100m = 0, .signal_strength = 23, .satellites = 14,
                .raw = {{0x57, "0000000000010000"}, {0x82, "0082"}},
            });
            EXPECT_EQ(raw_item(c, 0x57), "0000000000010000");
        }),
        // F105 0x0200: verifyAttribute(..., Position.KEY_ALARM, Position.ALARM_MOVEMENT)
        //   [modelOverride=AL300] [input]
        //   ALARM_MOVEMENT (model AL300) = standard alarm bit 16 (in the golden alarm word).
        //   South and west (Rio de Janeiro).
        decodes(kFrames, 105, 0x0200, "671070438773", 0x0579, [](const Ctx& c) {
            expect_location(c, LocGolden{
                .alarm = 0x00010000, .status = 0x9058000e,
                .lat_e6 = -22785836, .lon_e6 = -43758643, .altitude_m = 18, .speed_dkmh = 0,
                .direction = 297,
                .time = "2025-03-09T19:52:04Z",
                .signal_strength = 17, .satellites = 8,
                .raw = {
                    {0xF0, "02d400020f720e0f00007d8b8e02d400020f720e0b00007d8b8c02d400020f720d0b00007d8b8a02d4000b092bf3030000c9a588"},
                    {0xF2, "414f56585f414c3330302d4c415f48322e305f4547393135554c4141425230334130344d30385f56322e312e303a763031"},
                    {0xF4, "18ef3a6ae1c6be00bb252515d3b5"},
                    {0xF6, "021901cb006d0099052005dc002800000032000a"},
                    {0xF7, "00000d6f003c"},
                    {0xF8, "04086967107043877389550327001051953711414c3330302d4c410000"},
                    {0xF9, "000f0000000100000000000b250310035232"},
                },
            });
        }),
        // F106 0x0200: verifyAttribute(..., Position.KEY_BATTERY, 4.15) [modelOverride=JC371]
        //   [input]
        //   KEY_BATTERY 4.15 (model JC371) = vendor item 0xE8 type 0x2003 {len, charge, level,
        //   WORD 0x019F / 100, ...}. Binary-IMEI phone.
        decodes(kFrames, 106, 0x0200, "4eb6fb4ad628", 0x0001, [](const Ctx& c) {
            expect_location(c, LocGolden{
                .alarm = 0x00000000, .status = 0x00000003,
                .lat_e6 = 22576385, .lon_e6 = 114032486, .altitude_m = 0, .speed_dkmh = 0,
                .direction = 0,
                .time = "2026-01-01T04:00:00Z",
                .mileage_100m = 123, .signal_strength = 24, .satellites = 10,
                .raw = {{0xE8, "2003070105019f030190"}},
            });
            EXPECT_EQ(raw_item(c, 0xE8).rfind("2003070105019f", 0), 0u);
            EXPECT_TRUE(c.header.phone_not_bcd);
        }),
        // F107 0x0200: verifyAttribute(..., Position.KEY_ALARM, Position.ALARM_SOS)
        //   [modelOverride=JC371] [input]
        //   ALARM_SOS (model JC371) = vendor item 0xE8 type 0x0C01.
        decodes(kFrames, 107, 0x0200, "4eb6fb4ad628", 0x0002, [](const Ctx& c) {
            expect_location(c, LocGolden{
                .alarm = 0x00000000, .status = 0x00000003,
                .lat_e6 = 22576385, .lon_e6 = 114032486, .altitude_m = 0, .speed_dkmh = 0,
                .direction = 0,
                .time = "2026-01-01T04:00:00Z",
                .mileage_100m = 123, .signal_strength = 24, .satellites = 10,
                .raw = {{0xE8, "0c01103131313131313126010112000000000000"}},
            });
            EXPECT_EQ(raw_item(c, 0xE8).rfind("0c01", 0), 0u);
            EXPECT_TRUE(c.header.phone_not_bcd);
        }),
        // F108 0x0200: verifyAttribute(..., Position.KEY_ALARM, Position.ALARM_VIBRATION)
        //   [modelOverride=JC371] [input]
        //   ALARM_VIBRATION (model JC371) = vendor item 0xE8 type 0x0406.
        decodes(kFrames, 108, 0x0200, "4eb6fb4ad628", 0x0003, [](const Ctx& c) {
            expect_location(c, LocGolden{
                .alarm = 0x00000000, .status = 0x00000003,
                .lat_e6 = 22576385, .lon_e6 = 114032486, .altitude_m = 0, .speed_dkmh = 0,
                .direction = 0,
                .time = "2026-01-01T04:00:00Z",
                .mileage_100m = 123, .signal_strength = 24, .satellites = 10,
                .raw = {{0xE8, "0406103131313131313126010112000000000000"}},
            });
            EXPECT_EQ(raw_item(c, 0xE8).rfind("0406", 0), 0u);
            EXPECT_TRUE(c.header.phone_not_bcd);
        }),
        // F109 0x0200: verifyAttribute(..., "alarmLabel", "303037343234322603271552450b0500")
        //   [modelOverride=JC371] [input]
        //   INCONSISTENT: XOR bad (calc 9a vs 9b).
        rejected(kFrames, 109, 0x0200, Errc::bad_checksum),
        // F110 0x0200: verifyAttribute(..., Position.KEY_STEPS, 18742) [modelOverride=C5L] [input]
        //   INCONSISTENT: XOR bad (calc 2d vs ef).
        rejected(kFrames, 110, 0x0200, Errc::bad_checksum),
        // F111 0x0200: verifyAttribute(..., Position.KEY_ICCID, "898604a6102181622843")
        //   [modelOverride=GL100] [input]
        //   KEY_ICCID (model GL100) = vendor item 0xF8 {mode, IMEI (8), ICCID (10), ...}.
        decodes(kFrames, 111, 0x0200, "413051529609", 0x0001, [](const Ctx& c) {
            expect_location(c, LocGolden{
                .alarm = 0x00000000, .status = 0x10000010,
                .lat_e6 = 0, .lon_e6 = 0, .altitude_m = 0, .speed_dkmh = 0, .direction = 0,
                .time = "2023-07-30T17:28:58Z",
                .mileage_100m = 0, .signal_strength = 22, .satellites = 0,
                .raw = {
                    {0xF0, "01cc0000085118aa0000550ba201cc0000085118ae0000550b93"},
                    {0xF2, "414f56585f474c3130302d4c415f48322e305f4547393135554c4141425230324130334d30385f56322e302e373a763135"},
                    {0xF6, "001f09eb015e01fc00500060042005dc002800000032000a"},
                    {0xF7, "00000e480234"},
                    {0xF8, "020865413051529609898604a6102181622843474c3130302d4c410000"},
                    {0xF9, "000f00000000000000000000000000000000"},
                },
            });
            EXPECT_EQ(raw_item(c, 0xF8).substr(18, 20), "898604a6102181622843");
        }),
        // F112 0x0900: verifyAttribute(..., "tag1Mac", "aabbcc001122") [modelOverride=GL100]
        //   [input]
        //   INCONSISTENT: body length 122 declared, 107 present, XOR fine: bad_length.
        rejected(kFrames, 112, 0x0900, Errc::bad_length),
        // F113 0x0900: verifyAttribute(..., Position.KEY_DEVICE_TEMP, 24.4) [modelOverride=GL100]
        //   [input]
        //   0x0900 type 0x54 (GL100 sensors) kept raw: KEY_DEVICE_TEMP 24.4 = the first record
        //   (mask 0x001F) int16 0x00F4 / 10 after its light value.
        decodes(kFrames, 113, 0x0900, "487060054219", 0x000E, [](const Ctx& c) {
            expect_passthrough(c, 0x54, "100000000000000000000000000000000000240112034640001f2401120345210c4100f4011c00f3ffe80008004003fe001f2401120345510c4100f4011c00f3fff0000800a003fe");
        }),
        // F114 0xtext: verifyFrame [expected output]
        //   Frame-decoder expected output = the ASCII sentence itself.
        special(kFrames, 114, text_is_not_a_frame),
        // F115 0xtext: verifyFrame [input]
        //   Frame-decoder input: the ASCII sentence.
        special(kFrames, 115, text_is_not_a_frame),
        // F116 0xsynthetic: verifyFrame [expected output]
        //   Frame-decoder expected output for row 117.
        special(kFrames, 116, is_what_framing_the_next_row_gives),
        // F117 0xsynthetic: verifyFrame [input]
        //   Frame-decoder input: 7D 02 / 7D 01 escapes.
        special(kFrames, 117, frames_to_the_previous_row),
        // F118 0xsynthetic: verifyFrame [expected output]
        //   Frame-decoder expected output for row 119.
        special(kFrames, 118, is_what_framing_the_next_row_gives),
        // F119 0xsynthetic: verifyFrame [input]
        //   Frame-decoder input after 2 garbage bytes.
        special(kFrames, 119, frames_to_the_previous_row),
        // F120 0xsynthetic: encoder.encode(..., buf)
        //   Frame-encoder input.
        special(kFrames, 120, escapes_to_the_next_row),
        // F121 0xsynthetic: verifyFrame [expected output]
        //   Frame-encoder expected output.
        special(kFrames, 121, unescapes_to_the_previous_row),
        // F122 0x8105: verifyFrame [expected output]
        //   0x8105 terminal control (custom command 0xF0) is outside our set: kept raw.
        //   Traccar's own downlink; the phone field is device id 12345678901234 in binary.
        decodes(kFrames, 122, 0x8105, "0b3a73ce2ff2", 0x0000, [](const Ctx& c) {
            expect_raw_body(c, "f0");
            EXPECT_TRUE(c.header.phone_not_bcd);
        }),
        // F123 0x8300: Command.KEY_DATA custom hex payload
        //   0x8300 text (custom hex payload): flag 0x01, GBK text.
        //   Traccar's own downlink; the phone field is device id 12345678901234 in binary.
        decodes(kFrames, 123, 0x8300, "0b3a73ce2ff2", 0x0000, [](const Ctx& c) {
            const auto* t = body_as<TextMessage>(c);
            if (t == nullptr) return;
            EXPECT_EQ(t->flag, 0x01);
            EXPECT_EQ(t->text, "Test, Command, 123#");
            EXPECT_TRUE(c.header.phone_not_bcd);
        }),
        // F124 0x8300: verifyFrame [expected output]
        //   0x8300 text (encoder output): flag 0x01, GBK text.
        //   Traccar's own downlink; the phone field is device id 12345678901234 in binary.
        decodes(kFrames, 124, 0x8300, "0b3a73ce2ff2", 0x0000, [](const Ctx& c) {
            const auto* t = body_as<TextMessage>(c);
            if (t == nullptr) return;
            EXPECT_EQ(t->flag, 0x01);
            EXPECT_EQ(t->text, "Test, Command, 123#");
            EXPECT_TRUE(c.header.phone_not_bcd);
        }),
        // F125 0x8300: verifyFrame [modelOverride=BSJ] [expected output]
        //   0x8300 text (encoder output, model BSJ): flag 0x01, GBK text.
        //   Traccar's own downlink; the phone field is device id 12345678901234 in binary.
        decodes(kFrames, 125, 0x8300, "0b3a73ce2ff2", 0x0000, [](const Ctx& c) {
            const auto* t = body_as<TextMessage>(c);
            if (t == nullptr) return;
            EXPECT_EQ(t->flag, 0x01);
            EXPECT_EQ(t->text, "Test, Command, 123#");
            EXPECT_TRUE(c.header.phone_not_bcd);
        }),
        // F126 0x8900: verifyFrame [modelOverride=JC371] [expected output]
        //   0x8900 downlink pass-through (type 0xF0, "TEST") is outside our set: kept raw.
        //   Traccar's own downlink; the phone field is device id 12345678901234 in binary.
        decodes(kFrames, 126, 0x8900, "0b3a73ce2ff2", 0x0000, [](const Ctx& c) {
            expect_raw_body(c, "f054455354");
            EXPECT_TRUE(c.header.phone_not_bcd);
        }),
        // ---- traccar_issue_frames.tsv (I<index>) ----
        // I1 0x0200: device>server 0x0200 that crashes Jt808ProtocolDecoder (IndexOutOfBounds in
        //   vendor TLV 0xE1 len 0x1c; regression after 6.14.5)
        //   Crashed Traccar (vendor item 0xE1, 28 bytes, read as cell towers past its end). Wire
        //   form with escapes. We keep the basic block exactly and 0xE1 raw (it holds three 0x7E).
        decodes(kIssues, 1, 0x0200, "071604684030", 0x004D, [](const Ctx& c) {
            expect_location(c, LocGolden{
                .alarm = 0x00000000, .status = 0x000c0006,
                .lat_e6 = -6182565, .lon_e6 = 106714932, .altitude_m = 51, .speed_dkmh = 0,
                .direction = 82,
                .time = "2026-08-27T09:27:10Z",
                .signal_strength = 27, .satellites = 13,
                .raw = {
                    {0xE1, "01fe0059007e96033ce517c5007e96033ce55dc7007e96033ce549c8"},
                    {0xE4, "0064"},
                    {0xF0, "034a"},
                    {0xF5, "01"},
                },
            });
            EXPECT_EQ(raw_item(c, 0xE1).size(), 56u);
        }),
        // I2 0x8105: server>device 0x8105 terminal control cmd 0x04 (reset) - BSJ KM02 JT808-2013
        //   0x8105 terminal control, command 0x04 (reset): outside our set, kept raw.
        decodes(kIssues, 2, 0x8105, "024530313349", 0x0000, [](const Ctx& c) {
            expect_raw_body(c, "04");
        }),
        // I3 0x0001: device>server 0x0001 terminal general response to 0x8105
        //   0x0001 terminal response to that 0x8105 (serial 0), result 0.
        decodes(kIssues, 3, 0x0001, "024530313349", 0x0032, [](const Ctx& c) {
            const auto* r = body_as<TerminalResponse>(c);
            if (r != nullptr) expect_general(*r, 0x0000, 0x8105, 0);
        }),
        // I4 0x0102: device>server 0x0102 authentication ('authentication' as auth code)
        //   0x0102 with the auth code "authentication".
        decodes(kIssues, 4, 0x0102, "024530313349", 0x0001, [](const Ctx& c) {
            expect_auth_code(c, "authentication");
        }),
        // I5 0x8001: server>device 0x8001 general response from Traccar (server serial always 0000)
        //   0x8001 to the 0x0102 (serial 1), result 0.
        decodes(kIssues, 5, 0x8001, "024530313349", 0x0001, [](const Ctx& c) {
            const auto* r = body_as<PlatformResponse>(c);
            if (r != nullptr) expect_general(*r, 0x0001, 0x0102, 0);
        }),
        // I6 0x8201: server>device 0x8201 location query
        //   0x8201 location query, empty body.
        decodes(kIssues, 6, 0x8201, "024530313349", 0x0000, [](const Ctx& c) {
            EXPECT_NE(body_as<LocationQuery>(c), nullptr);
        }),
        // I7 0x0201: device>server 0x0201 location query response
        //   0x0201 location query response: reply serial 0 + a 0x0200 body (device clock in 2007).
        decodes(kIssues, 7, 0x0201, "024530313349", 0x0014, [](const Ctx& c) {
            expect_location(c, LocGolden{
                .alarm = 0x00000000, .status = 0x00000002,
                .lat_e6 = 16781200, .lon_e6 = 96195632, .altitude_m = 0, .speed_dkmh = 0,
                .direction = 0,
                .time = "2007-01-13T02:20:41Z",
                .mileage_100m = 0,
                .raw = {{0xEB, "000c00b28995062412035796032900060089ffffffff"}},
            });
            const auto* q = std::get_if<LocationQueryResponse>(&c.body);
            ASSERT_NE(q, nullptr);
            EXPECT_EQ(q->reply_serial, 0);
        }),
        // I8 0x0002: device>server 0x0002 heartbeat
        //   0x0002 heartbeat.
        decodes(kIssues, 8, 0x0002, "024530313349", 0x0015, [](const Ctx& c) {
            EXPECT_NE(body_as<Heartbeat>(c), nullptr);
        }),
        // I9 0x8103: server>device 0x8103 set parameter 0x0029 (default reporting interval) = 10 s
        //   0x8103 set parameter 0x0029 (default report interval) = 10 s.
        decodes(kIssues, 9, 0x8103, "024530313349", 0x0000, [](const Ctx& c) {
            const auto* s = body_as<SetParameters>(c);
            if (s == nullptr) return;
            ASSERT_EQ(s->params.size(), 1u);
            EXPECT_EQ(s->params[0], Parameter::dword(param::kReportInterval, 10));
        }),
        // I10 0x0002: device>server 0x0002 heartbeat WITH 17-byte vendor body
        //   0x0002 heartbeat with a 17-byte vendor body (Traccar reads battery, rssi, status from
        //   it). The standard heartbeat is empty: we decode Heartbeat; the bytes stay in the frame.
        decodes(kIssues, 10, 0x0002, "058056687467", 0x0026, [](const Ctx& c) {
            EXPECT_NE(body_as<Heartbeat>(c), nullptr);
            EXPECT_EQ(to_hex(c.frame_body), "5d102815000501006404000020d0650100");
        }),
        // I11 0x8001: server>device 0x8001 reply from Traccar
        //   0x8001 to 0x0002 serial 0x0026, result 0.
        decodes(kIssues, 11, 0x8001, "058056687467", 0x0000, [](const Ctx& c) {
            const auto* r = body_as<PlatformResponse>(c);
            if (r != nullptr) expect_general(*r, 0x0026, 0x0002, 0);
        }),
        // I12 0x0200: device>server 0x0200 that raised IndexOutOfBounds in HuabaoProtocolDecoder
        //   (2024)
        //   Raised IndexOutOfBounds in Traccar's Huabao decoder. Standard 0x04 decoded; 0x05 with
        //   one byte (not 30) kept raw.
        decodes(kIssues, 12, 0x0200, "058056687467", 0x0027, [](const Ctx& c) {
            expect_location(c, LocGolden{
                .alarm = 0x00000000, .status = 0x000c0000,
                .lat_e6 = 0, .lon_e6 = 0, .altitude_m = 0, .speed_dkmh = 0, .direction = 0,
                .time = "2024-06-10T08:55:43Z",
                .alarm_event_id = 349, .signal_strength = 22, .satellites = 0,
                .raw = {
                    {0x05, "00"},
                    {0x5D, "0101cc0827b1000010c516"},
                    {0x61, "00"},
                    {0x62, "0028"},
                    {0x64, "000020d0"},
                    {0x65, "00"},
                },
            });
        }),
        // I13 0x0200: device>server 0x0200 (Germany, OBD TLVs 0x80..0x8e, 0xcc ICCID)
        //   Germany, OBD items 0x80-0x8E and 0xCC ICCID, all vendor: kept raw. 0xA0 is empty.
        decodes(kIssues, 13, 0x0200, "019172068597", 0x1EA5, [](const Ctx& c) {
            expect_location(c, LocGolden{
                .alarm = 0x00000000, .status = 0x00000003,
                .lat_e6 = 51049640, .lon_e6 = 6968043, .altitude_m = 4, .speed_dkmh = 537,
                .direction = 299,
                .time = "2022-12-14T13:24:34Z",
                .mileage_100m = 11574, .signal_strength = 17, .satellites = 13,
                .raw = {
                    {0xCC, "3839343932323632303134303632383936363246"},
                    {0x9F, "3236322c30332c384434302c353631412c3137"},
                    {0x82, "0092"},
                    {0x80, "3b"},
                    {0x81, "0362"},
                    {0x83, "15"},
                    {0x84, "7f"},
                    {0x85, "1ae9"},
                    {0x86, "30"},
                    {0x88, "22"},
                    {0x89, "0d"},
                    {0x8B, "5653535a5a5a41415a4744333034373932"},
                    {0x8C, "00021a8e"},
                    {0xA0, ""},
                },
            });
        }),
        // I14 0x8001: server>device 0x8001 reply from Traccar to the above
        //   0x8001 to 0x0200 serial 0x1EA5, result 0.
        decodes(kIssues, 14, 0x8001, "019172068597", 0x0000, [](const Ctx& c) {
            const auto* r = body_as<PlatformResponse>(c);
            if (r != nullptr) expect_general(*r, 0x1EA5, 0x0200, 0);
        }),
        // I15 0x0002: device>server 0x0002 heartbeat (V20)
        //   0x0002 heartbeat (V20).
        decodes(kIssues, 15, 0x0002, "005704455529", 0x0017, [](const Ctx& c) {
            EXPECT_NE(body_as<Heartbeat>(c), nullptr);
        }),
        // I16 0x0100: device>server 0x0100 registration (2011-style short body)
        //   0x0100 with a 37-byte body. The note calls it 2011-style; it fits the 2013 layout
        //   exactly
        //   (terminal id BYTE[7] = "1249917", the phone's last digits; plate colour 0, no plate),
        //   while the 2011 reading would put the id in the plate. 37 bytes or more is 2013 (peers
        //   agree, docs/jt808.md).
        decodes(kIssues, 16, 0x0100, "001401249917", 0x0001, [](const Ctx& c) {
            expect_registration(c, {.dialect = Dialect::v2013, .province = 0, .city = 0,
                                      .maker = "", .model = "",
                                      .terminal_id_hex = "31323439393137", .plate_color = 0,
                                      .plate_utf8 = ""});
        }),
    };
    return table;
}
// clang-format on
#pragma GCC diagnostic pop

const Expect* find_expectation(std::string_view file, int index) {
    for (const Expect& e : expectations()) {
        if (e.file == file && e.index == index) return &e;
    }
    return nullptr;
}

// Decodes one frame's un-escaped bytes: the reason it fails, or its frame and body.
struct Decoded {
    std::optional<Frame> frame;
    std::optional<Body> body;
    std::optional<Error> error;
};

Decoded decode(Bytes unescaped) {
    Decoded d;
    auto frame = parse_frame(unescaped);
    if (!frame) {
        d.error = frame.error();
        return d;
    }
    d.frame = *frame;
    auto body = decode_body(*frame);
    if (!body) {
        d.error = body.error();
        return d;
    }
    d.body = std::move(*body);
    return d;
}

std::string frame_json(const Header& h, const Body& b) {
    return frame_to_json(h, b).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// ---- The corpus itself -----------------------------------------------------------------------

TEST(TraccarCorpus, IsReadFromTheSharedCheckoutWithEveryRowTheReadmeCounts) {
    // read_corpus throws (and the test fails) when ../shared is absent: never a skip.
    const std::vector<Row> frames = load_rows(kFrames);
    const std::vector<Row> issues = load_rows(kIssues);
    ASSERT_EQ(frames.size(), 126u) << ft::corpus_dir();
    ASSERT_EQ(issues.size(), 16u) << ft::corpus_dir();
    for (std::size_t i = 0; i < frames.size(); ++i) EXPECT_EQ(frames[i].index, int(i) + 1);
    for (std::size_t i = 0; i < issues.size(); ++i) EXPECT_EQ(issues[i].index, int(i) + 1);
}

TEST(TraccarCorpus, EveryRowHasExactlyOneExpectationAndEveryExpectationARow) {
    std::set<std::pair<std::string, int>> rows;
    for (const Row& r : all_rows()) {
        rows.emplace(r.file, r.index);
        EXPECT_NE(find_expectation(r.file, r.index), nullptr)
            << "no expectation for " << r.where() << " (" << r.message_id << "): " << r.note;
    }
    std::set<std::pair<std::string, int>> seen;
    for (const Expect& e : expectations()) {
        EXPECT_TRUE(seen.emplace(e.file, e.index).second)
            << "two expectations for " << e.file << " row " << e.index;
        EXPECT_TRUE(rows.count({e.file, e.index}) == 1)
            << "expectation for " << e.file << " row " << e.index << ", which does not exist";
    }
}

TEST(TraccarCorpus, ExpectationsAgreeWithTheNotesOnConsistencyPhoneAndSerial) {
    for (const Row& row : all_rows()) {
        SCOPED_TRACE(row.where());
        const Expect* e = find_expectation(row.file, row.index);
        if (e == nullptr) continue;  // reported by the test above
        const bool inconsistent = note_says(row, "INCONSISTENT");
        const bool consistent = !inconsistent && note_says(row, "CONSISTENT(");
        const Kind want = inconsistent ? Kind::rejected
                          : consistent ? Kind::decodes
                                       : Kind::special;
        EXPECT_EQ(kind_name(e->kind), kind_name(want));
        if (e->kind == Kind::special) continue;
        char id[8];
        std::snprintf(id, sizeof id, "%04x", e->msg_id);
        EXPECT_EQ(row.message_id, id);
        if (e->kind != Kind::decodes) continue;
        const std::string phone = e->version == HeaderVersion::v2019 ? note_field(row, "phone10=")
                                                                     : note_field(row, "phone6=");
        EXPECT_EQ(phone, e->phone);
        EXPECT_EQ(std::stoul(note_field(row, "serial="), nullptr, 16), e->serial);
    }
}

// ---- One test per row ------------------------------------------------------------------------

class TraccarRow : public ::testing::TestWithParam<Expect> {};

void run_decodes(const Row& row, const Expect& e) {
    const std::vector<std::uint8_t> wire = wire_of(row);
    const Collect whole = frame_stream(wire);
    ASSERT_TRUE(whole.errors.empty()) << errors_text(whole.errors);
    ASSERT_EQ(whole.frames.size(), 1u);
    // Split at every byte, the framer gives the same frame.
    const Collect bytewise = frame_stream(wire, 1);
    EXPECT_TRUE(bytewise.errors.empty()) << errors_text(bytewise.errors);
    EXPECT_EQ(bytewise.frames, whole.frames);
    // What the framer un-escaped is what Traccar's decoder was fed.
    EXPECT_EQ(to_hex(whole.frames[0]), to_hex(traccar_frame(row)));

    const Decoded d = decode(whole.frames[0]);
    ASSERT_FALSE(d.error.has_value()) << to_string(d.error->code) << ": " << d.error->message();
    const Header& h = d.frame->header;
    EXPECT_EQ(h.msg_id, e.msg_id);
    EXPECT_EQ(h.phone.digits(), e.phone);
    EXPECT_EQ(h.serial, e.serial);
    EXPECT_EQ(h.version, e.version);
    EXPECT_FALSE(h.package.has_value());
    EXPECT_FALSE(h.misflagged_2019);
    EXPECT_EQ(h.phone_not_bcd,
              std::string_view(e.phone).find_first_not_of("0123456789") != std::string_view::npos);
    // The JSON view never throws and reports success.
    const auto j = frame_to_json(h, *d.body);
    EXPECT_EQ(j.at("ok"), true);
    EXPECT_EQ(j.at("phone"), e.phone);
    ASSERT_NE(e.check, nullptr);
    e.check(Ctx{row, h, *d.body, d.frame->body});
}

void run_rejected(const Row& row, const Expect& e) {
    const Collect c = frame_stream(wire_of(row));
    ASSERT_TRUE(c.errors.empty()) << errors_text(c.errors);
    ASSERT_EQ(c.frames.size(), 1u);
    const Decoded d = decode(c.frames[0]);
    ASSERT_TRUE(d.error.has_value()) << "decoded, but the note marks it inconsistent";
    EXPECT_EQ(to_string(d.error->code), to_string(e.error)) << d.error->message();
    // The JSON error line names the same reason.
    EXPECT_EQ(error_to_json(*d.error).at("error"), std::string(to_string(e.error)));
}

TEST_P(TraccarRow, BehavesAsItsExpectationSays) {
    const Expect& e = GetParam();
    const Row& row = row_at(e.file, e.index);
    SCOPED_TRACE(row.where() + ": " + row.note.substr(0, 120));
    switch (e.kind) {
        case Kind::decodes:
            run_decodes(row, e);
            break;
        case Kind::rejected:
            run_rejected(row, e);
            break;
        case Kind::special:
            ASSERT_NE(e.special, nullptr);
            e.special(row);
            break;
    }
}

std::string row_test_name(const ::testing::TestParamInfo<Expect>& info) {
    char name[32];
    std::snprintf(name, sizeof name, "%s_row_%03d",
                  std::string_view(info.param.file) == kFrames ? "frames" : "issues",
                  info.param.index);
    return name;
}

INSTANTIATE_TEST_SUITE_P(TraccarCorpus, TraccarRow, ::testing::ValuesIn(expectations()),
                         row_test_name);

// ---- Terminals whose phone field is not BCD -------------------------------------------------

TEST(TraccarCorpus, RepliesToATerminalWithABinaryIdEchoItsPhoneBytes) {
    // F106 comes from a Jimi JC371 whose phone field is its IMEI as a 48-bit number. The reply
    // must carry the same six bytes, or the terminal ignores it.
    const std::vector<std::uint8_t> uplink = traccar_frame(row_at(kFrames, 106));
    const auto frame = parse_frame(uplink);
    ASSERT_TRUE(frame.has_value()) << frame.error().message();
    ASSERT_TRUE(frame->header.phone_not_bcd);

    Buffer body;
    PlatformResponse ack;
    ack.reply_serial = frame->header.serial;
    ack.reply_msg_id = frame->header.msg_id;
    ASSERT_TRUE(encode_body(ack, Dialect::v2013, body).has_value());
    OutboundHeader out;
    out.msg_id = msg_id::kPlatformResponse;
    out.phone = frame->header.phone;
    Buffer wire;
    ASSERT_TRUE(encode_frame(out, body, wire).has_value());

    const Collect c = frame_stream(wire);
    ASSERT_EQ(c.frames.size(), 1u);
    EXPECT_EQ(to_hex(Bytes{c.frames[0]}.subspan(4, 6)), to_hex(Bytes{uplink}.subspan(4, 6)));
    const auto reply = parse_frame(c.frames[0]);
    ASSERT_TRUE(reply.has_value()) << reply.error().message();
    EXPECT_EQ(reply->header.phone.digits(), "4eb6fb4ad628");
    EXPECT_TRUE(reply->header.phone_not_bcd);

    // The same key typed by an operator (any case) gives the same bytes.
    const auto typed = PhoneNumber::from_digits("4EB6FB4AD628");
    ASSERT_TRUE(typed.has_value());
    EXPECT_EQ(*typed, frame->header.phone);
}

// ---- All consistent frames as one stream -----------------------------------------------------

TEST(TraccarCorpus, AllConsistentFramesInOneGarbledChunkedStreamDecodeAsTheyDoAlone) {
    // Each frame alone: its JSON.
    std::vector<std::vector<std::uint8_t>> wires;
    std::vector<std::string> alone;
    for (const Row& row : all_rows()) {
        const Expect* e = find_expectation(row.file, row.index);
        if (e == nullptr || e->kind != Kind::decodes) continue;
        wires.push_back(wire_of(row));
        const Collect c = frame_stream(wires.back());
        ASSERT_EQ(c.frames.size(), 1u) << row.where();
        const Decoded d = decode(c.frames[0]);
        ASSERT_FALSE(d.error.has_value()) << row.where();
        alone.push_back(frame_json(d.frame->header, *d.body));
    }
    ASSERT_GT(wires.size(), 120u);

    // One stream: garbage before the first flag, then the frames back to back, with garbage
    // between some (1-12 bytes, so it cannot be a frame; never a flag; sometimes with a broken
    // escape `7D xx`) and extra flags (empty frames, `7E 7E`) between others.
    std::mt19937 rng(808);
    std::uniform_int_distribution<int> byte(0, 255);
    std::uniform_int_distribution<int> pick(0, 3);
    std::uniform_int_distribution<std::size_t> garbage_len(1, 12);
    auto garbage = [&](std::vector<std::uint8_t>& out, bool broken_escape) {
        const std::size_t n = garbage_len(rng);
        const std::size_t escape_at =
            out.size() + std::uniform_int_distribution<std::size_t>(0, n - 1)(rng);
        for (std::size_t i = 0; i < n;) {
            const auto b = static_cast<std::uint8_t>(byte(rng));
            if (b == kFlag || b == kEscape || b == 0x01 || b == 0x02) continue;
            out.push_back(b);
            ++i;
        }
        if (broken_escape)
            out.insert(out.begin() + static_cast<std::ptrdiff_t>(escape_at), kEscape);
    };
    std::vector<std::uint8_t> stream;
    garbage(stream, false);
    const std::size_t leading = stream.size();
    std::size_t garbage_runs = 0;  // each becomes one candidate frame, rejected as truncated
    std::size_t broken_runs = 0;   // each is dropped by the framer with bad_escape
    std::size_t extra_flags = 0;
    for (std::size_t i = 0; i < wires.size(); ++i) {
        if (i > 0) {
            const int what = pick(rng);
            if (what == 1 || what == 3) {
                const bool broken = pick(rng) == 0;
                garbage(stream, broken);
                stream.push_back(kFlag);  // the end of the garbage "frame"
                ++(broken ? broken_runs : garbage_runs);
            }
            if (what == 2 || what == 3) {
                const std::size_t n = 1 + static_cast<std::size_t>(pick(rng));
                stream.insert(stream.end(), n, kFlag);  // 7E 7E...: empty frames
                extra_flags += n;
            }
        }
        stream.insert(stream.end(), wires[i].begin(), wires[i].end());
    }
    ASSERT_GT(garbage_runs, 10u);
    ASSERT_GT(broken_runs, 3u);
    ASSERT_GT(extra_flags, 10u);

    struct Sink {
        std::vector<std::string> decoded;
        std::vector<std::string_view> rejected;
        std::vector<Error> framing;
        void on_frame(std::span<const std::uint8_t> f) {
            const Decoded d = decode(f);  // views into the framer's buffer: use them now
            if (d.error) {
                rejected.push_back(to_string(d.error->code));
            } else {
                decoded.push_back(frame_json(d.frame->header, *d.body));
            }
        }
        void on_frame_error(const Error& e) { framing.push_back(e); }
    } sink;
    Framer framer;
    std::uniform_int_distribution<std::size_t> chunk_len(1, 97);
    for (std::size_t at = 0; at < stream.size();) {
        const std::size_t n = std::min(chunk_len(rng), stream.size() - at);
        framer.feed(std::span<const std::uint8_t>(stream).subspan(at, n), sink);
        at += n;
    }

    ASSERT_EQ(sink.decoded.size(), alone.size());
    for (std::size_t i = 0; i < alone.size(); ++i) {
        EXPECT_EQ(sink.decoded[i], alone[i]) << "frame " << i;
    }
    // Each garbage run became one candidate frame, too short to be a frame.
    EXPECT_EQ(sink.rejected, std::vector<std::string_view>(garbage_runs, "truncated"));
    // The bytes before the first flag are skipped and reported once; each broken escape drops
    // its garbage run up to the next flag.
    ASSERT_EQ(sink.framing.size(), 1 + broken_runs) << errors_text(sink.framing);
    EXPECT_EQ(sink.framing[0].code, Errc::unframed_bytes);
    EXPECT_EQ(sink.framing[0].actual, static_cast<std::int64_t>(leading));
    for (std::size_t i = 1; i < sink.framing.size(); ++i) {
        EXPECT_EQ(sink.framing[i].code, Errc::bad_escape) << sink.framing[i].message();
    }
    EXPECT_EQ(framer.stats().frames, alone.size() + garbage_runs);
    EXPECT_EQ(framer.buffered(), 0u);
}

}  // namespace
}  // namespace fleetwatch::jt808
