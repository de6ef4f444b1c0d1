// SmallChi/JT808's test vectors as golden inputs (../shared/testdata/jt808/smallchi_vectors.tsv,
// read straight from the shared checkout; a missing corpus throws, so the tests fail loudly).
//
// Scope: the rows whose msg_id is one of the messages we implement (plus the "0x0200/attach"
// item rows and the escaping/XOR/BCD "(codec primitive)" rows) and whose direction is `decode`
// or `encode`. Every such row has one entry in `expectations()`, keyed by its source (the
// SmallChi path without the common prefix) and direction, with "#n" for the n-th row that
// shares both; a test fails for an in-scope row without an entry and for an entry without a row.
//
// Kinds of entry:
//   * decodes:   the hex goes through our decoder (frames through Framer -> parse_frame ->
//                decode_body -> frame_to_json; bodies through decode_body with a header made
//                for the row's version) and SmallChi's assertions are restated on our types.
//   * encodes:   our struct is built from the values SmallChi serialised; our encoder's bytes
//                must equal the hex exactly (encode_body for bodies, encode_message/encode_frame
//                with an OutboundHeader from frame_info for frames). Uplink-only messages with
//                no body encoder (0x0104, 0x0800, 0x0801, 0x0900) get their body from ByteWriter
//                and their frame from encode_frame. Where SmallChi's serializer departs from the
//                standard (padding side, signed coordinates, 2011 model padding), the expected
//                bytes are SmallChi's with exactly that field rewritten, and the entry says why.
//   * rejected:  the frame_info says the XOR or the body length is wrong, or a coordinate is
//                out of range; our decoder rejects it with that reason.
//   * roundtrip: a SmallChi-only field (Demo13's custom `Test=168`, custom attach formatters,
//                vendor/active-safety items we keep raw) cannot be built from our structs;
//                decode -> re-encode must reproduce the hex.
//   * primitive: a codec primitive (escaping, XOR, BCD) checked against our equivalent.
//   * out_of_scope: a codec primitive of SmallChi's reader/writer with no counterpart here
//                (the reason is in the entry and printed by the coverage test).
//
// Where SmallChi disagrees with the standard, the entry follows JT808.md and says so.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <sstream>
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
#include "fleetwatch/jt808/reassembly.hpp"
#include "fleetwatch/jt808/text.hpp"

namespace fleetwatch::jt808 {
namespace {

namespace ft = fleetwatch::testing;

constexpr const char* kCorpus = "smallchi_vectors.tsv";

// ---- Corpus rows -----------------------------------------------------------------------------

struct Row {
    std::size_t line = 0;
    std::string msg_id;
    std::string version;
    std::string hex;
    std::string expected;
    std::string source;
    std::string direction;
    std::string kind;
    std::string frame_info;
    std::string key;  // see the file comment

    std::string where() const {
        return std::string(kCorpus) + ":" + std::to_string(line) + " " + key;
    }
};

std::string short_source(const std::string& source) {
    static constexpr std::string_view kPrefixes[] = {
        "src/JT808.Protocol.Extensions/JT808.Protocol.Extensions.",
        "src/JT808.Protocol.Test/",
        "src/",
    };
    for (const std::string_view p : kPrefixes) {
        if (source.rfind(p, 0) == 0) return source.substr(p.size());
    }
    return source;
}

const std::vector<Row>& all_rows() {
    static const std::vector<Row> rows = [] {
        std::vector<Row> out;
        std::map<std::string, int> seen;
        for (const ft::CorpusRow& c : ft::read_corpus(kCorpus)) {  // throws when missing
            Row r;
            r.line = c.line;
            r.msg_id = c.at("msg_id");
            r.version = c.at("version");
            r.hex = c.at("hex");
            r.expected = c.at("expected");
            r.source = c.at("source");
            r.direction = c.at("direction");
            r.kind = c.at("kind");
            r.frame_info = c.at("frame_info");
            r.key = short_source(r.source) + "|" + r.direction;
            out.push_back(std::move(r));
        }
        // Sources that repeat (one SmallChi test asserting several frames) get "#n" in order.
        std::map<std::string, int> total;
        for (const Row& r : out) ++total[r.key];
        for (Row& r : out) {
            if (total[r.key] > 1) r.key += "#" + std::to_string(++seen[r.key]);
        }
        return out;
    }();
    return rows;
}

bool in_scope(const Row& r) {
    static const std::set<std::string> kIds = {
        "0x0001", "0x0002", "0x0003", "0x0005", "0x0100", "0x0102", "0x0104", "0x0200",
        "0x0201", "0x0702", "0x0704", "0x0800", "0x0801", "0x0900", "0x8001", "0x8003",
        "0x8004", "0x8100", "0x8103", "0x8201", "0x8203", "0x8300", "0x8600", "0x8602",
        "0x8604", "0x8606", "0x0102 (header only)", "(codec primitive)"};
    if (r.direction != "decode" && r.direction != "encode") return false;
    return kIds.count(r.msg_id) > 0 || r.msg_id.rfind("0x0200/attach ", 0) == 0;
}

const Row& row(const std::string& key) {
    for (const Row& r : all_rows()) {
        if (r.key == key) return r;
    }
    throw std::runtime_error("no SmallChi row " + key);
}

// ---- Bytes -----------------------------------------------------------------------------------

std::vector<std::uint8_t> hex_bytes(std::string_view hex) {
    auto b = from_hex(hex);
    if (!b) throw std::runtime_error("not hex: " + std::string(hex.substr(0, 80)));
    return *b;
}

std::vector<std::uint8_t> bytes_of(std::string_view text) {
    return {text.begin(), text.end()};
}

std::vector<std::uint8_t> vec(Bytes b) { return {b.begin(), b.end()}; }

std::string upper_hex(Bytes b) {
    std::string h = to_hex(b);
    std::transform(h.begin(), h.end(), h.begin(), [](char c) {
        return static_cast<char>(c >= 'a' && c <= 'f' ? c - 'a' + 'A' : c);
    });
    return h;
}

std::string text(Bytes b) { return {b.begin(), b.end()}; }

// A `key=value` field of frame_info, e.g. "phone=" -> "012345678900".
std::string info_field(const Row& r, std::string_view key) {
    std::size_t at = 0;
    while ((at = r.frame_info.find(key, at)) != std::string::npos) {
        if (at == 0 || r.frame_info[at - 1] == ' ') break;
        ++at;
    }
    if (at == std::string::npos) return {};
    const std::size_t from = at + key.size();
    const std::size_t to = r.frame_info.find(' ', from);
    return r.frame_info.substr(from, to == std::string::npos ? std::string::npos : to - from);
}

// ---- Decoding --------------------------------------------------------------------------------

struct Collect {
    std::vector<std::vector<std::uint8_t>> frames;
    std::vector<Error> errors;
    void on_frame(std::span<const std::uint8_t> f) { frames.emplace_back(f.begin(), f.end()); }
    void on_frame_error(const Error& e) { errors.push_back(e); }
};

// The un-escaped frames in a row's wire hex (flags and escapes as SmallChi wrote them).
Collect frames_of(const Row& r) {
    Collect c;
    Framer framer;
    const auto wire = hex_bytes(r.hex);
    framer.feed(wire, c);
    return c;
}

// A frame row through the stream path: exactly one frame, parsed. Holds the buffer the Frame's
// body points into.
struct Parsed {
    std::vector<std::uint8_t> unescaped;
    std::optional<Expected<Frame>> frame;
};

Parsed parse(const Row& r) {
    Parsed p;
    Collect c = frames_of(r);
    EXPECT_TRUE(c.errors.empty()) << r.where() << ": framer error "
                                  << (c.errors.empty() ? "" : c.errors.front().message());
    if (c.frames.size() != 1) {
        ADD_FAILURE() << r.where() << ": expected one frame, got " << c.frames.size();
        return p;
    }
    p.unescaped = std::move(c.frames.front());
    p.frame.emplace(parse_frame(p.unescaped));
    return p;
}

// A decoded frame row: header and body, plus the JSON view (which must say ok).
struct Decoded {
    Parsed parsed;
    Header header;
    Body body;
    Json json;
};

std::optional<Decoded> decode_frame_row(const Row& r, const DecodeOptions& opt = {}) {
    Decoded d;
    d.parsed = parse(r);
    if (!d.parsed.frame) return std::nullopt;
    const Expected<Frame>& f = *d.parsed.frame;
    if (!f) {
        ADD_FAILURE() << r.where() << ": parse_frame failed: " << f.error().message();
        return std::nullopt;
    }
    auto body = decode_body(*f, opt);
    if (!body) {
        ADD_FAILURE() << r.where() << ": decode_body failed: " << body.error().message();
        return std::nullopt;
    }
    d.header = f->header;
    d.body = std::move(*body);
    d.json = frame_to_json(d.header, d.body);
    EXPECT_EQ(d.json.value("ok", false), true) << d.json.dump();
    return d;
}

// The header a body-only row is decoded under: the row's version picks the layout.
Header header_for(const Row& r, std::uint16_t msg_id, Bytes body) {
    Header h;
    h.msg_id = msg_id;
    h.version = r.version == "2019" ? HeaderVersion::v2019 : HeaderVersion::v2013;
    h.protocol_version = r.version == "2019" ? 1 : 0;
    h.body_length = static_cast<std::uint16_t>(body.size());
    return h;
}

std::uint16_t row_msg_id(const Row& r) {
    return static_cast<std::uint16_t>(std::stoul(r.msg_id.substr(0, 6), nullptr, 16));
}

Dialect row_dialect(const Row& r) {
    if (r.version == "2019") return Dialect::v2019;
    if (r.version == "2011") return Dialect::v2011;
    return Dialect::v2013;
}

// A body row decoded; the holder keeps the bytes the body's views point into.
struct BodyDecoded {
    std::vector<std::uint8_t> bytes;
    Header header;
    Body body;
};

std::optional<BodyDecoded> decode_body_row(const Row& r, std::optional<Dialect> dialect = {}) {
    BodyDecoded d;
    d.bytes = hex_bytes(r.hex);
    d.header = header_for(r, row_msg_id(r), d.bytes);
    DecodeOptions opt;
    opt.dialect = dialect;
    auto body = decode_body(d.header, d.bytes, opt);
    if (!body) {
        ADD_FAILURE() << r.where() << ": decode_body failed: " << body.error().message();
        return std::nullopt;
    }
    d.body = std::move(*body);
    const Json j = body_to_json(d.body);
    EXPECT_FALSE(j.is_null());
    return d;
}

template <class T>
const T* as(const Body& b, const Row& r) {
    const T* p = std::get_if<T>(&b);
    if (p == nullptr) ADD_FAILURE() << r.where() << ": body is variant #" << b.index();
    return p;
}

void expect_header(const Header& h, const Row& r, std::uint16_t msg_id, std::string_view phone_key,
                   std::uint16_t serial) {
    EXPECT_EQ(h.msg_id, msg_id) << r.where();
    EXPECT_EQ(h.phone.key(), phone_key) << r.where();
    EXPECT_EQ(h.serial, serial) << r.where();
    // frame_info's independent reading of the same header.
    EXPECT_EQ(std::string(h.phone.digits()), info_field(r, "phone=")) << r.where();
    EXPECT_EQ(std::to_string(h.serial), info_field(r, "sn=")) << r.where();
    EXPECT_EQ(h.version == HeaderVersion::v2019, r.frame_info.find("v2019") != std::string::npos)
        << r.where();
}

core::CivilTime civil(int y, int mo, int d, int h, int mi, int s) {
    return core::CivilTime{y, mo, d, h, mi, s};
}

// SmallChi's `DateTime.Parse("2018-07-15 10:10:10")` is the BCD time as sent (GMT+8).
void expect_time(const BcdTime& t, const core::CivilTime& c, const Row& r) {
    EXPECT_TRUE(t.valid) << r.where();
    EXPECT_EQ(t.civil, c) << r.where();
}

// The single un-escaped frame in `wire` (flags, escaped), as the Framer delivers it.
std::vector<std::uint8_t> unescape(Bytes wire) {
    Collect c;
    Framer framer;
    framer.feed(wire, c);
    EXPECT_TRUE(c.errors.empty());
    EXPECT_EQ(c.frames.size(), 1u);
    return c.frames.empty() ? std::vector<std::uint8_t>{} : c.frames.front();
}

// A frame row's hex after `edit` changed its body in place (same length), with the check byte
// recomputed and the frame escaped again: what the standard's layout gives where SmallChi's
// serializer departs from it.
std::string edited_frame_hex(const Row& r, std::size_t header_size,
                             const std::function<void(std::span<std::uint8_t> body)>& edit) {
    std::vector<std::uint8_t> f = unescape(hex_bytes(r.hex));
    if (f.size() < header_size + 1) throw std::runtime_error("short frame " + r.where());
    edit(std::span<std::uint8_t>(f).subspan(header_size, f.size() - header_size - 1));
    f.back() = xor_checksum(Bytes{f.data(), f.size() - 1});
    return upper_hex(ft::to_wire(f));
}

// Moves the NUL padding of body[off, off+width) from the end to the front.
void pad_front(std::span<std::uint8_t> body, std::size_t off, std::size_t width) {
    const auto field = body.subspan(off, width);
    const auto content_end = std::find(field.begin(), field.end(), std::uint8_t{0});
    std::rotate(field.begin(), content_end, field.end());
}

// Moves the NUL padding of body[off, off+width) from the front to the end.
void pad_end(std::span<std::uint8_t> body, std::size_t off, std::size_t width) {
    const auto field = body.subspan(off, width);
    const auto content = std::find_if(field.begin(), field.end(), [](std::uint8_t b) { return b != 0; });
    std::rotate(field.begin(), content, field.end());
}

// `r` with its hex replaced: the bytes the standard gives where SmallChi's serializer departs.
Row with_hex(const Row& r, Bytes hex) {
    Row copy = r;
    copy.hex = upper_hex(hex);
    return copy;
}

// ---- Encoding --------------------------------------------------------------------------------

// The OutboundHeader a frame row was written with (frame_info's phone, sn, version).
OutboundHeader outbound_for(const Row& r, std::uint16_t msg_id) {
    OutboundHeader h;
    h.msg_id = msg_id;
    const std::string phone = info_field(r, "phone=");
    h.dialect = r.frame_info.find("v2019") != std::string::npos ? Dialect::v2019
                : r.version == "2011"                            ? Dialect::v2011
                                                                 : Dialect::v2013;
    const std::string pv = info_field(r, "protocolVersion=");
    if (!pv.empty()) h.protocol_version = static_cast<std::uint8_t>(std::stoi(pv));
    h.phone = *PhoneNumber::from_digits(phone);
    h.serial = static_cast<std::uint16_t>(std::stoul(info_field(r, "sn=")));
    return h;
}

template <class M>
void expect_message_bytes(const M& m, const Row& r, std::optional<Dialect> dialect = {}) {
    OutboundHeader h = outbound_for(r, kMessageId<M>);
    if (dialect) h.dialect = *dialect;
    Buffer out;
    Buffer scratch;
    auto n = encode_message(m, h, out, scratch);
    ASSERT_TRUE(n) << r.where() << ": " << n.error().message();
    EXPECT_EQ(*n, 1) << r.where();
    EXPECT_EQ(upper_hex(out), r.hex) << r.where();
}

// For messages we only receive (no body encoder): the body is built by the test with ByteWriter,
// the frame by our encode_frame.
void expect_frame_bytes(Bytes body, const Row& r) {
    const OutboundHeader h = outbound_for(r, row_msg_id(r));
    Buffer out;
    auto s = encode_frame(h, body, out);
    ASSERT_TRUE(s) << r.where() << ": " << s.error().message();
    EXPECT_EQ(upper_hex(out), r.hex) << r.where();
}

template <class M>
void expect_body_bytes(const M& m, const Row& r, std::optional<Dialect> dialect = {}) {
    Buffer out;
    auto s = encode_body(m, dialect.value_or(row_dialect(r)), out);
    ASSERT_TRUE(s) << r.where() << ": " << s.error().message();
    EXPECT_EQ(upper_hex(out), r.hex) << r.where();
}

// ---- Location helpers ------------------------------------------------------------------------

// The 28-byte basic block most SmallChi location tests use.
struct Basic {
    std::uint32_t alarm = 1;
    std::uint32_t status = 2;
    std::uint32_t lat = 12222222;
    std::uint32_t lon = 132444444;
    std::uint16_t altitude = 40;
    std::uint16_t speed = 60;  // SmallChi's Speed is the wire value, 1/10 km/h
    std::uint16_t direction = 0;
    core::CivilTime time = core::CivilTime{2018, 7, 15, 10, 10, 10};
};

Location make_location(const Basic& b) {
    Location l;
    l.alarm = b.alarm;
    l.status = b.status;
    l.lat_e6 = b.lat;
    l.lon_e6 = b.lon;
    l.altitude_m = b.altitude;
    l.speed_dkmh = b.speed;
    l.direction = b.direction;
    l.time = BcdTime::from_civil(b.time);
    return l;
}

void expect_basic(const Location& l, const Basic& b, const Row& r) {
    EXPECT_EQ(l.alarm, b.alarm) << r.where();          // AlarmFlag
    EXPECT_EQ(l.status, b.status) << r.where();        // StatusFlag
    EXPECT_EQ(l.lat_e6, b.lat) << r.where();           // Lat
    EXPECT_EQ(l.lon_e6, b.lon) << r.where();           // Lng
    EXPECT_EQ(l.altitude_m, b.altitude) << r.where();  // Altitude
    EXPECT_EQ(l.speed_dkmh, b.speed) << r.where();     // Speed
    EXPECT_EQ(l.direction, b.direction) << r.where();  // Direction
    expect_time(l.time, b.time, r);                    // GPSTime (GMT+8 as sent)
}

using RawItems = std::vector<std::pair<std::uint8_t, std::vector<std::uint8_t>>>;

// The additional items our decoder kept raw (not decoded into a typed field), in order.
RawItems raw_items(const Location& l) {
    RawItems out;
    l.extras.for_each_raw([&out](const ExtraItem& i) { out.emplace_back(i.id, vec(i.value)); });
    return out;
}

std::vector<std::uint8_t> raw_value(const Location& l, std::uint8_t id) {
    for (auto& [i, v] : raw_items(l)) {
        if (i == id) return v;
    }
    ADD_FAILURE() << "no raw item " << int{id};
    return {};
}

std::uint32_t be(const std::vector<std::uint8_t>& v, std::size_t off, std::size_t n) {
    std::uint32_t x = 0;
    for (std::size_t i = 0; i < n; ++i) x = (x << 8) | v.at(off + i);
    return x;
}

// One {id BYTE, length BYTE, value} item.
void put_item(Buffer& b, std::uint8_t id, Bytes value) {
    ByteWriter w(b);
    w.u8(id);
    w.u8(static_cast<std::uint8_t>(value.size()));
    w.bytes(value);
}

// A Location whose typed extras and extra (vendor) items are all sent. Our encoder writes
// `extras.items` as received when set, so the typed items are encoded first and the vendor
// items appended after them; `items` owns the bytes the Location points into.
struct LocationWithItems {
    Buffer items;
    Location location;
    LocationWithItems(const Location& typed, const Buffer& vendor) : location(typed) {
        Buffer whole;
        EXPECT_TRUE(encode_body(typed, Dialect::v2013, whole));
        items.assign(whole.begin() + 28, whole.end());
        items.insert(items.end(), vendor.begin(), vendor.end());
        location.extras = LocationExtras{};
        location.extras.items = items;
    }
};

const Location* location_of(const std::optional<BodyDecoded>& d, const Row& r) {
    if (!d) return nullptr;
    return as<Location>(d->body, r);
}

// Body row: decode, check the basic block, re-encode and compare with the hex.
void expect_location_roundtrip(const Row& r, const Basic& b = {}) {
    auto d = decode_body_row(r);
    const Location* l = location_of(d, r);
    ASSERT_NE(l, nullptr);
    expect_basic(*l, b, r);
    expect_body_bytes(*l, r);
}

// Frame row with the check byte recomputed (for rows SmallChi wrote with a wrong one).
std::optional<Decoded> decode_with_fixed_check_byte(const Row& r) {
    Decoded d;
    d.parsed = parse(r);
    if (!d.parsed.frame) return std::nullopt;
    auto& f = d.parsed.unescaped;
    f.back() = xor_checksum(Bytes{f.data(), f.size() - 1});
    d.parsed.frame.emplace(parse_frame(f));
    if (!*d.parsed.frame) {
        ADD_FAILURE() << r.where() << ": " << d.parsed.frame->error().message();
        return std::nullopt;
    }
    auto body = decode_body(**d.parsed.frame);
    if (!body) {
        ADD_FAILURE() << r.where() << ": " << body.error().message();
        return std::nullopt;
    }
    d.header = (*d.parsed.frame)->header;
    d.body = std::move(*body);
    d.json = frame_to_json(d.header, d.body);
    return d;
}

// parse_frame's verdict on a frame row that must be rejected.
void expect_rejected(const Row& r, Errc code) {
    Parsed p = parse(r);
    ASSERT_TRUE(p.frame);
    ASSERT_FALSE(*p.frame) << r.where() << " parsed, but frame_info says " << r.frame_info;
    EXPECT_EQ(p.frame->error().code, code) << p.frame->error().message();
    const Json j = error_to_json(p.frame->error());
    EXPECT_EQ(j["ok"], false);
    EXPECT_EQ(j["error"], std::string(to_string(code)));
}

// ---- The table -------------------------------------------------------------------------------

enum class Kind { decodes, encodes, rejected, roundtrip, primitive, out_of_scope };

struct Expectation {
    Expectation() = default;
    Expectation(Kind k, std::function<void(const Row&)> f, std::string why = {})
        : kind(k), check(std::move(f)), reason(std::move(why)) {}

    Kind kind = Kind::decodes;
    std::function<void(const Row&)> check;  // empty for out_of_scope
    std::string reason;                     // out_of_scope / roundtrip: why
};

using Table = std::map<std::string, Expectation>;

void link_messages(Table& t) {
    // 0x0001 terminal general response.
    t["MessageBody/JT808_0x0001Test.cs::Test1|encode"] = {Kind::encodes, [](const Row& r) {
        TerminalResponse m;
        m.reply_serial = 1000;
        m.reply_msg_id = 0x0002;
        m.result = 0;
        expect_message_bytes(m, r);
    }};
    t["MessageBody/JT808_0x0001Test.cs::Test2|decode"] = {Kind::decodes, [](const Row& r) {
        auto d = decode_frame_row(r);
        ASSERT_TRUE(d);
        expect_header(d->header, r, 0x0001, "12345678900", 1203);
        const auto* m = as<TerminalResponse>(d->body, r);
        ASSERT_NE(m, nullptr);
        EXPECT_EQ(m->reply_msg_id, 0x0002);
        EXPECT_EQ(m->reply_serial, 1000);
        EXPECT_EQ(m->result, 0);  // Success
    }};
    // Demo13 registers a custom 0x0001 body with an extra WORD `Test=168` after the standard five
    // bytes. We decode the standard part and keep going; the extra bytes are SmallChi-only, so
    // the frame is reproduced by decode -> re-encode of the whole body.
    t["Simples/Demo13.cs::Test2|decode"] = {Kind::decodes, [](const Row& r) {
        auto d = decode_frame_row(r);
        ASSERT_TRUE(d);
        expect_header(d->header, r, 0x0001, "12345678900", 1203);
        EXPECT_EQ(d->header.body_length, 7);
        const auto* m = as<TerminalResponse>(d->body, r);
        ASSERT_NE(m, nullptr);
        EXPECT_EQ(m->reply_msg_id, 0x0002);
        EXPECT_EQ(m->reply_serial, 1000);
        EXPECT_EQ(m->result, 0);
        // Test=168: the two bytes after the standard body.
        const Bytes body = (*d->parsed.frame)->body;
        ASSERT_EQ(body.size(), 7u);
        EXPECT_EQ((body[5] << 8) | body[6], 168);
    }};
    t["Simples/Demo13.cs::Test1|encode"] = {
        Kind::roundtrip,
        [](const Row& r) {
            Parsed p = parse(r);
            ASSERT_TRUE(p.frame && *p.frame);
            const Frame& f = **p.frame;
            // Our TerminalResponse encodes the five standard bytes; Test=168 is appended as the
            // raw trailing WORD SmallChi's custom body adds.
            TerminalResponse m;
            m.reply_serial = 1000;
            m.reply_msg_id = 0x0002;
            Buffer body;
            ASSERT_TRUE(encode_body(m, Dialect::v2013, body));
            ByteWriter(body).u16(168);
            EXPECT_EQ(vec(f.body), body);
            expect_frame_bytes(body, r);
        },
        "Demo13's custom 0x0001 body adds a SmallChi-only WORD field Test=168"};

    // 0x0002 heartbeat, 0x0003 unregister: empty bodies.
    for (const char* key : {"MessageBody/JT808_0x0002Test.cs::Test1|encode",
                            "MessageBody/JT808_0x0002Test.cs::Test4|encode"}) {
        t[key] = {Kind::encodes, [](const Row& r) { expect_message_bytes(Heartbeat{}, r); }};
    }
    t["MessageBody/JT808_0x0002Test.cs::Test2|decode"] = {Kind::decodes, [](const Row& r) {
        auto d = decode_frame_row(r);
        ASSERT_TRUE(d);
        expect_header(d->header, r, 0x0002, "12345678900", 10);
        EXPECT_NE(as<Heartbeat>(d->body, r), nullptr);  // Null(Bodies): nothing to carry
        EXPECT_EQ(d->header.body_length, 0);
    }};
    // Test3's serial 0x007E is escaped on the wire (00 7D 02).
    t["MessageBody/JT808_0x0002Test.cs::Test3|decode"] = {Kind::decodes, [](const Row& r) {
        auto d = decode_frame_row(r);
        ASSERT_TRUE(d);
        expect_header(d->header, r, 0x0002, "40021679287", 43);
        EXPECT_NE(as<Heartbeat>(d->body, r), nullptr);
    }};
    t["MessageBody/JT808_0x0003Test.cs::Test1|encode"] = {Kind::encodes, [](const Row& r) {
        expect_message_bytes(Unregister{}, r);
    }};
    t["MessageBody/JT808_0x0003Test.cs::Test2|decode"] = {Kind::decodes, [](const Row& r) {
        auto d = decode_frame_row(r);
        ASSERT_TRUE(d);
        expect_header(d->header, r, 0x0003, "12345678900", 1);
        EXPECT_NE(as<Unregister>(d->body, r), nullptr);
    }};

    // 0x0005 / 0x8003 resend requests, run by SmallChi with its 2013 default: count is a BYTE.
    t["MessageBody/JT808_0x0005Test.cs::Test1|encode"] = {Kind::encodes, [](const Row& r) {
        TerminalResendRequest m;
        m.first_serial = 1234;
        m.package_ids = {0x0102, 0x0203};
        expect_body_bytes(m, r, Dialect::v2013);
    }};
    t["MessageBody/JT808_0x0005Test.cs::Test2|decode"] = {Kind::decodes, [](const Row& r) {
        auto d = decode_body_row(r);
        ASSERT_TRUE(d);
        const auto* m = as<TerminalResendRequest>(d->body, r);
        ASSERT_NE(m, nullptr);
        EXPECT_EQ(m->first_serial, 1234);
        // AgainPackageData = 01 02 02 03, AgainPackageCount = 2: two WORD package indexes.
        EXPECT_EQ(m->package_ids, (std::vector<std::uint16_t>{0x0102, 0x0203}));
    }};
    t["MessageBody/JT808_0x8003Test.cs::Test1|encode"] = {Kind::encodes, [](const Row& r) {
        PlatformResendRequest m;
        m.first_serial = 1234;
        m.package_ids = {0x0102, 0x0203};
        expect_body_bytes(m, r, Dialect::v2013);
    }};
    t["MessageBody/JT808_0x8003Test.cs::Test2|decode"] = {Kind::decodes, [](const Row& r) {
        auto d = decode_body_row(r);
        ASSERT_TRUE(d);
        const auto* m = as<PlatformResendRequest>(d->body, r);
        ASSERT_NE(m, nullptr);
        EXPECT_EQ(m->first_serial, 1234);
        EXPECT_EQ(m->package_ids, (std::vector<std::uint16_t>{0x0102, 0x0203}));
    }};

    // 0x8001 platform general response.
    t["MessageBody/JT808_0x8001Test.cs::Test1|encode"] = {Kind::encodes, [](const Row& r) {
        PlatformResponse m;
        m.reply_serial = 100;
        m.reply_msg_id = 0x0200;
        m.result = 0;  // succeed
        expect_message_bytes(m, r);
    }};
    t["MessageBody/JT808_0x8001Test.cs::Test2|decode"] = {Kind::decodes, [](const Row& r) {
        auto d = decode_frame_row(r);
        ASSERT_TRUE(d);
        expect_header(d->header, r, 0x8001, "12345678900", 10);
        const auto* m = as<PlatformResponse>(d->body, r);
        ASSERT_NE(m, nullptr);
        EXPECT_EQ(m->reply_msg_id, 0x0200);
        EXPECT_EQ(m->reply_serial, 100);
        EXPECT_EQ(m->result, 0);
    }};

    // 0x8004 server time (2019 message; the body rows run with SmallChi's 2013 default).
    t["MessageBody/JT808_0x8004Test.cs::Test1|encode"] = {Kind::encodes, [](const Row& r) {
        expect_body_bytes(ServerTime{civil(2019, 11, 26, 15, 58, 50)}, r);
    }};
    t["MessageBody/JT808_0x8004Test.cs::Test2|decode"] = {Kind::decodes, [](const Row& r) {
        auto d = decode_body_row(r);
        ASSERT_TRUE(d);
        const auto* m = as<ServerTime>(d->body, r);
        ASSERT_NE(m, nullptr);
        EXPECT_EQ(m->utc, civil(2019, 11, 26, 15, 58, 50));
    }};
    t["Simples/Demo7.cs::Test1|encode"] = {Kind::encodes, [](const Row& r) {
        expect_message_bytes(ServerTime{civil(2019, 12, 2, 10, 10, 10)}, r);
    }};
    t["Simples/Demo7.cs::Test2|decode"] = {Kind::decodes, [](const Row& r) {
        auto d = decode_frame_row(r);
        ASSERT_TRUE(d);
        expect_header(d->header, r, 0x8004, "123456789012", 1);
        EXPECT_EQ(d->header.version, HeaderVersion::v2019);  // VersionFlag
        EXPECT_EQ(d->header.protocol_version, 1);
        const auto* m = as<ServerTime>(d->body, r);
        ASSERT_NE(m, nullptr);
        EXPECT_EQ(m->utc, civil(2019, 12, 2, 10, 10, 10));
    }};

    // 0x8203 manual alarm confirmation.
    t["MessageBody/JT808_0x8203Test.cs::Test1|encode"] = {Kind::encodes, [](const Row& r) {
        expect_body_bytes(AlarmConfirm{5554, 123}, r);
    }};
    t["MessageBody/JT808_0x8203Test.cs::Test2|decode"] = {Kind::decodes, [](const Row& r) {
        auto d = decode_body_row(r);
        ASSERT_TRUE(d);
        const auto* m = as<AlarmConfirm>(d->body, r);
        ASSERT_NE(m, nullptr);
        EXPECT_EQ(m->alarm_serial, 5554);
        EXPECT_EQ(m->alarm_types, 123u);
    }};
}

// Registration, authentication and the header rows.
void registration_and_header(Table& t) {
    // SmallChi's registration values shared by most rows.
    struct RegValues {
        std::uint16_t province = 40;
        std::uint16_t city = 50;
        std::string maker = "1234";
        std::string model;
        std::string terminal_id = "CHI123";
        std::uint8_t plate_color = 1;
        std::string plate = "粤A12345";
    };
    auto expect_registration = [](const Registration& g, const RegValues& v, Dialect dialect,
                                  const Row& r) {
        EXPECT_EQ(g.dialect, dialect) << r.where();
        EXPECT_EQ(g.province, v.province) << r.where();  // AreaID
        EXPECT_EQ(g.city, v.city) << r.where();          // CityOrCountyId
        EXPECT_EQ(text(g.maker), v.maker) << r.where();  // MakerId
        EXPECT_EQ(text(g.model), v.model) << r.where();  // TerminalModel
        EXPECT_EQ(text(g.terminal_id), v.terminal_id) << r.where();
        EXPECT_EQ(g.plate_color, v.plate_color) << r.where();
        EXPECT_EQ(gbk_to_utf8(g.plate), v.plate) << r.where();  // PlateNo
    };
    // Builds our Registration over storage the caller keeps alive.
    struct RegBuild {
        std::vector<std::uint8_t> plate;
        Registration g;
        explicit RegBuild(const RegValues& v) : plate(utf8_to_gbk(v.plate)) {
            g.province = v.province;
            g.city = v.city;
            g.maker = as_bytes(v.maker);
            g.model = as_bytes(v.model);
            g.terminal_id = as_bytes(v.terminal_id);
            g.plate_color = v.plate_color;
            g.plate = plate;
        }
    };

    t["MessageBody/JT808_0x0100Test.cs::Test1|encode"] = {Kind::encodes, [](const Row& r) {
        RegValues v;
        v.model = "smallchi123";
        RegBuild b(v);
        expect_message_bytes(b.g, r);
    }};
    t["MessageBody/JT808_0x0100Test.cs::Test1_1|decode"] = {Kind::decodes, [=](const Row& r) {
        auto d = decode_frame_row(r);
        ASSERT_TRUE(d);
        expect_header(d->header, r, 0x0100, "123456789", 10);
        const auto* g = as<Registration>(d->body, r);
        ASSERT_NE(g, nullptr);
        RegValues v;
        v.model = "smallchi123";
        expect_registration(*g, v, Dialect::v2013, r);
        EXPECT_EQ(d->json["body"]["plate"], "粤A12345");
    }};
    // 2011: the model is BYTE[8]. [S2011] T6 says to pad it with spaces; SmallChi pads with 0x00,
    // so our frame differs from SmallChi's in that one byte (and the check byte). We assert the
    // standard's bytes: SmallChi's frame with body[16] (the model's last byte) = 0x20.
    auto registration_2011_encode = [](const Row& r) {
        RegValues v;
        v.model = "tk12345";
        RegBuild b(v);
        const std::string standard = edited_frame_hex(r, 12, [](std::span<std::uint8_t> body) {
            ASSERT_EQ(body[16], 0x00);
            body[16] = 0x20;
        });
        OutboundHeader h = outbound_for(r, msg_id::kRegister);
        h.dialect = Dialect::v2011;
        Buffer out;
        Buffer scratch;
        ASSERT_TRUE(encode_message(b.g, h, out, scratch));
        EXPECT_EQ(upper_hex(out), standard);
    };
    t["MessageBody/JT808_0x0100Test.cs::Test2011_1|encode"] = {Kind::encodes, registration_2011_encode};
    t["Simples/Demo15.cs::Test1|encode"] = {Kind::encodes, registration_2011_encode};
    // A 33-byte body is the 2011 layout (JT808.md §1.5), with or without a remembered dialect:
    // Demo15 decodes it with a 2013 config and SmallChi still reads the 2011 fields.
    auto registration_2011_decode = [=](const Row& r) {
        auto d = decode_frame_row(r);
        ASSERT_TRUE(d);
        expect_header(d->header, r, 0x0100, "123456789", 10);
        EXPECT_EQ(d->header.body_length, 33);
        const auto* g = as<Registration>(d->body, r);
        ASSERT_NE(g, nullptr);
        RegValues v;
        v.model = "tk12345";
        expect_registration(*g, v, Dialect::v2011, r);
        EXPECT_EQ(dialect_of(d->header, d->body), Dialect::v2011);
    };
    t["MessageBody/JT808_0x0100Test.cs::Test2011_2|decode"] = {Kind::decodes, registration_2011_decode};
    t["Simples/Demo15.cs::Test2|decode"] = {Kind::decodes, registration_2011_decode};

    // 2019: maker BYTE[11] padded at the end; model BYTE[30] "位数不足的前补 0x00" ([S2019] T8:
    // padded at the FRONT); terminal id BYTE[30], padding unspecified, and we pad it like the
    // model (the real 2019 frame of Test2019_4_2 left-pads both). SmallChi pads both at the end,
    // so the expected bytes are SmallChi's with those two fields' padding moved to the front.
    auto registration_2019_encode = [](const RegValues& v) {
        return [v](const Row& r) {
            RegBuild b(v);
            const std::string standard = edited_frame_hex(r, 17, [](std::span<std::uint8_t> body) {
                pad_front(body, 15, 30);  // model
                pad_front(body, 45, 30);  // terminal id
            });
            OutboundHeader h = outbound_for(r, msg_id::kRegister);
            ASSERT_EQ(h.dialect, Dialect::v2019);
            Buffer out;
            Buffer scratch;
            ASSERT_TRUE(encode_message(b.g, h, out, scratch));
            EXPECT_EQ(upper_hex(out), standard);
        };
    };
    {
        RegValues v;
        v.model = "smallchi123";
        t["MessageBody/JT808_0x0100Test.cs::Test2019_1|encode"] = {Kind::encodes,
                                                                   registration_2019_encode(v)};
        RegValues k;
        k.province = 0;
        k.city = 0;
        k.maker = "Koike002";
        k.model = "Koike002";
        k.terminal_id = "Koike002";
        k.plate_color = 2;
        k.plate = "粤A12346";
        t["MessageBody/JT808_0x0100Test.cs::Test2019_4_1|encode"] = {Kind::encodes,
                                                                     registration_2019_encode(k)};
    }
    t["MessageBody/JT808_0x0100Test.cs::Test2019_2|decode"] = {Kind::decodes, [=](const Row& r) {
        auto d = decode_frame_row(r);
        ASSERT_TRUE(d);
        expect_header(d->header, r, 0x0100, "123456789", 10);
        EXPECT_EQ(d->header.version, HeaderVersion::v2019);
        EXPECT_EQ(d->header.protocol_version, 1);
        const auto* g = as<Registration>(d->body, r);
        ASSERT_NE(g, nullptr);
        RegValues v;
        v.model = "smallchi123";
        expect_registration(*g, v, Dialect::v2019, r);
    }};
    // A real 2019 terminal that pads maker, model and id with ASCII '0' at the front. SmallChi
    // asserts after TrimStart('0'); we trim NUL/space only (a '0' may be part of an id, JT808.md
    // §1.5), so the fields come out with their three leading '0's.
    t["MessageBody/JT808_0x0100Test.cs::Test2019_4_2|decode"] = {Kind::decodes, [=](const Row& r) {
        auto d = decode_frame_row(r);
        ASSERT_TRUE(d);
        expect_header(d->header, r, 0x0100, "22222222222", 1);
        EXPECT_EQ(d->header.protocol_version, 1);
        const auto* g = as<Registration>(d->body, r);
        ASSERT_NE(g, nullptr);
        EXPECT_EQ(g->dialect, Dialect::v2019);
        EXPECT_EQ(g->province, 0);
        EXPECT_EQ(g->city, 0);
        EXPECT_EQ(g->plate_color, 2);
        EXPECT_EQ(gbk_to_utf8(g->plate), "粤A12346");
        EXPECT_EQ(text(g->maker), "000Koike002");
        EXPECT_EQ(text(g->model), std::string(22, '0') + "Koike002");
        EXPECT_EQ(text(g->terminal_id), std::string(22, '0') + "Koike002");
    }};

    // 0x0102 authentication.
    t["MessageBody/JT808_0x0102Test.cs::Test1|encode"] = {Kind::encodes, [](const Row& r) {
        Authentication a;
        a.auth_code = as_bytes("45612");
        expect_body_bytes(a, r);
    }};
    t["MessageBody/JT808_0x0102Test.cs::Test2|decode"] = {Kind::decodes, [](const Row& r) {
        auto d = decode_body_row(r);
        ASSERT_TRUE(d);
        const auto* a = as<Authentication>(d->body, r);
        ASSERT_NE(a, nullptr);
        EXPECT_EQ(text(a->auth_code), "45612");
        EXPECT_TRUE(a->imei.empty());
    }};
    t["MessageBody/JT808_0x0102Test.cs::Test2019_1|encode"] = {Kind::encodes, [](const Row& r) {
        Authentication a;
        a.auth_code = as_bytes("45612");
        a.imei = as_bytes("1234567890abcde");
        a.software_version = as_bytes("v2.0.0");
        expect_body_bytes(a, r, Dialect::v2019);
    }};
    t["MessageBody/JT808_0x0102Test.cs::Test2019_2|decode"] = {Kind::decodes, [](const Row& r) {
        auto d = decode_body_row(r);
        ASSERT_TRUE(d);
        const auto* a = as<Authentication>(d->body, r);
        ASSERT_NE(a, nullptr);
        EXPECT_EQ(a->auth_code.size(), 5u);  // CodeLength
        EXPECT_EQ(text(a->auth_code), "45612");
        EXPECT_EQ(text(a->imei), "1234567890abcde");
        EXPECT_EQ(text(a->software_version), "v2.0.0");
    }};
    t["MessageBody/JT808_0x0102Test.cs::Test3|encode"] = {Kind::encodes, [](const Row& r) {
        Authentication a;
        a.auth_code = as_bytes("456121111");
        expect_message_bytes(a, r);
    }};
    t["MessageBody/JT808_0x0102Test.cs::Test4|decode"] = {Kind::decodes, [](const Row& r) {
        auto d = decode_frame_row(r);
        ASSERT_TRUE(d);
        expect_header(d->header, r, 0x0102, "12345678900", 12345);
        const auto* a = as<Authentication>(d->body, r);
        ASSERT_NE(a, nullptr);
        EXPECT_EQ(text(a->auth_code), "456121111");
    }};

    // Header-only rows: parse_header on the bytes; encode through encode_frame with a body of
    // the declared length and compare the header part of the un-escaped frame.
    auto header_bytes = [](const OutboundHeader& h, std::size_t body_len) {
        Buffer out;
        const std::vector<std::uint8_t> body(body_len, 0x00);
        EXPECT_TRUE(encode_frame(h, body, out));
        std::vector<std::uint8_t> f = unescape(out);
        f.resize(f.size() - body_len - 1);
        return upper_hex(f);
    };
    t["JT808HeaderTest.cs::JT808Header_2019Test1|encode"] = {Kind::encodes, [=](const Row& r) {
        // 0x64FF: version flag, sub-package flag, encryption bit 10 (RSA), length 255; package
        // total/index 0/0 as SmallChi wrote them.
        OutboundHeader h;
        h.msg_id = 0x0102;
        h.dialect = Dialect::v2019;
        h.protocol_version = 2;
        h.phone = *PhoneNumber::from_digits("13812345678");
        h.serial = 135;
        h.package = PackageInfo{0, 0};
        h.encryption = 1;
        EXPECT_EQ(header_bytes(h, 255), r.hex);
    }};
    t["JT808HeaderTest.cs::JT808Header_2019Test2|decode"] = {Kind::decodes, [](const Row& r) {
        const auto bytes = hex_bytes(r.hex);
        auto h = parse_header(bytes);
        ASSERT_TRUE(h) << h.error().message();
        EXPECT_EQ(h->msg_id, 0x0102);
        EXPECT_EQ(h->serial, 135);  // MsgNum
        EXPECT_EQ(h->protocol_version, 2);
        EXPECT_EQ(h->phone.key(), "13812345678");
        EXPECT_EQ(h->phone.digits(), "00000000013812345678");
        EXPECT_TRUE(h->package.has_value());               // IsPackage
        EXPECT_EQ(h->version, HeaderVersion::v2019);       // VersionFlag
        EXPECT_EQ(h->body_length, 255);                    // DataLength
        EXPECT_EQ(h->encryption, 1);                       // bit 10 (not asserted by SmallChi)
        EXPECT_EQ(h->size(), 21u);
    }};
    auto header_2013_encode = [=](const Row& r) {
        OutboundHeader h;
        h.msg_id = 0x0102;
        h.phone = *PhoneNumber::from_digits("13812345678");
        h.serial = 135;
        EXPECT_EQ(header_bytes(h, 5), r.hex);
    };
    auto header_2013_decode = [](const Row& r) {
        const auto bytes = hex_bytes(r.hex);
        auto h = parse_header(bytes);
        ASSERT_TRUE(h) << h.error().message();
        EXPECT_EQ(h->msg_id, 0x0102);
        EXPECT_EQ(h->serial, 135);
        EXPECT_EQ(h->phone.key(), "13812345678");
        EXPECT_FALSE(h->package.has_value());
        EXPECT_EQ(h->version, HeaderVersion::v2013);
        EXPECT_EQ(h->body_length, 5);
        EXPECT_EQ(h->size(), 12u);
    };
    t["JT808HeaderTest.cs::Test1|encode"] = {Kind::encodes, header_2013_encode};
    t["JT808HeaderTest.cs::Test5|encode"] = {Kind::encodes, header_2013_encode};
    t["JT808HeaderTest.cs::Test1_2|decode"] = {Kind::decodes, header_2013_decode};
    t["JT808HeaderTest.cs::Test5_2|decode"] = {Kind::decodes, header_2013_decode};
}

// 0x0104 parameter query response, 0x0800/0x0801 multimedia, 0x0900 pass-through: uplink
// messages the platform never sends, so there is no body encoder. Their encode rows build the
// body from SmallChi's values with ByteWriter and check our frame encoder (header, XOR, escaping)
// byte for byte.
void uplink_media_and_parameters(Table& t) {
    // 0x0104 items as (id, value) pairs, in order.
    auto params_of = [](const ParameterQueryResponse& p) {
        std::vector<std::pair<std::uint32_t, std::vector<std::uint8_t>>> out;
        ParameterIterator it(p.items);
        while (auto v = it.next()) out.emplace_back(v->id, vec(v->value));
        EXPECT_TRUE(it.ok());
        return out;
    };
    auto param_body = [](std::uint16_t reply, const std::vector<Parameter>& ps) {
        Buffer b;
        ByteWriter w(b);
        w.u16(reply);
        w.u8(static_cast<std::uint8_t>(ps.size()));
        for (const Parameter& p : ps) {
            w.u32(p.id);
            w.u8(static_cast<std::uint8_t>(p.value.size()));
            w.bytes(Bytes{p.value});
        }
        return b;
    };
    t["MessageBody/JT808_0x0104Test.cs::Test1|encode"] = {Kind::encodes, [=](const Row& r) {
        expect_frame_bytes(param_body(20, {Parameter::dword(0x0001, 10)}), r);
    }};
    t["MessageBody/JT808_0x0104Test.cs::Test1_1|decode"] = {Kind::decodes, [=](const Row& r) {
        auto d = decode_frame_row(r);
        ASSERT_TRUE(d);
        expect_header(d->header, r, 0x0104, "123456789", 10);
        const auto* p = as<ParameterQueryResponse>(d->body, r);
        ASSERT_NE(p, nullptr);
        EXPECT_EQ(p->reply_serial, 20);  // MsgNum
        EXPECT_EQ(p->count, 1);          // AnswerParamsCount
        const auto items = params_of(*p);
        ASSERT_EQ(items.size(), 1u);
        EXPECT_EQ(items[0].first, 0x0001u);                        // ParamId
        EXPECT_EQ(items[0].second, Parameter::dword(1, 10).value);  // ParamLength=4, ParamValue=10
    }};
    t["MessageBody/JT808_0x0104Test.cs::Test2|encode"] = {Kind::encodes, [=](const Row& r) {
        expect_frame_bytes(param_body(20, {Parameter::dword(0x0001, 10),
                                           Parameter::string(0x0013, "www.baidu.com")}),
                           r);
    }};
    t["MessageBody/JT808_0x0104Test.cs::Test2_1|decode"] = {Kind::decodes, [=](const Row& r) {
        auto d = decode_frame_row(r);
        ASSERT_TRUE(d);
        expect_header(d->header, r, 0x0104, "123456789", 10);
        const auto* p = as<ParameterQueryResponse>(d->body, r);
        ASSERT_NE(p, nullptr);
        EXPECT_EQ(p->reply_serial, 20);
        EXPECT_EQ(p->count, 2);
        const auto items = params_of(*p);
        ASSERT_EQ(items.size(), 2u);
        EXPECT_EQ(items[0].first, 0x0001u);
        EXPECT_EQ(items[0].second, Parameter::dword(1, 10).value);
        EXPECT_EQ(items[1].first, 0x0013u);
        EXPECT_EQ(items[1].second, bytes_of("www.baidu.com"));
    }};
    // A real terminal's answer with one custom parameter 0x0077 of 190 bytes. SmallChi has no
    // formatter for 0x0077 (Null(ParamList)); we keep it as one raw item.
    t["MessageBody/JT808_0x0104Test.cs::Test2_2|decode"] = {Kind::decodes, [=](const Row& r) {
        auto d = decode_frame_row(r);
        ASSERT_TRUE(d);
        expect_header(d->header, r, 0x0104, "40524580395", 0x03D8);
        const auto* p = as<ParameterQueryResponse>(d->body, r);
        ASSERT_NE(p, nullptr);
        EXPECT_EQ(p->reply_serial, 0x0002);
        EXPECT_EQ(p->count, 1);
        const auto items = params_of(*p);
        ASSERT_EQ(items.size(), 1u);
        EXPECT_EQ(items[0].first, 0x0077u);
        EXPECT_EQ(items[0].second.size(), 190u);
    }};
    // MergerTest: a real terminal's 0x0104 in two sub-packages. Each fragment parses on its own
    // (the merge is in the test further down).
    auto merger_fragment = [](std::uint16_t serial, std::uint16_t index, std::uint16_t len) {
        return [=](const Row& r) {
            Parsed p = parse(r);
            ASSERT_TRUE(p.frame);
            ASSERT_TRUE(*p.frame) << p.frame->error().message();
            const Header& h = (*p.frame)->header;
            expect_header(h, r, 0x0104, "11275400381", serial);
            ASSERT_TRUE(h.package.has_value());
            EXPECT_EQ(h.package->total, 2);
            EXPECT_EQ(h.package->index, index);
            EXPECT_EQ(h.body_length, len);
            EXPECT_EQ((*p.frame)->body.size(), len);
        };
    };
    t["JT808SerializerTest.cs::MergerTest|decode#1"] = {Kind::decodes, merger_fragment(1233, 1, 1008)};
    t["JT808SerializerTest.cs::MergerTest|decode#2"] = {Kind::decodes, merger_fragment(1250, 2, 211)};

    // 0x0800 multimedia event.
    t["MessageBody/JT808_0x0800Test.cs::Test1|encode"] = {Kind::encodes, [](const Row& r) {
        Buffer b;
        ByteWriter w(b);
        w.u32(5569);
        w.u8(0x01);  // MultimediaType
        w.u8(0x02);  // MultimediaCodingFormat
        w.u8(0x01);  // EventItemCoding
        w.u8(0x06);  // ChannelId
        EXPECT_EQ(upper_hex(b), r.hex);
    }};
    t["MessageBody/JT808_0x0800Test.cs::Test2|decode"] = {Kind::decodes, [](const Row& r) {
        auto d = decode_body_row(r);
        ASSERT_TRUE(d);
        const auto* e = as<MultimediaEvent>(d->body, r);
        ASSERT_NE(e, nullptr);
        EXPECT_EQ(e->media_id, 5569u);
        EXPECT_EQ(e->media_type, 0x01);
        EXPECT_EQ(e->format, 0x02);
        EXPECT_EQ(e->event, 0x01);
        EXPECT_EQ(e->channel, 0x06);
    }};

    // 0x0801 multimedia data: event header (2567, image, JPEG, regular_action=1, channel 123).
    auto media_header = [](Buffer& b) {
        ByteWriter w(b);
        w.u32(2567);
        w.u8(0);    // image
        w.u8(0);    // JPEG
        w.u8(1);    // regular_action
        w.u8(123);  // ChannelId
    };
    auto expect_media_header = [](const MultimediaEvent& e, const Row& r) {
        EXPECT_EQ(e.media_id, 2567u) << r.where();
        EXPECT_EQ(e.media_type, 0) << r.where();
        EXPECT_EQ(e.format, 0) << r.where();
        EXPECT_EQ(e.event, 1) << r.where();
        EXPECT_EQ(e.channel, 123) << r.where();
    };
    auto media_location = [] {
        Location l;
        l.alarm = 1;
        l.status = 2;
        l.lat_e6 = 12222222;
        l.lon_e6 = 132444444;
        l.altitude_m = 40;
        l.speed_dkmh = 60;
        l.direction = 0;
        l.time = BcdTime::from_civil(civil(2018, 11, 15, 23, 26, 10));
        return l;
    };
    t["MessageBody/JT808_0x0801Test.cs::Test1|encode"] = {Kind::encodes, [=](const Row& r) {
        Buffer b;
        media_header(b);
        ASSERT_TRUE(encode_body(media_location(), Dialect::v2013, b));  // the 28-byte block
        ByteWriter(b).bytes(Bytes{std::vector<std::uint8_t>{1, 2, 3, 4}});
        EXPECT_EQ(upper_hex(b), r.hex);
    }};
    t["MessageBody/JT808_0x0801Test.cs::Test2|decode"] = {Kind::decodes, [=](const Row& r) {
        auto d = decode_body_row(r);
        ASSERT_TRUE(d);
        const auto* m = as<MultimediaData>(d->body, r);
        ASSERT_NE(m, nullptr);
        expect_media_header(m->event, r);
        ASSERT_TRUE(m->location.has_value());
        const Location want = media_location();
        EXPECT_EQ(m->location->alarm, want.alarm);
        EXPECT_EQ(m->location->status, want.status);
        EXPECT_EQ(m->location->lat_e6, want.lat_e6);
        EXPECT_EQ(m->location->lon_e6, want.lon_e6);
        EXPECT_EQ(m->location->altitude_m, 40);
        EXPECT_EQ(m->location->speed_dkmh, 60);
        expect_time(m->location->time, civil(2018, 11, 15, 23, 26, 10), r);
        EXPECT_EQ(vec(m->data), (std::vector<std::uint8_t>{1, 2, 3, 4}));
    }};
    // SmallChi's 2011 0x0801 has no location block. ([S2011] T66 has none either, but puts a
    // total-packages DWORD and a package-id DWORD before the data, which SmallChi omits; we read
    // the 2013 layout, find no room for a location and keep the rest as data.)
    t["MessageBody/JT808_0x0801Test.cs::Test2011_1|encode"] = {Kind::encodes, [=](const Row& r) {
        Buffer b;
        media_header(b);
        ByteWriter(b).bytes(Bytes{std::vector<std::uint8_t>{1, 2, 3, 4}});
        EXPECT_EQ(upper_hex(b), r.hex);
    }};
    t["MessageBody/JT808_0x0801Test.cs::Test2011_2|decode"] = {Kind::decodes, [=](const Row& r) {
        auto d = decode_body_row(r, Dialect::v2011);
        ASSERT_TRUE(d);
        const auto* m = as<MultimediaData>(d->body, r);
        ASSERT_NE(m, nullptr);
        expect_media_header(m->event, r);
        EXPECT_FALSE(m->location.has_value());
        EXPECT_EQ(vec(m->data), (std::vector<std::uint8_t>{1, 2, 3, 4}));  // MultimediaDataPackage
    }};
    // Demo5: one 0x0801 in ten sub-packages, written with SkipCRCCode=true, so every check byte
    // is wrong and a strict parse_frame rejects each fragment. With the check byte recomputed
    // each parses as package i/10 (the merge is in the test further down).
    static constexpr std::uint16_t kDemo5Serials[] = {8241, 8242, 8243, 8245, 8246,
                                                      8247, 8249, 8250, 8251, 8252};
    for (std::uint16_t i = 1; i <= 10; ++i) {
        t["Simples/Demo5.cs::Test1|decode#" + std::to_string(i)] = {Kind::rejected, [i](const Row& r) {
            Parsed p = parse(r);
            ASSERT_TRUE(p.frame);
            ASSERT_FALSE(*p.frame);
            EXPECT_EQ(p.frame->error().code, Errc::bad_checksum) << p.frame->error().message();
            EXPECT_NE(r.frame_info.find("xor=BAD"), std::string::npos);
            p.unescaped.back() = xor_checksum(Bytes{p.unescaped.data(), p.unescaped.size() - 1});
            auto f = parse_frame(p.unescaped);
            ASSERT_TRUE(f) << f.error().message();
            expect_header(f->header, r, 0x0801, "13812345678", kDemo5Serials[i - 1]);
            ASSERT_TRUE(f->header.package.has_value());
            EXPECT_EQ(f->header.package->total, 10);  // PackgeCount
            EXPECT_EQ(f->header.package->index, i);   // PackageIndex
            EXPECT_EQ(f->body.size(), i == 1 ? 804u : i == 10 ? 23u : 768u);
        }};
    }

    // 0x0900 pass-through, kept raw.
    t["MessageBody/JT808_0x0900Test.cs::Test1|encode"] = {Kind::encodes, [](const Row& r) {
        Buffer b;
        ByteWriter w(b);
        w.u8(0x83);  // PassthroughType
        w.bytes(std::string_view("smallchi"));
        expect_frame_bytes(b, r);
    }};
    t["MessageBody/JT808_0x0900Test.cs::Test1_1|decode"] = {Kind::decodes, [](const Row& r) {
        auto d = decode_frame_row(r);
        ASSERT_TRUE(d);
        expect_header(d->header, r, 0x0900, "123456789", 10);
        const auto* p = as<Passthrough>(d->body, r);
        ASSERT_NE(p, nullptr);
        EXPECT_EQ(p->type, 0x83);
        EXPECT_EQ(text(p->data), "smallchi");  // PassthroughContent
    }};
    // SuBiao 0x0900 sub-types 0xF7 (USB status) and 0xF8 (USB device info): the row's hex is the
    // payload after the type byte. It is vendor content we keep raw: as a 0x0900 body behind its
    // type byte it decodes to Passthrough{type, payload} with the payload intact, and that is
    // all there is to re-encode (the SmallChi fields are read below from the raw bytes).
    auto subiao = [](std::uint8_t type) {
        return [type](const Row& r) {
            const auto payload = hex_bytes(r.hex);
            std::vector<std::uint8_t> body{type};
            body.insert(body.end(), payload.begin(), payload.end());
            Header h = header_for(r, msg_id::kPassthrough, body);
            auto b = decode_body(h, body);
            ASSERT_TRUE(b) << b.error().message();
            const auto* p = as<Passthrough>(*b, r);
            ASSERT_NE(p, nullptr);
            EXPECT_EQ(p->type, type);
            EXPECT_EQ(vec(p->data), payload);
            EXPECT_EQ(body_to_json(*b)["type"], type);
            // Re-encoded: the type byte and the payload as kept.
            std::vector<std::uint8_t> again{p->type};
            again.insert(again.end(), p->data.begin(), p->data.end());
            EXPECT_EQ(again, body);
            // USBMessageCount is the payload's first byte, then {USBID, MessageLength, ...}.
            if (type == 0xF7) {
                EXPECT_EQ(payload[0], 2);                   // USBMessageCount
                EXPECT_EQ(payload[1], 1);                   // USBMessages[0].USBID
                EXPECT_EQ(payload[2], 5);                   // MessageLength
                EXPECT_EQ(payload[3], 2);                   // WorkingCondition
                EXPECT_EQ(payload[8], 2);                   // USBMessages[1].USBID
            } else {
                EXPECT_EQ(payload[0], 1);                   // USBMessageCount
                EXPECT_EQ(payload[1], 1);                   // USBID
                EXPECT_EQ(payload[3], 11);                  // CompantNameLength
                EXPECT_EQ(text(Bytes{payload}.subspan(4, 11)), "CompantName");
            }
        };
    };
    const std::string why = "SuBiao 0x0900/0xF7-0xF8 USB payloads are vendor content kept raw";
    t["SuBiao.Test/JT808_0x0900_Test.cs::Test_0xF7_1|encode"] = {Kind::roundtrip, subiao(0xF7), why};
    t["SuBiao.Test/JT808_0x0900_Test.cs::Test_0xF7_2|decode"] = {Kind::decodes, subiao(0xF7)};
    t["SuBiao.Test/JT808_0x0900_Test.cs::Test_0xF8_1|encode"] = {Kind::roundtrip, subiao(0xF8), why};
    t["SuBiao.Test/JT808_0x0900_Test.cs::Test_0xF8_2|decode"] = {Kind::decodes, subiao(0xF8)};
}

// 0x0200 location reports (and 0x0201 / 0x0704, which carry the same block).
void locations(Table& t) {
    // -- Standard bodies ----------------------------------------------------------------------
    auto mileage_oil = [](std::uint16_t oil) {
        return [oil](Location l) {
            l.extras.mileage_100m = 100;
            l.extras.fuel_100ml = oil;
            return l;
        };
    };
    t["MessageBody/JT808_0x0200Test.cs::Test1|encode"] = {Kind::encodes, [=](const Row& r) {
        expect_body_bytes(mileage_oil(55)(make_location({})), r);
    }};
    t["MessageBody/JT808_0x0200Test.cs::Test2|decode"] = {Kind::decodes, [](const Row& r) {
        auto d = decode_body_row(r);
        const Location* l = location_of(d, r);
        ASSERT_NE(l, nullptr);
        expect_basic(*l, {}, r);
        EXPECT_EQ(l->extras.mileage_100m, 100u);  // Mileage
        EXPECT_EQ(l->extras.fuel_100ml, 55);      // Oil
        EXPECT_TRUE(raw_items(*l).empty());
    }};
    t["MessageBody/JT808_0x0200Test.cs::Test5|decode"] = {Kind::decodes, [](const Row& r) {
        auto d = decode_frame_row(r);
        ASSERT_TRUE(d);
        expect_header(d->header, r, 0x0200, "112233445566", 8888);
        EXPECT_EQ(d->header.body_length, 38);       // DataLength
        EXPECT_FALSE(d->header.package.has_value());  // IsPackage, PackageIndex/Count 0
        EXPECT_EQ(d->header.encryption, 0);         // Encrypt=None
        const auto* l = as<Location>(d->body, r);
        ASSERT_NE(l, nullptr);
        expect_basic(*l, {}, r);
        EXPECT_EQ(l->extras.mileage_100m, 100u);
        EXPECT_EQ(l->extras.fuel_100ml, 55);
        EXPECT_EQ(d->json["body"]["extras"]["mileage_km"], 10.0);
        EXPECT_EQ(d->json["body"]["extras"]["fuel_l"], 5.5);
    }};
    t["MessageBody/JT808_0x0200Test.cs::Test6|encode"] = {Kind::encodes, [=](const Row& r) {
        Basic b;
        b.alarm = 300000;
        b.status = 1002222;
        expect_body_bytes(mileage_oil(55)(make_location(b)), r);
    }};
    // Demo1/Demo3/Demo2: serial 126 (0x7E) and oil 125 (0x7D) are escaped on the wire.
    Basic demo;
    demo.time = civil(2018, 10, 15, 10, 10, 10);
    t["Simples/Demo1.cs::Test1|encode"] = {Kind::encodes, [=](const Row& r) {
        expect_message_bytes(mileage_oil(125)(make_location(demo)), r);
    }};
    t["Simples/Demo3.cs::Test1|encode"] = {Kind::encodes, [=](const Row& r) {
        expect_message_bytes(mileage_oil(125)(make_location(demo)), r);
    }};
    t["Simples/Demo2.cs::Test1|decode"] = {Kind::decodes, [=](const Row& r) {
        auto d = decode_frame_row(r);
        ASSERT_TRUE(d);
        expect_header(d->header, r, 0x0200, "123456789012", 126);
        EXPECT_EQ(d->header.body_length, 38);
        EXPECT_FALSE(d->header.package.has_value());
        EXPECT_EQ(d->header.encryption, 0);
        const auto* l = as<Location>(d->body, r);
        ASSERT_NE(l, nullptr);
        expect_basic(*l, demo, r);
        EXPECT_EQ(l->extras.mileage_100m, 100u);
        EXPECT_EQ(l->extras.fuel_100ml, 125);
    }};
    // Every standard 2013 item SmallChi has a formatter for, in id order.
    t["MessageBody/JT808_0x0200Test.cs::Test_all_attcahids|encode"] = {Kind::encodes, [=](const Row& r) {
        Location l = mileage_oil(55)(make_location({}));
        l.extras.recorder_speed_dkmh = 56;                  // Speed
        l.extras.alarm_event_id = 1;                        // EventId
        l.extras.overspeed = OverspeedInfo{1, 1};           // circular_region, AreaId=1
        l.extras.area_crossing = AreaCrossing{1, 1, 1};     // circular_region, 1, direction_out
        l.extras.section_time = SectionTime{2, 34, 1};      // DrivenRouteId, Time, overlength
        l.extras.vehicle_signals = 23;                      // CarSignalStatus
        l.extras.io_status = 244;                           // IOStatus
        l.extras.analog = 0xF2;                             // (in the hex; not in SmallChi's list)
        l.extras.signal_strength = 0x02;                    // WiFiSignalStrength
        l.extras.satellites = 0x05;                         // GNSSCount
        expect_message_bytes(l, r);
    }};

    // -- Hemisphere: SmallChi writes negative coordinates as two's complement Int32 ----------
    // [S2013] T23: latitude/longitude are unsigned DWORD degrees x 10^6; the hemisphere is status
    // bit 2 (south) / bit 3 (west) (JT808.md §1.7). SmallChi sets those bits AND writes the
    // coordinate as a negative Int32 (FF4580F2 for -12222222). We follow the standard: our bytes
    // are SmallChi's with each negative coordinate written as its magnitude; and a body whose
    // latitude or longitude is out of range (as a two's complement value is) is rejected.
    auto signed_encode = [](bool south, bool west) {
        return [=](const Row& r) {
            Basic b;
            b.status = (south ? 0x4u : 0u) | (west ? 0x8u : 0u);
            const Location l = make_location(b);
            EXPECT_EQ(l.lat_signed_e6(), south ? -12222222 : 12222222);
            EXPECT_EQ(l.lon_signed_e6(), west ? -132444444 : 132444444);
            auto smallchi = hex_bytes(r.hex);
            ASSERT_EQ(be(smallchi, 4, 4), b.status);
            const std::uint32_t want_lat = south ? 0xFF4580F2u : 12222222u;
            const std::uint32_t want_lon = west ? 0xF81B0EE4u : 132444444u;
            ASSERT_EQ(be(smallchi, 8, 4), want_lat);
            ASSERT_EQ(be(smallchi, 12, 4), want_lon);
            Buffer standard_bytes;
            ByteWriter w(standard_bytes);
            w.bytes(Bytes{smallchi}.first(8));
            w.u32(12222222);
            w.u32(132444444);
            w.bytes(Bytes{smallchi}.subspan(16));
            Buffer out;
            ASSERT_TRUE(encode_body(l, Dialect::v2013, out));
            EXPECT_EQ(upper_hex(out), upper_hex(standard_bytes));
        };
    };
    auto signed_decode = [](const char* field) {
        return [field](const Row& r) {
            const auto body = hex_bytes(r.hex);
            const Header h = header_for(r, msg_id::kLocation, body);
            auto d = decode_body(h, body);
            ASSERT_FALSE(d) << "a two's complement coordinate is out of range";
            EXPECT_EQ(d.error().code, Errc::bad_field);
            EXPECT_NE(std::string(d.error().what).find(field), std::string::npos)
                << d.error().message();
            // SmallChi's Lat/Lng are the same bytes read as Int32.
            EXPECT_EQ(static_cast<std::int32_t>(be(body, 8, 4)),
                      be(body, 8, 4) > 90'000'000 ? -12222222 : 12222222);
        };
    };
    t["MessageBody/JT808_0x0200Test.cs::LatLngTest1_1|encode"] = {Kind::encodes, signed_encode(true, true)};
    t["MessageBody/JT808_0x0200Test.cs::LatLngTest2_1|encode"] = {Kind::encodes, signed_encode(true, true)};
    t["MessageBody/JT808_0x0200Test.cs::LatTest1_1|encode"] = {Kind::encodes, signed_encode(true, false)};
    t["MessageBody/JT808_0x0200Test.cs::LatTest3_1|encode"] = {Kind::encodes, signed_encode(true, false)};
    t["MessageBody/JT808_0x0200Test.cs::LngTest1_1|encode"] = {Kind::encodes, signed_encode(false, true)};
    t["MessageBody/JT808_0x0200Test.cs::LngTest3_1|encode"] = {Kind::encodes, signed_encode(false, true)};
    t["MessageBody/JT808_0x0200Test.cs::LatLngTest1_2|decode"] = {Kind::rejected, signed_decode("latitude")};
    t["MessageBody/JT808_0x0200Test.cs::LatLngTest2_2|decode"] = {Kind::rejected, signed_decode("latitude")};
    t["MessageBody/JT808_0x0200Test.cs::LatTest1_2|decode"] = {Kind::rejected, signed_decode("latitude")};
    t["MessageBody/JT808_0x0200Test.cs::LatTest3_2|decode"] = {Kind::rejected, signed_decode("latitude")};
    t["MessageBody/JT808_0x0200Test.cs::LngTest1_2|decode"] = {Kind::rejected, signed_decode("longitude")};
    t["MessageBody/JT808_0x0200Test.cs::LngTest3_2|decode"] = {Kind::rejected, signed_decode("longitude")};

    // -- Items outside JT/T 808's standard set: kept raw -------------------------------------
    // SmallChi's custom 0x61 {Age DWORD, Gender BYTE, UserName}.
    t["MessageBody/JT808_0x0200Test.cs::Test3|encode"] = {Kind::encodes, [=](const Row& r) {
        Buffer vendor;
        Buffer value;
        ByteWriter w(value);
        w.u32(18);
        w.u8(1);
        w.bytes(std::string_view("smallchi"));
        put_item(vendor, 0x61, value);
        LocationWithItems l(mileage_oil(55)(make_location({})), vendor);
        expect_body_bytes(l.location, r);
    }};
    t["MessageBody/JT808_0x0200Test.cs::Test4|decode"] = {Kind::decodes, [](const Row& r) {
        auto d = decode_body_row(r);
        const Location* l = location_of(d, r);
        ASSERT_NE(l, nullptr);
        expect_basic(*l, {}, r);
        EXPECT_EQ(l->extras.mileage_100m, 100u);
        EXPECT_EQ(l->extras.fuel_100ml, 55);
        const auto v = raw_value(*l, 0x61);
        ASSERT_EQ(v.size(), 13u);
        EXPECT_EQ(be(v, 0, 4), 18u);                            // Age
        EXPECT_EQ(v[4], 1);                                     // Gender
        EXPECT_EQ(text(Bytes{v}.subspan(5)), "smallchi");       // UserName
    }};
    // JT/T 1078 video alarm items 0x14-0x18 (not JT/T 808 items: raw for us).
    auto video_items = [](Buffer& b, const std::vector<std::pair<std::uint8_t, std::uint32_t>>& dwords) {
        for (const auto& [id, v] : dwords) {
            Buffer value;
            ByteWriter(value).u32(v);
            put_item(b, id, value);
        }
    };
    t["JT1078.Test/JT808LocationAttach.cs::Test1|encode"] = {Kind::encodes, [=](const Row& r) {
        Buffer vendor;
        video_items(vendor, {{0x14, 100}, {0x15, 100}, {0x16, 100}});
        Buffer v17;
        ByteWriter(v17).u16(100);  // StorageFaultAlarmStatus
        put_item(vendor, 0x17, v17);
        Buffer v18;
        ByteWriter w18(v18);
        w18.u16(100);  // AbnormalDrivingBehaviorAlarmType
        w18.u8(88);    // FatigueLevel
        put_item(vendor, 0x18, v18);
        LocationWithItems l(make_location({}), vendor);
        expect_body_bytes(l.location, r);
    }};
    t["JT1078.Test/JT808LocationAttach.cs::Test2|decode"] = {Kind::decodes, [](const Row& r) {
        auto d = decode_body_row(r);
        const Location* l = location_of(d, r);
        ASSERT_NE(l, nullptr);
        expect_basic(*l, {}, r);
        EXPECT_EQ(be(raw_value(*l, 0x14), 0, 4), 100u);  // VideoRelateAlarm
        EXPECT_EQ(be(raw_value(*l, 0x15), 0, 4), 100u);  // VideoSignalLoseAlarmStatus
        EXPECT_EQ(be(raw_value(*l, 0x16), 0, 4), 100u);  // VideoSignalOcclusionAlarmStatus
        EXPECT_EQ(be(raw_value(*l, 0x17), 0, 2), 100u);  // StorageFaultAlarmStatus
        EXPECT_EQ(be(raw_value(*l, 0x18), 0, 2), 100u);  // AbnormalDrivingBehaviorAlarmType
        EXPECT_EQ(raw_value(*l, 0x18).at(2), 88);        // FatigueLevel
    }};
    Basic y2020;
    y2020.time = civil(2020, 1, 31, 20, 20, 20);
    // video_signal_occlusion_alarm | other_video_equipment_fault_alarm = bit 1 | bit 3 = 0x0A.
    t["JT1078.Test/JT808_0x0200Test.cs::Test_0x14_1|encode"] = {Kind::encodes, [=](const Row& r) {
        Buffer vendor;
        video_items(vendor, {{0x14, 0x0A}});
        LocationWithItems l(make_location(y2020), vendor);
        expect_body_bytes(l.location, r);
    }};
    t["JT1078.Test/JT808_0x0200Test.cs::Test_0x14_2|decode"] = {Kind::decodes, [=](const Row& r) {
        auto d = decode_body_row(r);
        const Location* l = location_of(d, r);
        ASSERT_NE(l, nullptr);
        expect_basic(*l, y2020, r);
        EXPECT_EQ(be(raw_value(*l, 0x14), 0, 4), 0x0Au);
    }};
    t["JT1078.Test/JT808_0x0200Test.cs::Test_0x15_1|encode"] = {Kind::encodes, [=](const Row& r) {
        Buffer vendor;
        video_items(vendor, {{0x15, 3}});
        LocationWithItems l(make_location(y2020), vendor);
        expect_body_bytes(l.location, r);
    }};
    t["JT1078.Test/JT808_0x0200Test.cs::Test_0x15_2|decode"] = {Kind::decodes, [=](const Row& r) {
        auto d = decode_body_row(r);
        const Location* l = location_of(d, r);
        ASSERT_NE(l, nullptr);
        expect_basic(*l, y2020, r);
        EXPECT_EQ(be(raw_value(*l, 0x15), 0, 4), 3u);  // VideoSignalLoseAlarmStatus
    }};
    // 0x07 satellite status (SmallChi extension, run as 2019 for the decode): per system a count
    // BYTE and {No BYTE, Elevation BYTE, AzimuthAngle WORD} per satellite, in the order BeiDou,
    // GPS, GLONASS, Galileo.
    Basic y2021;
    y2021.time = civil(2021, 5, 28, 18, 10, 10);
    using Sat = std::array<int, 3>;
    const std::vector<std::vector<Sat>> systems = {
        {{1, 3, 2}, {2, 4, 5}, {3, 5, 6}, {4, 5, 6}},  // BeiDou
        {{2, 4, 5}, {3, 5, 6}, {4, 5, 6}},             // GPS
        {{3, 5, 6}, {4, 5, 6}},                        // GLONASS
        {{4, 5, 6}},                                   // Galileo
    };
    t["MessageBody/JT808_0x0200Test.cs::Test_JT808_0x0200_0x07_1|encode"] = {Kind::encodes, [=](const Row& r) {
        Buffer value;
        ByteWriter w(value);
        for (const auto& sats : systems) {
            w.u8(static_cast<std::uint8_t>(sats.size()));
            for (const Sat& s : sats) {
                w.u8(static_cast<std::uint8_t>(s[0]));
                w.u8(static_cast<std::uint8_t>(s[1]));
                w.u16(static_cast<std::uint16_t>(s[2]));
            }
        }
        Buffer vendor;
        put_item(vendor, 0x07, value);
        LocationWithItems l(make_location(y2021), vendor);
        expect_body_bytes(l.location, r);
    }};
    t["MessageBody/JT808_0x0200Test.cs::Test_JT808_0x0200_0x07_2|decode"] = {Kind::decodes, [=](const Row& r) {
        auto d = decode_body_row(r);
        const Location* l = location_of(d, r);
        ASSERT_NE(l, nullptr);
        expect_basic(*l, y2021, r);
        const auto v = raw_value(*l, 0x07);
        EXPECT_EQ(v.size(), 4u + (4 * 4 + 4 * 3 + 4 * 2 + 4));  // AttachInfoLength
        std::size_t off = 0;
        std::vector<int> counts;
        while (off < v.size()) {
            counts.push_back(v[off]);
            off += 1 + 4u * v[off];
        }
        EXPECT_EQ(counts, (std::vector<int>{4, 3, 2, 1}));  // BeiDou, GPS, GLONASS, Single(Galileo)
    }};

    // -- Demo10: SmallChi's custom attach formatters --------------------------------------------
    // 0xDF is a standard {id, len=66} item; 0xDE has a WORD id (00 DE), 0xDD a WORD id and a WORD
    // length (00 DD 00 42), 0x62 a DWORD length (62 00000100). Under the standard's {id BYTE,
    // len BYTE} framing those read differently (e.g. 00 DE = item 0x00 of 222 bytes, overrunning
    // the body), and we keep all of it raw, either as items or as trailing bytes: nothing is
    // lost and the body re-encodes to the same bytes.
    Basic d10;
    d10.time = civil(2021, 8, 30, 18, 17, 10);
    Basic d10_may = d10;
    d10_may.time = civil(2021, 5, 31, 18, 17, 10);
    auto demo10_decode = [=](const Basic& b, const std::function<void(const Location&)>& rest) {
        return [=](const Row& r) {
            auto d = decode_frame_row(r);
            ASSERT_TRUE(d);
            expect_header(d->header, r, 0x0200, "1122334455", 1);
            const auto* l = as<Location>(d->body, r);
            ASSERT_NE(l, nullptr);
            expect_basic(*l, b, r);
            EXPECT_EQ(l->extras.mileage_100m, 100u);
            EXPECT_EQ(l->extras.fuel_100ml, 55);
            rest(*l);
            // Kept raw means kept whole: re-encoding gives the body back.
            Buffer out;
            ASSERT_TRUE(encode_body(*l, Dialect::v2013, out));
            EXPECT_EQ(vec(out), vec((*d->parsed.frame)->body));
        };
    };
    const std::vector<std::uint8_t> zeros66(66, 0);
    t["Simples/Demo10.cs::Test2_1_1|decode"] = {Kind::decodes, demo10_decode(d10, [=](const Location& l) {
        EXPECT_EQ(raw_items(l), (RawItems{{0xDF, zeros66}}));  // AttachInfoId, TestValue[66]
        EXPECT_TRUE(l.extras.trailing.empty());
    })};
    t["Simples/Demo10.cs::Test2_2_1|decode"] = {Kind::decodes, demo10_decode(d10, [](const Location& l) {
        // 00 DE 42 <66 zeros>: item 0x00 declaring 222 bytes, 67 present.
        EXPECT_TRUE(raw_items(l).empty());
        ASSERT_EQ(l.extras.trailing.size(), 2u + 1u + 66u);
        EXPECT_EQ(vec(l.extras.trailing.first(3)), (std::vector<std::uint8_t>{0x00, 0xDE, 0x42}));
    })};
    t["Simples/Demo10.cs::Test2_2_2|decode"] = {Kind::decodes, demo10_decode(d10, [](const Location& l) {
        // 00 DD 00 42 <66 zeros>: item 0x00 declaring 221 bytes, 68 present.
        EXPECT_TRUE(raw_items(l).empty());
        ASSERT_EQ(l.extras.trailing.size(), 4u + 66u);
        EXPECT_EQ(vec(l.extras.trailing.first(4)), (std::vector<std::uint8_t>{0x00, 0xDD, 0x00, 0x42}));
    })};
    t["Simples/Demo10.cs::Test2_1_4|decode"] = {Kind::decodes, demo10_decode(d10_may, [](const Location& l) {
        // 62 00 00 01 00 <255 zeros>: item 0x62 of 0 bytes, item 0x00 of 1 byte, then 128 empty
        // items 0x00. SmallChi's AttachInfoLength=256 is the DWORD 00000100.
        const RawItems items = raw_items(l);
        ASSERT_EQ(items.size(), 2u + 128u);
        EXPECT_EQ(items[0], (std::pair<std::uint8_t, std::vector<std::uint8_t>>{0x62, {}}));
        EXPECT_EQ(items[1], (std::pair<std::uint8_t, std::vector<std::uint8_t>>{0x00, {0x00}}));
        EXPECT_TRUE(l.extras.trailing.empty());
    })};
    t["Simples/Demo10.cs::Test_Mix_2|decode"] = {Kind::decodes, demo10_decode(d10, [=](const Location& l) {
        // After DF (standard) the custom DE/DD/62 forms read as item 0x00 of 222 bytes and
        // 88 empty items; then the standard-framed unknown items SmallChi lists.
        const RawItems items = raw_items(l);
        ASSERT_GE(items.size(), 4u);
        EXPECT_EQ(items.front(), (std::pair<std::uint8_t, std::vector<std::uint8_t>>{0xDF, zeros66}));
        const RawItems tail(items.end() - 3, items.end());
        EXPECT_EQ(tail, (RawItems{{0xCA, {0xFF}}, {0xCB, {0xFF, 0xFE}}, {0xCD, {0xFF, 0xFE}}}));
        EXPECT_TRUE(l.extras.trailing.empty());  // Empty(ExceptionLocationAttachOriginalData)
    })};
    t["Simples/Demo10.cs::Test_Repeat_2|decode"] = {Kind::decodes, demo10_decode(d10, [=](const Location& l) {
        // A repeated id: both copies kept, in order (SmallChi keeps the second as "exception").
        EXPECT_EQ(raw_items(l), (RawItems{{0xDF, zeros66}, {0xDF, {0xFF}}, {0xCB, {0xFF, 0xFE}}}));
    })};
    t["Simples/Demo10.cs::Test1_1_1|encode"] = {Kind::encodes, [=](const Row& r) {
        Buffer vendor;
        put_item(vendor, 0xDF, zeros66);
        LocationWithItems l(mileage_oil(55)(make_location(d10)), vendor);
        OutboundHeader h = outbound_for(r, msg_id::kLocation);
        Buffer out;
        Buffer scratch;
        ASSERT_TRUE(encode_message(l.location, h, out, scratch));
        EXPECT_EQ(upper_hex(out), r.hex);
    }};
    t["Simples/Demo10.cs::Test_Repeat_1|encode"] = {Kind::encodes, [=](const Row& r) {
        Buffer vendor;
        put_item(vendor, 0xDF, zeros66);
        put_item(vendor, 0xDF, std::vector<std::uint8_t>{0xFF});
        put_item(vendor, 0xCB, std::vector<std::uint8_t>{0xFF, 0xFE});
        LocationWithItems l(mileage_oil(55)(make_location(d10)), vendor);
        OutboundHeader h = outbound_for(r, msg_id::kLocation);
        Buffer out;
        Buffer scratch;
        ASSERT_TRUE(encode_message(l.location, h, out, scratch));
        EXPECT_EQ(upper_hex(out), r.hex);
    }};
    const std::string custom_widths =
        "SmallChi custom attach formatters with a WORD id or WORD/DWORD length (not {BYTE, BYTE})";
    auto frame_roundtrip = [](const Row& r) {
        auto d = decode_frame_row(r);
        ASSERT_TRUE(d);
        const auto* l = as<Location>(d->body, r);
        ASSERT_NE(l, nullptr);
        OutboundHeader h = outbound_for(r, msg_id::kLocation);
        Buffer out;
        Buffer scratch;
        ASSERT_TRUE(encode_message(*l, h, out, scratch));
        EXPECT_EQ(upper_hex(out), r.hex);
    };
    for (const char* key : {"Simples/Demo10.cs::Test1_1_4|encode", "Simples/Demo10.cs::Test1_2_1|encode",
                            "Simples/Demo10.cs::Test1_2_2|encode", "Simples/Demo10.cs::Test_Mix_1|encode"}) {
        t[key] = {Kind::roundtrip, frame_roundtrip, custom_widths};
    }

    // -- Frames SmallChi wrote with a wrong check byte ------------------------------------------
    // Rejected as they are; with the check byte fixed, SmallChi's assertions about the items
    // hold for our raw/decoded split.
    t["MessageBody/JT808_0x0200Test.cs::Test7|decode"] = {Kind::rejected, [](const Row& r) {
        expect_rejected(r, Errc::bad_checksum);
        auto d = decode_with_fixed_check_byte(r);
        ASSERT_TRUE(d);
        const auto* l = as<Location>(d->body, r);
        ASSERT_NE(l, nullptr);
        EXPECT_EQ(l->extras.mileage_100m, 0x24C7u);
        EXPECT_EQ(l->extras.analog, 0x0B290B29u);
        EXPECT_EQ(l->extras.signal_strength, 0x17);
        EXPECT_EQ(l->extras.satellites, 0x1B);
        const RawItems items = raw_items(*l);
        ASSERT_EQ(items.size(), 3u);
        EXPECT_EQ(items[0].first, 0x00);
        EXPECT_EQ(items[2].first, 0xEB);
        EXPECT_TRUE(l->extras.trailing.empty());
    }};
    t["MessageBody/JT808_0x0200Test.cs::Test8|decode"] = {Kind::rejected, [](const Row& r) {
        expect_rejected(r, Errc::bad_checksum);
        auto d = decode_with_fixed_check_byte(r);
        ASSERT_TRUE(d);
        const auto* l = as<Location>(d->body, r);
        ASSERT_NE(l, nullptr);
        // BasicLocationAttachData.Count=6: 0x01, 0x03, 0x25, 0x2B, 0x30, 0x31.
        EXPECT_EQ(l->extras.decoded.count(), 6u);
        EXPECT_EQ(l->extras.mileage_100m, 0x00131A34u);
        EXPECT_EQ(l->extras.recorder_speed_dkmh, 0);
        EXPECT_EQ(l->extras.vehicle_signals, 0u);
        EXPECT_EQ(l->extras.analog, 0xF0u);
        EXPECT_EQ(l->extras.signal_strength, 0x17);
        EXPECT_EQ(l->extras.satellites, 0x05);
        // UnknownLocationAttachData.Count=0xc: 0x05 and 0x06 with the wrong length for their
        // standard meaning, 0x07, and nine vendor ids 0xE0-0xEE.
        EXPECT_EQ(raw_items(*l).size(), 12u);
        // Single(ExceptionLocationAttachOriginalData): the last item declares 4 bytes, has 2.
        EXPECT_EQ(upper_hex(l->extras.trailing), "F6041450");
    }};
    // GPS51 0xFB: body-length field 47, 53 bytes present.
    t["GPS51.Test/JT808_0x0200_0xfb_Test.cs::Deserialize1|decode"] = {Kind::rejected, [](const Row& r) {
        expect_rejected(r, Errc::bad_length);
        EXPECT_NE(r.frame_info.find("bodylen=47(actual 53!)"), std::string::npos);
    }};

    // -- GPS51 real-device frames: vendor items kept raw; SmallChi's values read from the bytes --
    auto gps51 = [](const char* phone, std::uint16_t serial,
                    const std::function<void(const Location&)>& check) {
        return [=](const Row& r) {
            auto d = decode_frame_row(r);
            ASSERT_TRUE(d);
            expect_header(d->header, r, 0x0200, phone, serial);
            const auto* l = as<Location>(d->body, r);
            ASSERT_NE(l, nullptr);
            check(*l);
            EXPECT_TRUE(d->json["body"]["extras"].contains("raw"));
        };
    };
    t["GPS51.Test/JT808_0x0200_0x51_Test.cs::Deserialize|decode"] = {Kind::decodes, gps51("15866666058", 1393, [](const Location& l) {
        const auto v = raw_value(l, 0x51);  // Temperatures: WORDs
        ASSERT_EQ(v.size(), 8u);
        EXPECT_EQ(be(v, 0, 2), 0x0134u);
        EXPECT_EQ(be(v, 2, 2), 0x011Au);
        EXPECT_EQ(be(v, 4, 2), 0x04F6u);
        EXPECT_EQ(be(v, 6, 2), 0x04F6u);
        EXPECT_EQ(l.extras.mileage_100m, 0xEB88u);
    })};
    t["GPS51.Test/JT808_0x0200_0x52_Test.cs::Deserialize1|decode"] = {Kind::decodes, gps51("41210628003", 563, [](const Location& l) {
        EXPECT_EQ(raw_value(l, 0x52), (std::vector<std::uint8_t>{0x03}));  // Direction
    })};
    t["GPS51.Test/JT808_0x0200_0x58_Test.cs::Deserialize1|decode"] = {Kind::decodes, gps51("13891606109", 3, [](const Location& l) {
        const auto v = raw_value(l, 0x58);  // Humiditys
        std::vector<std::uint32_t> h;
        for (std::size_t i = 0; i + 1 < v.size(); i += 2) h.push_back(be(v, i, 2));
        EXPECT_EQ(h, (std::vector<std::uint32_t>{645, 611, 624, 664, 666, 635, 646, 641}));
    })};
    t["GPS51.Test/JT808_0x0200_0x61_Test.cs::Deserialize1|decode"] = {Kind::decodes, gps51("13808358246", 1088, [](const Location& l) {
        EXPECT_EQ(be(raw_value(l, 0x61), 0, 2), 0x1D74u);  // Volage
    })};
    t["GPS51.Test/JT808_0x0200_0xe1_Test.cs::Deserialize1|decode"] = {Kind::decodes, gps51("18607097013", 3582, [](const Location& l) {
        const auto v = raw_value(l, 0xE1);
        ASSERT_EQ(v.size(), 10u);          // AttachInfoLength
        EXPECT_EQ(be(v, 0, 2), 460u);      // MCC
        EXPECT_EQ(be(v, 2, 2), 0u);        // MNC
        EXPECT_EQ(be(v, 4, 2), 26986u);    // LAC
        EXPECT_EQ(be(v, 6, 4), 140749008u);  // CI
        EXPECT_EQ(l.extras.satellites, 0x39);
    })};
    t["GPS51.Test/JT808_0x0200_0xe2_Test.cs::Deserialize1|decode"] = {Kind::decodes, gps51("860615754295917", 444, [](const Location& l) {
        EXPECT_EQ(text(raw_value(l, 0xE2)), "GB201-GSM-21001-1.1.1");  // Version
    })};
    t["GPS51.Test/JT808_0x0200_0xf1_Test.cs::Deserialize1|decode"] = {Kind::decodes, gps51("11203600878", 2, [](const Location& l) {
        EXPECT_EQ(text(raw_value(l, 0xF1)), "89860402102090977002");  // ICCID
    })};
    t["GPS51.Test/JT808_0x0200_0xfa_Test.cs::Deserialize1|decode"] = {Kind::decodes, gps51("13000011111", 210, [](const Location& l) {
        EXPECT_EQ(be(raw_value(l, 0xFA), 0, 4), 1u);  // Alarm
        EXPECT_EQ(be(raw_value(l, 0x14), 0, 4), 0x80000005u);
    })};

    // -- 0x0201 location query response ---------------------------------------------------------
    t["MessageBody/JT808_0x0201Test.cs::Test1|encode"] = {Kind::encodes, [=](const Row& r) {
        LocationQueryResponse q;
        q.reply_serial = 12345;
        q.location = mileage_oil(55)(make_location({}));
        expect_message_bytes(q, r);
    }};
    t["MessageBody/JT808_0x0201Test.cs::Test2|decode"] = {Kind::decodes, [](const Row& r) {
        auto d = decode_frame_row(r);
        ASSERT_TRUE(d);
        expect_header(d->header, r, 0x0201, "112233445566", 8888);
        const auto* q = as<LocationQueryResponse>(d->body, r);
        ASSERT_NE(q, nullptr);
        EXPECT_EQ(q->reply_serial, 12345);
        expect_basic(q->location, {}, r);
        EXPECT_EQ(q->location.extras.mileage_100m, 100u);
        EXPECT_EQ(q->location.extras.fuel_100ml, 55);
    }};
    // A real GPS51 0x0201 with the 0x54 Wi-Fi item: count, then {MAC[6], signal BYTE}.
    t["GPS51.Test/JT808_0x0200_0x54_Test.cs::Deserialize1|decode"] = {Kind::decodes, [](const Row& r) {
        auto d = decode_frame_row(r);
        ASSERT_TRUE(d);
        expect_header(d->header, r, 0x0201, "35705260207", 51);
        const auto* q = as<LocationQueryResponse>(d->body, r);
        ASSERT_NE(q, nullptr);
        const auto v = raw_value(q->location, 0x54);
        ASSERT_EQ(v.size(), 1u + 5u * 7u);
        EXPECT_EQ(v[0], 5);
        const std::pair<const char*, int> wifi[] = {{"F092B4A22A39", 202}, {"70AF6A1CC981", 201},
                                                    {"8CA6DF48CE12", 200}, {"88403B68E784", 199},
                                                    {"E4FDA120FFF0", 196}};
        for (std::size_t i = 0; i < 5; ++i) {
            EXPECT_EQ(upper_hex(Bytes{v}.subspan(1 + 7 * i, 6)), wifi[i].first);  // WifiMac
            EXPECT_EQ(v[1 + 7 * i + 6], wifi[i].second);                         // SingnalStrength
        }
    }};

    // -- 0x0704 batch ------------------------------------------------------------------------------
    Basic second;
    second.alarm = 2;
    second.status = 1;
    second.lat = 13333333;
    second.lon = 132555555;
    second.altitude = 41;
    second.speed = 54;
    second.direction = 120;
    second.time = civil(2018, 7, 15, 10, 10, 30);
    t["MessageBody/JT808_0x0704Test.cs::Test1|encode"] = {Kind::encodes, [=](const Row& r) {
        Location a = make_location({});
        a.extras.mileage_100m = 100;
        a.extras.fuel_100ml = 55;
        Location b = make_location(second);
        b.extras.mileage_100m = 96;
        b.extras.fuel_100ml = 66;
        const std::vector<Location> items{a, b};
        Buffer body;
        ASSERT_TRUE(encode_location_batch(0, items, Dialect::v2013, body));  // 正常位置批量汇报
        expect_frame_bytes(body, r);
    }};
    t["MessageBody/JT808_0x0704Test.cs::Test2|decode"] = {Kind::decodes, [=](const Row& r) {
        auto d = decode_frame_row(r);
        ASSERT_TRUE(d);
        expect_header(d->header, r, 0x0704, "112233445566", 8888);
        const auto* b = as<LocationBatch>(d->body, r);
        ASSERT_NE(b, nullptr);
        EXPECT_EQ(b->count, 2);
        EXPECT_EQ(b->type, 0);
        LocationBatchIterator it(*b);
        std::vector<Location> got;
        while (auto item = it.next()) {
            ASSERT_TRUE(*item) << item->error().message();
            got.push_back(**item);
        }
        ASSERT_EQ(got.size(), 2u);
        expect_basic(got[0], {}, r);
        EXPECT_EQ(got[0].extras.mileage_100m, 100u);
        EXPECT_EQ(got[0].extras.fuel_100ml, 55);
        expect_basic(got[1], second, r);
        EXPECT_EQ(got[1].extras.mileage_100m, 96u);
        EXPECT_EQ(got[1].extras.fuel_100ml, 66);
    }};
    // A real batch whose body-length field says 473 for 469 bytes, and whose check byte is wrong
    // too; parse_frame checks the check byte first.
    auto bad_batch = [](const Row& r) {
        EXPECT_NE(r.frame_info.find("bodylen=473(actual 469!)"), std::string::npos);
        expect_rejected(r, Errc::bad_checksum);
    };
    t["MessageBody/JT808_0x0704Test.cs::Test4|decode"] = {Kind::rejected, bad_batch};
    t["Simples/Demo11.cs::Test1|decode"] = {Kind::rejected, bad_batch};
}

// "0x0200/attach" rows: one vendor or active-safety item after the standard basic block. Our
// decoder keeps it raw (id + exact value bytes); the SmallChi values are read from those bytes
// where the item's length byte frames them. Encode rows: decode -> re-encode reproduces the body.
void attach_items(Table& t) {
    struct Attach {
        const char* decode_key;  // nullptr when the test has no decode row
        const char* encode_key;
        std::function<void(const Location&)> check;
    };
    const std::string why = "vendor/active-safety item kept raw: decode -> re-encode";
    auto raw_only = [](std::uint8_t id, std::string hex) {
        return [id, hex](const Location& l) {
            EXPECT_EQ(raw_items(l), (RawItems{{id, hex_bytes(hex)}}));
            EXPECT_TRUE(l.extras.trailing.empty());
        };
    };
    // SuBiao/YueBiao alarm items 0x64-0x67: {AlarmId DWORD, FlagState BYTE, ...}; the alarm
    // identification (terminal id "4444444", time 2019-12-10 18:31:00, SN, AttachCount) ends them.
    auto active_safety = [](std::uint8_t id, std::size_t len) {
        return [id, len](const Location& l) {
            const auto v = raw_value(l, id);
            ASSERT_EQ(v.size(), len);           // AttachInfoLength
            EXPECT_EQ(be(v, 0, 4), 1u);         // AlarmId
            EXPECT_EQ(v[4], 12);                // FlagState
            const std::string h = upper_hex(v);
            EXPECT_NE(h.find("34343434343434"), std::string::npos);  // TerminalID "4444444"
            EXPECT_NE(h.find("191211183100"), std::string::npos);    // AlarmTime 2019-12-11 18:31:00
            EXPECT_NE(h.find("1912101831000302"), std::string::npos);  // Time, SN=3, AttachCount=2
        };
    };
    const std::vector<Attach> rows = {
        {"GPS51.Test/JT808_0x0200_0x52_Test.cs::Deserialize|decode",
         "GPS51.Test/JT808_0x0200_0x52_Test.cs::Serializer|encode", raw_only(0x52, "02")},  // Direction=2
        // 0x54 / 0x61: SmallChi's formatters ignore the length byte (0 and 1) and read on;
        // the standard framing gives an item of that length and the rest as trailing bytes.
        {"GPS51.Test/JT808_0x0200_0x54_Test.cs::Deserialize|decode",
         "GPS51.Test/JT808_0x0200_0x54_Test.cs::Serializer|encode",
         [](const Location& l) {
             EXPECT_EQ(raw_items(l), (RawItems{{0x54, {}}}));
             // Count=1, WifiMac=E4FDA120FFF1, SingnalStrength=12.
             EXPECT_EQ(upper_hex(l.extras.trailing), "01E4FDA120FFF10C");
         }},
        {"GPS51.Test/JT808_0x0200_0x58_Test.cs::Deserialize|decode",
         "GPS51.Test/JT808_0x0200_0x58_Test.cs::Serializer|encode",
         raw_only(0x58, "000C0022")},  // Humiditys {12, 34}
        {"GPS51.Test/JT808_0x0200_0x61_Test.cs::Deserialize|decode",
         "GPS51.Test/JT808_0x0200_0x61_Test.cs::Serializer|encode",
         [](const Location& l) {
             EXPECT_EQ(raw_items(l), (RawItems{{0x61, {0x00}}}));
             EXPECT_EQ(upper_hex(l.extras.trailing), "C8");  // Volage = 0x00C8 = 200
         }},
        // SuBiao decode rows declare 0x20 (32) bytes and carry 47 (the encode rows write 0x2F);
        // the standard framing takes 32 and keeps the other 15 as trailing bytes.
        {"SuBiao.Test/JT808_0x0200_0x64_Test.cs::Deserialize|decode",
         "SuBiao.Test/JT808_0x0200_0x64_Test.cs::Serializer|encode",
         [](const Location& l) {
             const auto v = raw_value(l, 0x64);
             ASSERT_EQ(v.size(), 32u);
             EXPECT_EQ(be(v, 0, 4), 1u);  // AlarmId
             EXPECT_EQ(upper_hex(l.extras.trailing), "343434343434191210183100030200");
         }},
        {"YueBiao.Test/JT808_0x0200_0x64_Test.cs::Deserialize|decode",
         "YueBiao.Test/JT808_0x0200_0x64_Test.cs::Serializer|encode", active_safety(0x64, 71)},
        {"SuBiao.Test/JT808_0x0200_0x65_Test.cs::Deserialize|decode",
         "SuBiao.Test/JT808_0x0200_0x65_Test.cs::Serializer|encode",
         [](const Location& l) {
             const auto v = raw_value(l, 0x65);
             ASSERT_EQ(v.size(), 32u);
             EXPECT_EQ(upper_hex(Bytes{v}.subspan(8, 4)), "01020304");  // Retain
             EXPECT_EQ(upper_hex(l.extras.trailing), "343434343434191210183100030200");
         }},
        {"YueBiao.Test/JT808_0x0200_0x65_Test.cs::Deserialize|decode",
         "YueBiao.Test/JT808_0x0200_0x65_Test.cs::Serializer|encode", active_safety(0x65, 71)},
        {"SuBiao.Test/JT808_0x0200_0x66_Test.cs::Deserialize|decode",
         "SuBiao.Test/JT808_0x0200_0x66_Test.cs::Serializer|encode", active_safety(0x66, 59)},
        {"YueBiao.Test/JT808_0x0200_0x66_Test.cs::Deserialize|decode",
         "YueBiao.Test/JT808_0x0200_0x66_Test.cs::Serializer|encode", active_safety(0x66, 85)},
        {"SuBiao.Test/JT808_0x0200_0x67_Test.cs::Deserialize|decode",
         "SuBiao.Test/JT808_0x0200_0x67_Test.cs::Serializer|encode", active_safety(0x67, 41)},
        {"YueBiao.Test/JT808_0x0200_0x67_Test.cs::Deserialize|decode",
         "YueBiao.Test/JT808_0x0200_0x67_Test.cs::Serializer|encode", active_safety(0x67, 65)},
        // GPS51 0xE1 {MCC WORD, MNC WORD, LAC WORD, CI DWORD} (SmallChi's Signal is not sent).
        {"GPS51.Test/JT808_0x0200_0xe1_Test.cs::Deserialize|decode",
         "GPS51.Test/JT808_0x0200_0xe1_Test.cs::Serializer|encode", raw_only(0xE1, "00010002000300000004")},
        {"GPS51.Test/JT808_0x0200_0xe2_Test.cs::Deserialize|decode",
         "GPS51.Test/JT808_0x0200_0xe2_Test.cs::Serializer|encode", raw_only(0xE2, "313233313233")},  // "123123"
        {"GPS51.Test/JT808_0x0200_0xf1_Test.cs::Deserialize|decode",
         "GPS51.Test/JT808_0x0200_0xf1_Test.cs::Serializer|encode", raw_only(0xF1, "313233343536373839")},
        {"GPS51.Test/JT808_0x0200_0xf6_Test.cs::Deserialize|decode",
         "GPS51.Test/JT808_0x0200_0xf6_Test.cs::Serializer|encode", raw_only(0xF6, "3132333435363738")},  // IMEI
        {"GPS51.Test/JT808_0x0200_0xfa_Test.cs::Deserialize|decode",
         "GPS51.Test/JT808_0x0200_0xfa_Test.cs::Serializer|encode", raw_only(0xFA, "000004D2")},  // Alarm=1234
        // 0xFB {PowerPercent BYTE, Power WORD, Status BYTE} = 90, 1234, 3.
        {"GPS51.Test/JT808_0x0200_0xfb_Test.cs::Deserialize|decode",
         "GPS51.Test/JT808_0x0200_0xfb_Test.cs::Serializer|encode", raw_only(0xFB, "5A04D203")},
    };
    for (const Attach& a : rows) {
        t[a.decode_key] = {Kind::decodes, [check = a.check](const Row& r) {
            auto d = decode_body_row(r);
            const Location* l = location_of(d, r);
            ASSERT_NE(l, nullptr);
            expect_basic(*l, {}, r);
            EXPECT_EQ(l->extras.decoded.count(), 0u);
            check(*l);
        }};
        t[a.encode_key] = {Kind::roundtrip, [](const Row& r) { expect_location_roundtrip(r); }, why};
    }
    // 0x51's serializer test writes a standard 0x2B analog item (AD0 = 0x0022, AD1 = 0x000C).
    t["GPS51.Test/JT808_0x0200_0x51_Test.cs::Serializer|encode"] = {Kind::encodes, [](const Row& r) {
        Location l = make_location({});
        l.extras.analog = 0x000C0022;
        expect_body_bytes(l, r);
    }};
}

// 0x0702 driver identity, 0x8100 registration response, 0x8300 text.
void driver_registration_text(Table& t) {
    const core::CivilTime plug = civil(2018, 8, 16, 9, 16, 16);
    t["MessageBody/JT808_0x0702Test.cs::Test1|encode"] = {Kind::encodes, [=](const Row& r) {
        DriverIdentity d;
        d.state = 0x02;  // ic_card_pull_out: state and time only
        d.time = BcdTime::from_civil(plug);
        expect_body_bytes(d, r);
    }};
    t["MessageBody/JT808_0x0702Test.cs::Test1_2|decode"] = {Kind::decodes, [=](const Row& r) {
        auto d = decode_body_row(r);
        ASSERT_TRUE(d);
        const auto* m = as<DriverIdentity>(d->body, r);
        ASSERT_NE(m, nullptr);
        EXPECT_EQ(m->dialect, Dialect::v2013);
        EXPECT_EQ(m->state, 0x02);
        expect_time(m->time, plug, r);
        EXPECT_FALSE(m->ic_result.has_value());
    }};
    t["MessageBody/JT808_0x0702Test.cs::Test2|encode"] = {Kind::encodes, [=](const Row& r) {
        DriverIdentity d;
        d.state = 0x01;  // ic_card_into
        d.time = BcdTime::from_civil(plug);
        d.ic_result = 1;  // read_card_failure_auth: nothing follows
        expect_body_bytes(d, r);
    }};
    t["MessageBody/JT808_0x0702Test.cs::Test2_2|decode"] = {Kind::decodes, [=](const Row& r) {
        auto d = decode_body_row(r);
        ASSERT_TRUE(d);
        const auto* m = as<DriverIdentity>(d->body, r);
        ASSERT_NE(m, nullptr);
        EXPECT_EQ(m->state, 0x01);
        expect_time(m->time, plug, r);
        EXPECT_EQ(m->ic_result, 1);
        EXPECT_TRUE(m->driver_name.empty());
    }};
    // Card in, read OK. "不足补0x00" ([S2013] T75; JT808.md §1.12) with the padding at the end,
    // as SmallChi's own decode rows have it; SmallChi's serializer pads the certificate number
    // (and in 2019 the ID-card number) at the front instead. The expected bytes are SmallChi's
    // with that padding moved to the end.
    auto card_in = [](const core::CivilTime& at, const core::CivilTime& expiry) {
        DriverIdentity d;
        d.state = 0x01;
        d.time = BcdTime::from_civil(at);
        d.ic_result = 0;
        d.driver_name = as_bytes("koike");
        d.certificate_no = as_bytes("qwe123456aaa");  // QualificationCode
        d.issuer = as_bytes("qwertx");                // LicenseIssuing
        d.certificate_expiry = expiry;
        return d;
    };
    // body offsets: state 0, time 1, result 7, name length 8, name 9..13, certificate 14..33,
    // issuer length 34, issuer 35..40, expiry 41..44, 2019 ID card 45..64.
    auto expect_card_in = [](const DriverIdentity& m, const core::CivilTime& at,
                             const core::CivilTime& expiry, const Row& r) {
        EXPECT_EQ(m.state, 0x01) << r.where();
        expect_time(m.time, at, r);
        EXPECT_EQ(m.ic_result, 0) << r.where();  // ic_card_reading_succeeded
        EXPECT_EQ(text(m.driver_name), "koike") << r.where();
        EXPECT_EQ(text(m.certificate_no), "qwe123456aaa") << r.where();
        EXPECT_EQ(text(m.issuer), "qwertx") << r.where();
        EXPECT_EQ(m.certificate_expiry, expiry) << r.where();
    };
    t["MessageBody/JT808_0x0702Test.cs::Test3|encode"] = {Kind::encodes, [=](const Row& r) {
        auto want = hex_bytes(r.hex);
        pad_end(want, 14, 20);
        expect_body_bytes(card_in(plug, civil(2018, 8, 16, 0, 0, 0)), with_hex(r, want));
    }};
    t["MessageBody/JT808_0x0702Test.cs::Test3_1|decode"] = {Kind::decodes, [=](const Row& r) {
        auto d = decode_body_row(r);
        ASSERT_TRUE(d);
        const auto* m = as<DriverIdentity>(d->body, r);
        ASSERT_NE(m, nullptr);
        expect_card_in(*m, plug, civil(2018, 8, 16, 0, 0, 0), r);
    }};
    const core::CivilTime at2019 = civil(2019, 12, 1, 11, 11, 11);
    t["MessageBody/JT808_0x0702Test.cs::Test_2019_1|encode"] = {Kind::encodes, [=](const Row& r) {
        auto want = hex_bytes(r.hex);
        pad_end(want, 14, 20);
        pad_end(want, 45, 20);
        DriverIdentity d = card_in(at2019, civil(2019, 12, 1, 0, 0, 0));
        d.id_card_no = as_bytes("12345678901234567");
        expect_body_bytes(d, with_hex(r, want), Dialect::v2019);
    }};
    t["MessageBody/JT808_0x0702Test.cs::Test_2019_2|decode"] = {Kind::decodes, [=](const Row& r) {
        auto d = decode_body_row(r);
        ASSERT_TRUE(d);
        const auto* m = as<DriverIdentity>(d->body, r);
        ASSERT_NE(m, nullptr);
        EXPECT_EQ(m->dialect, Dialect::v2019);
        expect_card_in(*m, at2019, civil(2019, 12, 1, 0, 0, 0), r);
        EXPECT_EQ(text(m->id_card_no), "12345678901234567");  // DriverIdentityCard
    }};
    // 2019_4/_5 add SmallChi's non-standard trailer FaceMatchValue BYTE + UID[20] (JT808.md
    // §1.12). We read the standard fields (front padding trimmed) and ignore the trailer; we do
    // not send it, so the encode row's standard bytes are SmallChi's without the last 21 bytes
    // and with the padding at the end.
    const core::CivilTime at2021 = civil(2021, 5, 28, 18, 11, 11);
    t["MessageBody/JT808_0x0702Test.cs::Test_2019_4|encode"] = {Kind::encodes, [=](const Row& r) {
        auto want = hex_bytes(r.hex);
        ASSERT_EQ(want.size(), 65u + 21u);
        EXPECT_EQ(want[65], 99);  // FaceMatchValue
        EXPECT_EQ(text(trim_padding(Bytes{want}.subspan(66))), "12345678901234567");  // UID
        want.resize(65);
        pad_end(want, 14, 20);
        pad_end(want, 45, 20);
        DriverIdentity d = card_in(at2021, civil(2021, 5, 28, 0, 0, 0));
        d.id_card_no = as_bytes("12345678901234567");
        expect_body_bytes(d, with_hex(r, want), Dialect::v2019);
    }};
    t["MessageBody/JT808_0x0702Test.cs::Test_2019_5|decode"] = {Kind::decodes, [=](const Row& r) {
        auto d = decode_body_row(r);
        ASSERT_TRUE(d);
        const auto* m = as<DriverIdentity>(d->body, r);
        ASSERT_NE(m, nullptr);
        expect_card_in(*m, at2021, civil(2021, 5, 28, 0, 0, 0), r);
        EXPECT_EQ(text(m->id_card_no), "12345678901234567");
    }};
    // 2011 ([S2011] T64): name, ID card STRING(20), certificate STRING(40), issuer. SmallChi
    // front-pads the two fixed strings; we end-pad them.
    auto driver_2011 = [] {
        DriverIdentity d;
        d.dialect = Dialect::v2011;
        d.driver_name = as_bytes("tk1");
        d.id_card_no = as_bytes("123456789123456789");
        d.certificate_no = as_bytes("qwe123456aaa");
        d.issuer = as_bytes("qwertx");
        return d;
    };
    t["MessageBody/JT808_0x0702Test.cs::Test2011_1|encode"] = {Kind::encodes, [=](const Row& r) {
        auto want = hex_bytes(r.hex);
        pad_end(want, 4, 20);
        pad_end(want, 24, 40);
        expect_body_bytes(driver_2011(), with_hex(r, want), Dialect::v2011);
    }};
    t["MessageBody/JT808_0x0702Test.cs::Test2011_2|decode"] = {Kind::decodes, [](const Row& r) {
        // The first byte (3, a name length) is neither card state, so this is the 2011 layout
        // even without a remembered dialect.
        auto d = decode_body_row(r);
        ASSERT_TRUE(d);
        const auto* m = as<DriverIdentity>(d->body, r);
        ASSERT_NE(m, nullptr);
        EXPECT_EQ(m->dialect, Dialect::v2011);
        EXPECT_EQ(text(m->driver_name), "tk1");                     // DriverUserName
        EXPECT_EQ(text(m->id_card_no), "123456789123456789");       // DriverIdentityCard
        EXPECT_EQ(text(m->certificate_no), "qwe123456aaa");         // QualificationCode
        EXPECT_EQ(text(m->issuer), "qwertx");                       // LicenseIssuing
    }};

    // 0x8100 registration response: the auth code goes out only with result 0.
    auto reg_response = [](std::uint8_t result, std::string code) {
        return RegistrationResponse{100, result, std::move(code)};
    };
    t["MessageBody/JT808_0x8100Test.cs::Test1|encode"] = {Kind::encodes, [=](const Row& r) {
        expect_message_bytes(reg_response(0, "123456"), r);
    }};
    t["MessageBody/JT808_0x8100Test.cs::Test3|encode"] = {Kind::encodes, [=](const Row& r) {
        expect_message_bytes(reg_response(4, "123456"), r);  // terminal_not_database
    }};
    t["MessageBody/JT808_0x8100Test.cs::Test5|encode"] = {Kind::encodes, [=](const Row& r) {
        expect_message_bytes(reg_response(0, "zssdaf23124sfdsc"), r);
    }};
    auto reg_response_decode = [=](std::uint8_t result, std::string code) {
        return [=](const Row& r) {
            auto d = decode_frame_row(r);
            ASSERT_TRUE(d);
            expect_header(d->header, r, 0x8100, "12345678900", 10);
            const auto* m = as<RegistrationResponse>(d->body, r);
            ASSERT_NE(m, nullptr);
            EXPECT_EQ(*m, reg_response(result, code));  // AckMsgNum=100
        };
    };
    t["MessageBody/JT808_0x8100Test.cs::Test2|decode"] = {Kind::decodes, reg_response_decode(0, "123456")};
    t["MessageBody/JT808_0x8100Test.cs::Test4|decode"] = {Kind::decodes, reg_response_decode(4, "")};  // Null(Code)
    t["MessageBody/JT808_0x8100Test.cs::Test6|decode"] = {Kind::decodes, reg_response_decode(0, "zssdaf23124sfdsc")};

    // 0x8300 text: flag 5 = emergency (bit 0) | display (bit 2).
    t["MessageBody/JT808_0x8300Test.cs::Test1|encode"] = {Kind::encodes, [](const Row& r) {
        expect_message_bytes(TextMessage{5, 1, "smallchi 518"}, r);
    }};
    t["MessageBody/JT808_0x8300Test.cs::Test1_2|decode"] = {Kind::decodes, [](const Row& r) {
        auto d = decode_frame_row(r);
        ASSERT_TRUE(d);
        expect_header(d->header, r, 0x8300, "12345678900", 1);
        const auto* m = as<TextMessage>(d->body, r);
        ASSERT_NE(m, nullptr);
        EXPECT_EQ(m->flag, 5);
        EXPECT_EQ(m->text, "smallchi 518");
    }};
    t["MessageBody/JT808_0x8300Test.cs::Test_2019_1|encode"] = {Kind::encodes, [](const Row& r) {
        expect_message_bytes(TextMessage{5, 1, "smallchi 518"}, r);
    }};
    t["MessageBody/JT808_0x8300Test.cs::Test_2019_2|decode"] = {Kind::decodes, [](const Row& r) {
        auto d = decode_frame_row(r);
        ASSERT_TRUE(d);
        expect_header(d->header, r, 0x8300, "12345678900", 1);
        const auto* m = as<TextMessage>(d->body, r);
        ASSERT_NE(m, nullptr);
        EXPECT_EQ(m->flag, 5);
        EXPECT_EQ(m->text_type, 1);  // TextType
        EXPECT_EQ(m->text, "smallchi 518");
    }};
}

// 0x8103 set terminal parameters and 0x8600-0x8606 areas and routes (downlink).
void parameters_and_areas(Table& t) {
    auto params_equal = [](const SetParameters& m, const std::vector<Parameter>& want, const Row& r) {
        ASSERT_EQ(m.params.size(), want.size()) << r.where();
        for (std::size_t i = 0; i < want.size(); ++i) {
            EXPECT_EQ(m.params[i].id, want[i].id) << r.where();        // ParamId
            EXPECT_EQ(m.params[i].value, want[i].value) << r.where();  // ParamLength, ParamValue
        }
    };
    t["MessageBody/JT808_0x8103Test.cs::Test1|encode"] = {Kind::encodes, [](const Row& r) {
        expect_message_bytes(SetParameters{{Parameter::dword(param::kHeartbeatInterval, 10)}}, r);
    }};
    t["MessageBody/JT808_0x8103Test.cs::Test1_1|decode"] = {Kind::decodes, [=](const Row& r) {
        auto d = decode_frame_row(r);
        ASSERT_TRUE(d);
        expect_header(d->header, r, 0x8103, "123456789", 10);
        const auto* m = as<SetParameters>(d->body, r);
        ASSERT_NE(m, nullptr);
        params_equal(*m, {Parameter::dword(0x0001, 10)}, r);
        EXPECT_EQ(d->json["body"]["params"][0]["value"], 10);
    }};
    const std::vector<Parameter> two = {Parameter::dword(0x0001, 10),
                                        Parameter::string(0x0013, "www.baidu.com")};
    t["MessageBody/JT808_0x8103Test.cs::Test2|encode"] = {Kind::encodes, [=](const Row& r) {
        expect_body_bytes(SetParameters{two}, r);
    }};
    t["MessageBody/JT808_0x8103Test.cs::Test2_1|decode"] = {Kind::decodes, [=](const Row& r) {
        auto d = decode_body_row(r);
        ASSERT_TRUE(d);
        const auto* m = as<SetParameters>(d->body, r);
        ASSERT_NE(m, nullptr);
        params_equal(*m, two, r);
    }};
    // JT/T 1078 parameter 0x0075 (audio/video settings), an opaque value to us, written from
    // SmallChi's field values.
    auto av_0075 = [] {
        Buffer v;
        ByteWriter w(v);
        w.u8(3);    // RTS_EncodeMode
        w.u8(5);    // RTS_Resolution
        w.u16(4);   // RTS_KF_Interval
        w.u8(7);    // RTS_Target_FPS
        w.u32(6);   // RTS_Target_CodeRate
        w.u8(8);    // StreamStore_EncodeMode
        w.u8(10);   // StreamStore_Resolution
        w.u16(9);   // StreamStore_KF_Interval
        w.u8(12);   // StreamStore_Target_FPS
        w.u32(11);  // StreamStore_Target_CodeRate
        w.u16(2);   // OSD
        w.u8(1);    // AudioOutputEnabled
        return Parameter{0x0075, v};
    };
    t["MessageBody/JT808_0x8103Test.cs::Test3|encode"] = {Kind::encodes, [=](const Row& r) {
        expect_body_bytes(SetParameters{{av_0075()}}, r);
    }};
    t["MessageBody/JT808_0x8103Test.cs::Test3_1|decode"] = {Kind::decodes, [=](const Row& r) {
        auto d = decode_body_row(r);
        ASSERT_TRUE(d);
        const auto* m = as<SetParameters>(d->body, r);
        ASSERT_NE(m, nullptr);
        params_equal(*m, {av_0075()}, r);
    }};
    // 0x0110 CAN bus ID collection: DWORD interval, then bit 31 channel, bit 30 frame type,
    // bit 29 collection way, bits 28-0 bus id.
    auto can_0110 = [] {
        Buffer v;
        ByteWriter w(v);
        w.u32(1000);                                        // CollectTimeInterval
        w.u32((1u << 31) | (1u << 30) | (0u << 29) | 56789);  // ChannelNo, FrameType, CollectWay, BusId
        return Parameter{0x0110, v};
    };
    t["MessageBody/JT808_0x8103Test.cs::Test4|encode"] = {Kind::encodes, [=](const Row& r) {
        expect_body_bytes(SetParameters{{can_0110()}}, r);
    }};
    t["MessageBody/JT808_0x8103Test.cs::Test4_1|decode"] = {Kind::decodes, [=](const Row& r) {
        auto d = decode_body_row(r);
        ASSERT_TRUE(d);
        const auto* m = as<SetParameters>(d->body, r);
        ASSERT_NE(m, nullptr);
        params_equal(*m, {can_0110()}, r);  // ParamLength=8
    }};
    t["MessageBody/JT808_0x8103Test.cs::Test4_2|decode"] = {Kind::decodes, [=](const Row& r) {
        auto d = decode_frame_row(r);
        ASSERT_TRUE(d);
        expect_header(d->header, r, 0x8103, "13512344321", 12345);
        const auto* m = as<SetParameters>(d->body, r);
        ASSERT_NE(m, nullptr);
        params_equal(*m, {Parameter{0x0110, std::vector<std::uint8_t>(8, 0xFF)}}, r);
    }};
    // JT/T 1078 parameters 0x0075-0x007C. Their values are opaque to us; the decode row checks
    // SmallChi's fields in the bytes, and the encode row re-encodes the decoded parameters.
    t["JT1078.Test/JT808_0x8103CustomId.cs::Test2|decode"] = {Kind::decodes, [=](const Row& r) {
        auto d = decode_frame_row(r);
        ASSERT_TRUE(d);
        expect_header(d->header, r, 0x8103, "123456789", 10);
        const auto* m = as<SetParameters>(d->body, r);
        ASSERT_NE(m, nullptr);
        ASSERT_EQ(m->params.size(), 7u);
        std::vector<std::uint32_t> ids;
        for (const Parameter& p : m->params) ids.push_back(p.id);
        EXPECT_EQ(ids, (std::vector<std::uint32_t>{0x75, 0x76, 0x77, 0x79, 0x7A, 0x7B, 0x7C}));
        EXPECT_EQ(m->params[0], av_0075());
        const auto& v76 = m->params[1].value;  // ParamLength=27
        ASSERT_EQ(v76.size(), 27u);
        EXPECT_EQ(v76[0], 2);  // AVChannelTotal
        EXPECT_EQ(v76[1], 1);  // AudioChannelTotal
        EXPECT_EQ(v76[2], 3);  // VudioChannelTotal
        // AVChannelRefTables[i] = {PhysicalChannelNo, LogicChannelNo, ChannelType, IsConnectCloudPlat}
        for (std::uint8_t i = 0; i < 6; ++i) {
            const std::size_t at = 3u + 4u * i;
            EXPECT_EQ(v76[at + 2], 4 * i);      // ChannelType
            EXPECT_EQ(v76[at + 3], 4 * i + 1);  // IsConnectCloudPlat
            EXPECT_EQ(v76[at + 1], 4 * i + 2);  // LogicChannelNo
            EXPECT_EQ(v76[at + 0], 4 * i + 3);  // PhysicalChannelNo
        }
        const auto& v77 = m->params[2].value;  // ParamLength=43
        ASSERT_EQ(v77.size(), 43u);
        EXPECT_EQ(v77[0], 2);  // NeedSetChannelTotal
        EXPECT_EQ(v77[1], 1);  // LogicChannelNo
        // Each channel's settings are 0x0075's fields without AudioOutputEnabled.
        const std::vector<std::uint8_t> av = av_0075().value;
        EXPECT_EQ(std::vector<std::uint8_t>(v77.begin() + 2, v77.begin() + 22),
                  std::vector<std::uint8_t>(av.begin(), av.end() - 1));
    }};
    t["JT1078.Test/JT808_0x8103CustomId.cs::Test1|encode"] = {
        Kind::roundtrip,
        [](const Row& r) {
            auto d = decode_frame_row(r);
            ASSERT_TRUE(d);
            const auto* m = as<SetParameters>(d->body, r);
            ASSERT_NE(m, nullptr);
            expect_message_bytes(*m, r);
        },
        "JT/T 1078 parameters 0x0076-0x007C are opaque values to us"};

    // -- Areas ---------------------------------------------------------------------------------
    const AreaTimeWindow oct18{BcdTime::from_civil(civil(2018, 10, 18, 0, 0, 12)),
                               BcdTime::from_civil(civil(2018, 10, 19, 0, 0, 12))};
    auto circle = [](std::uint32_t id, std::uint16_t attr) {
        CircleArea a;
        a.id = id;
        a.attributes = attr;  // AreaProperty
        a.center_lat_e6 = 123456789;
        a.center_lon_e6 = 123456789;
        a.radius_m = 200;
        return a;
    };
    // SmallChi's items carry Start/EndTime and speeds whether or not attribute bits 0/1 ask for
    // them, and write them only when the bits do: our optional groups follow the bits.
    auto circles_2013 = [=] {
        SetCircleAreas m;
        m.setting = 1;  // append_region
        CircleArea a = circle(1522, 222);  // 0xDE: speed, no time
        a.speed = AreaSpeedLimit{60, 200, 0};
        CircleArea b = circle(1523, 0);
        CircleArea c = circle(1524, 2211);  // 0x08A3: time and speed
        c.time = oct18;
        c.speed = AreaSpeedLimit{60, 200, 0};
        m.areas = {a, b, c};
        return m;
    };
    t["MessageBody/JT808_0x8600Test.cs::Test1|encode"] = {Kind::encodes, [=](const Row& r) {
        expect_body_bytes(circles_2013(), r);
    }};
    t["MessageBody/JT808_0x8600Test.cs::Test2|decode"] = {Kind::decodes, [=](const Row& r) {
        auto d = decode_body_row(r);
        ASSERT_TRUE(d);
        const auto* m = as<SetCircleAreas>(d->body, r);
        ASSERT_NE(m, nullptr);
        EXPECT_EQ(*m, circles_2013());  // AreaCount=3; Null(StartTime) where bit 0 is clear
    }};
    auto circles_2019 = [=] {
        SetCircleAreas m;
        m.setting = 1;
        CircleArea a = circle(1522, 222);
        a.speed = AreaSpeedLimit{60, 200, 666};  // NightMaximumSpeed
        a.name = "SmallChi";                     // AreaName
        m.areas = {a};
        return m;
    };
    t["MessageBody/JT808_0x8600Test.cs::Test_2019_1|encode"] = {Kind::encodes, [=](const Row& r) {
        expect_body_bytes(circles_2019(), r);
    }};
    t["MessageBody/JT808_0x8600Test.cs::Test_2019_2|decode"] = {Kind::decodes, [=](const Row& r) {
        auto d = decode_body_row(r);
        ASSERT_TRUE(d);
        const auto* m = as<SetCircleAreas>(d->body, r);
        ASSERT_NE(m, nullptr);
        EXPECT_EQ(*m, circles_2019());
    }};
    auto rectangles = [] {
        SetRectangleAreas m;
        m.setting = 1;
        RectangleArea a;
        a.id = 1522;
        a.attributes = 222;  // speed, no time
        a.top_left_lat_e6 = 123456787;      // UpLeftPointLat
        a.top_left_lon_e6 = 123456786;      // UpLeftPointLng
        a.bottom_right_lat_e6 = 123456789;  // LowRightPointLat
        a.bottom_right_lon_e6 = 123456788;  // LowRightPointLng
        a.speed = AreaSpeedLimit{60, 200, 0};
        RectangleArea b;
        b.id = 1523;
        b.attributes = 10;  // speed, no time
        b.top_left_lat_e6 = 123456702;
        b.top_left_lon_e6 = 123456703;
        b.bottom_right_lat_e6 = 123456700;
        b.bottom_right_lon_e6 = 123456701;
        b.speed = AreaSpeedLimit{60, 200, 0};
        m.areas = {a, b};
        return m;
    };
    t["MessageBody/JT808_0x8602Test.cs::Test1|encode"] = {Kind::encodes, [=](const Row& r) {
        expect_body_bytes(rectangles(), r);
    }};
    t["MessageBody/JT808_0x8602Test.cs::Test2|decode"] = {Kind::decodes, [=](const Row& r) {
        auto d = decode_body_row(r);
        ASSERT_TRUE(d);
        const auto* m = as<SetRectangleAreas>(d->body, r);
        ASSERT_NE(m, nullptr);
        EXPECT_EQ(*m, rectangles());
    }};
    auto polygon = [] {
        SetPolygonArea m;
        m.id = 1234;
        m.attributes = 1;  // time only: SmallChi's HighestSpeed=62 is not sent (Null on decode)
        m.time = AreaTimeWindow{BcdTime::from_civil(civil(2018, 11, 20, 0, 0, 12)),
                                BcdTime::from_civil(civil(2018, 11, 21, 0, 0, 12))};
        m.vertices = {{123456789, 123456788}, {123456700, 123456701}};  // PeakItems
        return m;
    };
    t["MessageBody/JT808_0x8604Test.cs::Test1|encode"] = {Kind::encodes, [=](const Row& r) {
        expect_body_bytes(polygon(), r);
    }};
    t["MessageBody/JT808_0x8604Test.cs::Test2|decode"] = {Kind::decodes, [=](const Row& r) {
        auto d = decode_body_row(r);
        ASSERT_TRUE(d);
        const auto* m = as<SetPolygonArea>(d->body, r);
        ASSERT_NE(m, nullptr);
        EXPECT_EQ(*m, polygon());
        EXPECT_FALSE(m->speed.has_value());
    }};

    // -- Routes ------------------------------------------------------------------------------
    auto corner = [](std::uint32_t id, std::uint32_t section, std::uint32_t lat, std::uint32_t lon,
                     std::uint8_t width, std::uint8_t attr) {
        RouteCorner c;
        c.corner_id = id;           // InflectionPointId
        c.section_id = section;     // SectionId
        c.lat_e6 = lat;
        c.lon_e6 = lon;
        c.section_width_m = width;  // SectionWidth
        c.section_attributes = attr;  // SectionProperty
        return c;
    };
    auto route_1 = [=] {
        SetRoute m;
        m.id = 9999;
        m.attributes = 1268;  // 0x04F4: bit 0 clear, so no start/end time on the wire
        RouteCorner a = corner(1000, 1287, 123456789, 123456788, 56, 89);  // 0x59: time rule
        a.too_long_s = 50;    // SectionLongDrivingThreshold
        a.too_short_s = 123;  // SectionDrivingUnderThreshold
        RouteCorner b = corner(1001, 12007, 123456780, 123456781, 75, 50);  // 0x32: speed rule
        b.speed = AreaSpeedLimit{42, 26, 0};
        m.corners = {a, b};
        return m;
    };
    t["MessageBody/JT808_0x8606Test.cs::Test1|encode"] = {Kind::encodes, [=](const Row& r) {
        expect_body_bytes(route_1(), r);
    }};
    t["MessageBody/JT808_0x8606Test.cs::Test2|decode"] = {Kind::decodes, [=](const Row& r) {
        auto d = decode_body_row(r);
        ASSERT_TRUE(d);
        const auto* m = as<SetRoute>(d->body, r);
        ASSERT_NE(m, nullptr);
        EXPECT_EQ(*m, route_1());
    }};
    auto route_3 = [=](bool v2019) {
        SetRoute m;
        m.id = 9999;
        m.attributes = 51;  // 0x33: time window
        m.time = v2019 ? AreaTimeWindow{BcdTime::from_civil(civil(2020, 1, 4, 0, 0, 12)),
                                        BcdTime::from_civil(civil(2020, 1, 4, 0, 0, 12))}
                       : AreaTimeWindow{BcdTime::from_civil(civil(2018, 11, 20, 0, 0, 12)),
                                        BcdTime::from_civil(civil(2018, 11, 21, 0, 0, 12))};
        RouteCorner a = corner(1000, 1287, 123456789, 123456788, 56, 3);
        a.too_long_s = 50;
        a.too_short_s = 123;
        a.speed = AreaSpeedLimit{69, 23, static_cast<std::uint16_t>(v2019 ? 80 : 0)};
        RouteCorner b = corner(1001, 12007, 123456780, 123456781, 75, 3);
        b.too_long_s = 58;
        b.too_short_s = 124;
        b.speed = AreaSpeedLimit{42, 26, static_cast<std::uint16_t>(v2019 ? 66 : 0)};
        m.corners = {a, b};
        if (v2019) m.name = "koike518";
        return m;
    };
    t["MessageBody/JT808_0x8606Test.cs::Test3|encode"] = {Kind::encodes, [=](const Row& r) {
        expect_body_bytes(route_3(false), r);
    }};
    t["MessageBody/JT808_0x8606Test.cs::Test4|decode"] = {Kind::decodes, [=](const Row& r) {
        auto d = decode_body_row(r);
        ASSERT_TRUE(d);
        const auto* m = as<SetRoute>(d->body, r);
        ASSERT_NE(m, nullptr);
        EXPECT_EQ(*m, route_3(false));
    }};
    t["MessageBody/JT808_0x8606Test.cs::Test5_2019|encode"] = {Kind::encodes, [=](const Row& r) {
        expect_body_bytes(route_3(true), r, Dialect::v2019);
    }};
    t["MessageBody/JT808_0x8606Test.cs::Test6_2019|decode"] = {Kind::decodes, [=](const Row& r) {
        auto d = decode_body_row(r);
        ASSERT_TRUE(d);
        const auto* m = as<SetRoute>(d->body, r);
        ASSERT_NE(m, nullptr);
        EXPECT_EQ(*m, route_3(true));  // NightMaximumSpeed 80 and 66, name "koike518"
    }};
}

// "(codec primitive)" rows: SmallChi's reader/writer tests. The escaping, check byte, BCD and
// BCD-time ones map onto our Framer, xor_checksum, bcd_to_digits and BcdTime; the others test
// SmallChi helpers we have no counterpart for.
void codec_primitives(Table& t) {
    const std::string mp = "MessagePack/JT808MessagePackReaderTest.cs::";
    const std::string wr = "MessagePack/JT808MessagePackWriterTest.cs::";
    // Hex text of bytes (SmallChi's ToHexString is upper case; ours lower).
    t["Extensions/JT808HexExtensionsTest.cs::Test1|encode#1"] = {Kind::primitive, [](const Row& r) {
        const std::vector<std::uint8_t> b{0, 0, 0, 0, 0, 0, 0, 0x7E};
        EXPECT_EQ(to_hex(b), "000000000000007e");
        EXPECT_EQ(upper_hex(b), r.hex);
        EXPECT_EQ(from_hex(r.hex), b);
    }};
    // The same test formats a BCD time: 2019-12-04 09:18:18.
    t["Extensions/JT808HexExtensionsTest.cs::Test1|encode#2"] = {Kind::primitive, [](const Row& r) {
        const BcdTime b = BcdTime::from_civil(civil(2019, 12, 4, 9, 18, 18));
        EXPECT_EQ(upper_hex(b.raw), r.hex);
    }};
    // 7E 7D02 7D01 7D02 7D01 7E: one frame of four bytes 7E 7D 7E 7D.
    auto escapes = [](const Row& r) {
        Collect c = frames_of(r);
        EXPECT_TRUE(c.errors.empty());
        ASSERT_EQ(c.frames.size(), 1u);
        EXPECT_EQ(c.frames[0], (std::vector<std::uint8_t>{0x7E, 0x7D, 0x7E, 0x7D}));
        EXPECT_EQ(upper_hex(ft::to_wire(c.frames[0])), r.hex);  // and back
    };
    t[mp + "ArrayPoolTest1|decode"] = {Kind::primitive, escapes};
    t[mp + "ReadEncodeTest|decode"] = {Kind::primitive, escapes};
    // #1 is the escaped Demo1 frame, #2 the same frame un-escaped (flags kept): the Framer turns
    // #1 into #2's bytes, and the check byte over them is 0x13.
    t[mp + "JT808MessagePackReaderConstructorTest|decode#1"] = {Kind::primitive, [](const Row& r) {
        Collect c = frames_of(r);
        ASSERT_EQ(c.frames.size(), 1u);
        const auto& f = c.frames[0];
        const auto plain = hex_bytes(row(r.key.substr(0, r.key.size() - 1) + "2").hex);
        EXPECT_EQ(f, std::vector<std::uint8_t>(plain.begin() + 1, plain.end() - 1));
        EXPECT_EQ(xor_checksum(Bytes{f}.first(f.size() - 1)), 0x13);  // CalculateCheckXorCode
        EXPECT_EQ(f.back(), 0x13);
        EXPECT_TRUE(parse_frame(f));
    }};
    t[mp + "JT808MessagePackReaderConstructorTest|decode#2"] = {Kind::primitive, [](const Row& r) {
        // Un-escaped, the frame holds 0x7E and 0x7D inside; escaping gives #1's wire bytes.
        const auto plain = hex_bytes(r.hex);
        const std::vector<std::uint8_t> inner(plain.begin() + 1, plain.end() - 1);
        EXPECT_EQ(xor_checksum(Bytes{inner}.first(inner.size() - 1)), 0x13);
        const Row& escaped = row(r.key.substr(0, r.key.size() - 1) + "1");
        EXPECT_EQ(upper_hex(ft::to_wire(inner)), escaped.hex);
    }};
    t[mp + "ReadArrayTest|decode"] = {Kind::primitive, [](const Row& r) {
        Collect c = frames_of(r);
        ASSERT_EQ(c.frames.size(), 1u);
        ByteReader rd(c.frames[0]);
        EXPECT_EQ(vec(rd.bytes(3, "array")), (std::vector<std::uint8_t>{1, 2, 3}));
        EXPECT_TRUE(rd.ok());
        EXPECT_TRUE(rd.empty());
    }};
    t[mp + "ReadBCDTest1|decode"] = {Kind::primitive, [](const Row& r) {
        Collect c = frames_of(r);
        ASSERT_EQ(c.frames.size(), 1u);
        char digits[10];
        ASSERT_EQ(c.frames[0].size(), 5u);
        EXPECT_TRUE(bcd_to_digits(c.frames[0], digits));
        EXPECT_EQ(std::string(digits, 10), "1234567890");  // ReadBCD(10)
    }};
    // 15 zero bytes: YYYYMMDD (4), HHmmssfff (5), yyMMddHHmmss (6). The BCD[6] time is the one
    // JT/T 808 uses: all zeros is "no time" (valid=false), never an error.
    t[mp + "ReadDateTimeNullTest|decode"] = {Kind::primitive, [](const Row& r) {
        Collect c = frames_of(r);
        ASSERT_EQ(c.frames.size(), 1u);
        ASSERT_EQ(c.frames[0].size(), 15u);
        const BcdTime t6 = BcdTime::parse(Bytes{c.frames[0]}.subspan(9, 6));
        EXPECT_FALSE(t6.valid);  // Null(ReadDateTimeNull_yyMMddHHmmss())
        EXPECT_EQ(t6.raw, (std::array<std::uint8_t, 6>{}));
    }};
    t[mp + "ReadDateTimeTest|decode"] = {Kind::primitive, [](const Row& r) {
        Collect c = frames_of(r);
        ASSERT_EQ(c.frames.size(), 1u);
        ASSERT_EQ(c.frames[0].size(), 15u);
        const Bytes f = c.frames[0];
        EXPECT_EQ(upper_hex(f.first(4)), "20190619");  // ReadDateTime_YYYYMMDD (BCD[4])
        const BcdTime t6 = BcdTime::parse(f.subspan(9, 6));
        EXPECT_TRUE(t6.valid);
        EXPECT_EQ(t6.civil, civil(2019, 6, 19, 23, 23, 23));  // ReadDateTime_yyMMddHHmmss
    }};
    // The check byte itself is 0x7E and arrives escaped (7D 02) before the end flag.
    t[mp + "ReadEncodeTest2|decode"] = {Kind::primitive, [](const Row& r) {
        Collect c = frames_of(r);
        ASSERT_EQ(c.frames.size(), 1u);
        const auto& f = c.frames[0];
        EXPECT_EQ(f.back(), 0x7E);
        EXPECT_EQ(xor_checksum(Bytes{f}.first(f.size() - 1)), 0x7E);  // CalculateCheckXorCode
        auto frame = parse_frame(f);
        ASSERT_TRUE(frame) << frame.error().message();
        EXPECT_EQ(frame->header.msg_id, 0x0002);
    }};
    t[mp + "ReadNumericalTest|decode"] = {Kind::primitive, [](const Row& r) {
        Collect c = frames_of(r);
        ASSERT_EQ(c.frames.size(), 1u);
        ByteReader rd(c.frames[0]);
        EXPECT_EQ(rd.u8("byte"), 0x01);
        EXPECT_EQ(rd.u16("uint16"), 16);
        EXPECT_EQ(rd.u32("int32"), 32u);
        EXPECT_EQ(rd.u32("uint32"), 64u);
        EXPECT_TRUE(rd.ok());
        EXPECT_TRUE(rd.empty());
    }};
    // The check byte is computed over un-escaped bytes (JT808.md §1.1). Both rows hold Demo1's
    // header+body as escaped on the wire; un-escaped, its XOR is 0x13. (SmallChi's WriteXorTest1
    // asserts NotEqual on its writer's output; over these particular bytes the escaped XOR is
    // 0x13 as well, since 7E -> 7D 02 and 7D -> 7D 01 each flip bit 0 and the two cancel.)
    auto unescaped_inner = [](const Row& r) {
        const auto escaped = hex_bytes(r.hex);
        std::vector<std::uint8_t> wire{kFlag};
        wire.insert(wire.end(), escaped.begin(), escaped.end());
        wire.push_back(0x00);  // a placeholder check byte
        wire.push_back(kFlag);
        std::vector<std::uint8_t> f = unescape(wire);
        f.pop_back();
        return f;
    };
    t[wr + "WriteXorTest1|decode"] = {Kind::primitive, [=](const Row& r) {
        const auto inner = unescaped_inner(r);
        EXPECT_EQ(xor_checksum(inner), 0x13);
        EXPECT_EQ(inner.size() + 2, hex_bytes(r.hex).size());  // two escapes
    }};
    t[wr + "WriteXorTest3|decode"] = {Kind::primitive, [=](const Row& r) {
        const auto inner = unescaped_inner(r);
        EXPECT_EQ(xor_checksum(inner), 0x13);
        // And encode_frame computes it that way: header+body in, Demo1's wire bytes out.
        std::vector<std::uint8_t> whole = inner;
        whole.push_back(0x13);
        auto frame = parse_frame(whole);
        ASSERT_TRUE(frame);
        OutboundHeader h;
        h.msg_id = frame->header.msg_id;
        h.phone = frame->header.phone;
        h.serial = frame->header.serial;
        Buffer out;
        ASSERT_TRUE(encode_frame(h, frame->body, out));
        EXPECT_EQ(upper_hex(out), "7E" + r.hex + "137E");
    }};

    const std::string no_counterpart = "SmallChi reader/writer helper with no counterpart in our codec: ";
    auto oos = [&](const std::string& key, const std::string& what) {
        t[key] = {Kind::out_of_scope, {}, no_counterpart + what};
    };
    oos(mp + "ReadBigNumberTest|decode", "decimal string of a big-endian integer of any width");
    oos(mp + "ReadHexTest|decode", "bytes read as a hex string field");
    oos(mp + "ReadStringEndChar0Test1|decode", "NUL-terminated string reader");
    oos(mp + "ReadStringTest|decode", "fixed-length string reader (ours is ByteReader::bytes + gbk_to_utf8)");
    oos(mp + "ReadUInt64Test|decode", "QWORD reader; no JT/T 808 field we decode is 64-bit");
    oos(mp + "ReadUTCDateTimeTest|decode", "Unix-time DWORD reader; not a JT/T 808 time format");
    oos(mp + "ReadVirtualArrayEndChar0Test1|decode", "peek-ahead reader for a NUL-terminated string");
    oos(wr + "WriteBigNumberTest|encode", "decimal string written as a big-endian integer");
    oos(wr + "WriteStringEndChar0Test|encode", "NUL-terminated string writer");
    oos(wr + "WriteUInt64Test|encode", "QWORD writer");
}

const Table& expectations() {
    static const Table table = [] {
        Table t;
        link_messages(t);
        registration_and_header(t);
        uplink_media_and_parameters(t);
        locations(t);
        attach_items(t);
        driver_registration_text(t);
        parameters_and_areas(t);
        codec_primitives(t);
        return t;
    }();
    return table;
}

std::string kind_name(Kind k) {
    switch (k) {
        case Kind::decodes: return "decodes";
        case Kind::encodes: return "encodes";
        case Kind::rejected: return "rejected";
        case Kind::roundtrip: return "roundtrip";
        case Kind::primitive: return "primitive";
        case Kind::out_of_scope: return "out_of_scope";
    }
    return "?";
}

// Runs every in-scope row whose entry has kind `k`; returns how many ran.
int run_kind(Kind k) {
    int n = 0;
    for (const Row& r : all_rows()) {
        if (!in_scope(r)) continue;
        const auto it = expectations().find(r.key);
        if (it == expectations().end() || it->second.kind != k) continue;
        SCOPED_TRACE(r.where());
        ++n;
        it->second.check(r);
    }
    return n;
}

// ---- Sub-packages ----------------------------------------------------------------------------

// The un-escaped frames of rows `key#1`..`key#n`, with `serial_of(i)` (if given) written into the
// 2013 header and the check byte recomputed.
std::vector<std::vector<std::uint8_t>> fragments(const std::string& key, int n,
                                                 const std::function<int(int)>& serial_of = {}) {
    std::vector<std::vector<std::uint8_t>> out;
    for (int i = 1; i <= n; ++i) {
        const Row& r = row(key + "#" + std::to_string(i));
        std::vector<std::uint8_t> f = unescape(hex_bytes(r.hex));
        if (serial_of) {
            const int sn = serial_of(i);
            f[10] = static_cast<std::uint8_t>(sn >> 8);
            f[11] = static_cast<std::uint8_t>(sn);
        }
        f.back() = xor_checksum(Bytes{f.data(), f.size() - 1});
        out.push_back(std::move(f));
    }
    return out;
}

// Feeds the fragments to a fresh Reassembler; returns the merged message, if any.
std::optional<ReassembledMessage> reassemble(const std::vector<std::vector<std::uint8_t>>& fs,
                                             std::size_t* pending_after = nullptr) {
    Reassembler re;
    const auto now = Reassembler::Clock::time_point{};
    std::optional<ReassembledMessage> merged;
    for (const auto& f : fs) {
        auto frame = parse_frame(f);
        EXPECT_TRUE(frame) << frame.error().message();
        if (!frame) continue;
        auto added = re.add(*frame, now);
        EXPECT_TRUE(added) << added.error().message();
        if (added && *added) merged = std::move(**added);
    }
    if (pending_after) *pending_after = re.pending();
    return merged;
}

// Both SmallChi sub-packaged messages number their fragments with gaps (0x0104: 1233, 1250;
// Demo5's 0x0801: 8241-8243, 8245-8247, 8249-8252): the terminal sent other messages in between.
// [S2013] 7.12 asks for consecutive serials; the Reassembler keys by the derived serial of
// package 1 and, when that matches nothing, joins the one pending message that lacks the index.
TEST(SmallChiCorpus, MergerTestFragmentsWithNonConsecutiveSerialsAreMergedAsOneMessage) {
    SCOPED_TRACE(row("JT808SerializerTest.cs::MergerTest|decode#1").where());
    std::size_t pending = 9;
    const auto merged = reassemble(fragments("JT808SerializerTest.cs::MergerTest|decode", 2), &pending);
    ASSERT_TRUE(merged);
    EXPECT_EQ(merged->header.serial, 1233);
    EXPECT_EQ(merged->body.size(), 1008u + 211u);
    EXPECT_EQ(pending, 0u);
}

TEST(SmallChiCorpus, MergerTestFragmentsReassembleIntoOneParameterQueryResponseOf107Items) {
    SCOPED_TRACE(row("JT808SerializerTest.cs::MergerTest|decode#1").where());
    const auto merged = reassemble(fragments("JT808SerializerTest.cs::MergerTest|decode", 2,
                                             [](int i) { return 1232 + i; }));
    ASSERT_TRUE(merged);
    EXPECT_EQ(merged->header.msg_id, 0x0104);
    EXPECT_EQ(merged->header.serial, 1233);
    EXPECT_EQ(merged->header.phone.key(), "11275400381");
    EXPECT_FALSE(merged->header.package.has_value());  // IsMerged
    ASSERT_EQ(merged->body.size(), 1008u + 211u);
    auto body = decode_body(merged->header, merged->body);
    ASSERT_TRUE(body) << body.error().message();
    const auto* p = std::get_if<ParameterQueryResponse>(&*body);
    ASSERT_NE(p, nullptr);
    EXPECT_EQ(p->reply_serial, 0);
    EXPECT_EQ(p->count, 107);
    std::map<std::uint32_t, std::vector<std::uint8_t>> items;  // NotEmpty(ParamList)
    int n = 0;
    ParameterIterator it(p->items);
    while (auto v = it.next()) {
        ++n;
        items.emplace(v->id, vec(v->value));
    }
    EXPECT_TRUE(it.ok());
    EXPECT_EQ(n, 107);
    EXPECT_EQ(items[0x0001], Parameter::dword(1, 600).value);  // heartbeat interval
    EXPECT_EQ(text(items[0x0010]), "CMNET");                   // APN
    EXPECT_EQ(text(items[0x0013]), "222.184.26.22");           // server address
    EXPECT_EQ(items[0xF373], hex_bytes("0BB80BB8"));            // the last fragment's items
    EXPECT_EQ(items[0xFF00], hex_bytes("FEEA4C0510BD"));
    const Json j = frame_to_json(merged->header, *body);
    EXPECT_EQ(j["ok"], true);
}

TEST(SmallChiCorpus, Demo5FragmentsWithTheirCheckByteFixedReassembleIntoOneJpegUpload) {
    SCOPED_TRACE(row("Simples/Demo5.cs::Test1|decode#1").where());
    std::size_t pending = 9;
    const auto as_captured = reassemble(fragments("Simples/Demo5.cs::Test1|decode", 10), &pending);
    ASSERT_TRUE(as_captured);  // gapped serials: joined to the message that lacks the index
    EXPECT_EQ(pending, 0u);
    EXPECT_EQ(as_captured->header.serial, 8241);
    EXPECT_EQ(as_captured->body.size(), 804u + 8u * 768u + 23u);

    const auto merged = reassemble(
        fragments("Simples/Demo5.cs::Test1|decode", 10, [](int i) { return 8240 + i; }), &pending);
    ASSERT_TRUE(merged);
    EXPECT_EQ(pending, 0u);
    EXPECT_EQ(merged->header.msg_id, 0x0801);
    EXPECT_EQ(merged->header.phone.key(), "13812345678");
    ASSERT_EQ(merged->body.size(), 804u + 8u * 768u + 23u);  // quotient=10, remainder=23
    auto body = decode_body(merged->header, merged->body);
    ASSERT_TRUE(body) << body.error().message();
    const auto* m = std::get_if<MultimediaData>(&*body);
    ASSERT_NE(m, nullptr);
    EXPECT_EQ(m->event.media_id, 10013u);
    EXPECT_EQ(m->event.media_type, 0);  // image
    EXPECT_EQ(m->event.format, 0);      // JPEG
    EXPECT_EQ(m->event.event, 1);
    EXPECT_EQ(m->event.channel, 1);
    ASSERT_TRUE(m->location.has_value());
    EXPECT_EQ(m->location->status, 0x000C2003u);
    EXPECT_EQ(m->location->lat_e6, 30556170u);
    EXPECT_EQ(m->location->lon_e6, 103978661u);
    EXPECT_EQ(m->location->altitude_m, 481);
    EXPECT_EQ(m->location->time.civil, civil(2019, 1, 4, 9, 29, 52));
    ASSERT_EQ(m->data.size(), 6971u - 36u);
    EXPECT_EQ(vec(m->data.first(2)), (std::vector<std::uint8_t>{0xFF, 0xD8}));  // JPEG SOI
    EXPECT_EQ(vec(m->data.last(2)), (std::vector<std::uint8_t>{0xFF, 0xD9}));   // JPEG EOI
}

// ---- Tests -----------------------------------------------------------------------------------

TEST(SmallChiCorpus, EveryInScopeDecodeAndEncodeRowHasAnExpectation) {
    std::set<std::string> keys;
    std::ostringstream missing;
    int n_missing = 0;
    std::map<Kind, int> counts;
    std::map<std::string, int> by_direction;
    for (const Row& r : all_rows()) {
        if (!in_scope(r)) continue;
        keys.insert(r.key);
        const auto it = expectations().find(r.key);
        if (it == expectations().end()) {
            ++n_missing;
            missing << "\n  line " << r.line << " " << r.msg_id << " " << r.key;
            continue;
        }
        ++counts[it->second.kind];
        ++by_direction[r.direction + "/" + kind_name(it->second.kind)];
        if (it->second.kind == Kind::out_of_scope || it->second.kind == Kind::roundtrip) {
            EXPECT_FALSE(it->second.reason.empty()) << r.where() << " needs a reason";
        }
        if (it->second.kind != Kind::out_of_scope) {
            EXPECT_TRUE(static_cast<bool>(it->second.check)) << r.where();
        }
    }
    EXPECT_EQ(n_missing, 0) << "in-scope rows without an expectation:" << missing.str();
    for (const auto& [key, e] : expectations()) {
        EXPECT_TRUE(keys.count(key) > 0) << "expectation without an in-scope row: " << key;
    }
    std::ostringstream summary;
    for (const auto& [k, c] : counts) summary << kind_name(k) << "=" << c << " ";
    summary << "|";
    for (const auto& [k, c] : by_direction) summary << " " << k << "=" << c;
    std::printf("SmallChi in-scope rows by kind: %s\n", summary.str().c_str());
}

// Every frame row of the file, in scope or not (analyze rows of real devices, vendor messages,
// 2019 frames of messages we keep raw): the stream path never crashes, and each frame either
// decodes (frame_to_json says ok) or fails with a named reason. parse_frame's verdict must match
// frame_info's independent check: xor=BAD -> bad_checksum (checked first), "bodylen=N(actual
// M!)" -> bad_length, "vendor mis-flag" (bit 14 set on a 2013 frame) -> parsed as 2013 with
// misflagged_2019.
TEST(SmallChiCorpus, EveryFrameRowGoesThroughTheWholePipelineWithOkOrANamedReason) {
    int frames = 0;
    int ok = 0;
    std::map<std::string, int> reasons;
    for (const Row& r : all_rows()) {
        if (r.kind != "frame") continue;
        SCOPED_TRACE(r.where());
        Collect c = frames_of(r);
        for (const Error& e : c.errors) {
            EXPECT_FALSE(to_string(e.code).empty());
            ++reasons["framer:" + std::string(to_string(e.code))];
        }
        ASSERT_FALSE(c.frames.empty());
        for (const auto& f : c.frames) {
            ++frames;
            auto frame = parse_frame(f);
            const bool misflag = r.frame_info.find("vendor mis-flag") != std::string::npos;
            if (r.frame_info.find("xor=BAD") != std::string::npos) {
                ASSERT_FALSE(frame);
                EXPECT_EQ(frame.error().code, Errc::bad_checksum);
            } else if (r.frame_info.find("(actual") != std::string::npos && !misflag) {
                ASSERT_FALSE(frame);
                EXPECT_EQ(frame.error().code, Errc::bad_length);
            } else {
                ASSERT_TRUE(frame) << frame.error().message();
                EXPECT_EQ(frame->header.misflagged_2019, misflag);
                if (misflag) {
                    EXPECT_EQ(frame->header.version, HeaderVersion::v2013);
                }
            }
            if (!frame) {
                const Json j = error_to_json(frame.error());
                EXPECT_EQ(j["ok"], false);
                EXPECT_FALSE(j["error"].get<std::string>().empty());
                ++reasons[j["error"].get<std::string>()];
                continue;
            }
            auto body = decode_body(*frame);
            if (!body) {
                const Json j = error_to_json(body.error());
                EXPECT_FALSE(j["error"].get<std::string>().empty());
                ++reasons["body:" + j["error"].get<std::string>()];
                std::printf("  body not decoded: %s (%s): %s\n", r.where().c_str(), r.msg_id.c_str(),
                            body.error().message().c_str());
                continue;
            }
            const Json j = frame_to_json(frame->header, *body);
            EXPECT_EQ(j["ok"], true);
            EXPECT_FALSE(j.dump().empty());
            ++ok;
        }
    }
    std::ostringstream summary;
    for (const auto& [k, n] : reasons) summary << " " << k << "=" << n;
    std::printf("SmallChi frame rows: %d frames, %d decoded, failures:%s\n", frames, ok,
                summary.str().c_str());
    EXPECT_GT(ok, 0);
}

// Vendors who set bit 14 on a 2013 frame (JT808.md §1.2; SmallChi's Demo14 force-parses them as
// 2013). The three such rows are analyze rows, outside the decode/encode scope, but the decoder
// must handle them: parsed with the 2013 header, flagged, and the body decoded.
TEST(SmallChiCorpus, VendorMisflaggedFramesParseAs2013WithTheMisflagSet) {
    int n = 0;
    for (const Row& r : all_rows()) {
        if (r.frame_info.find("vendor mis-flag") == std::string::npos) continue;
        SCOPED_TRACE(r.where());
        ++n;
        Parsed p = parse(r);
        ASSERT_TRUE(p.frame);
        ASSERT_TRUE(*p.frame) << p.frame->error().message();
        const Header& h = (*p.frame)->header;
        EXPECT_TRUE(h.misflagged_2019);
        EXPECT_EQ(h.version, HeaderVersion::v2013);
        EXPECT_EQ(h.size(), 12u);
        EXPECT_EQ(h.phone.digits(), "010030000681");  // frame_info: phone BCD[6]=010030000681
        auto body = decode_body(**p.frame);
        ASSERT_TRUE(body) << body.error().message();
        if (h.msg_id == msg_id::kAuthenticate) {
            const auto* a = std::get_if<Authentication>(&*body);
            ASSERT_NE(a, nullptr);
            EXPECT_EQ(text(a->auth_code), "J10030000681");  // "J" + the phone
        } else {
            ASSERT_EQ(h.msg_id, msg_id::kLocation);
            const auto* l = std::get_if<Location>(&*body);
            ASSERT_NE(l, nullptr);
            EXPECT_TRUE(l->time.valid);
        }
        EXPECT_EQ(dialect_of(h, *body), Dialect::v2013);
        EXPECT_EQ(frame_to_json(h, *body)["ok"], true);
    }
    EXPECT_EQ(n, 3);
}

TEST(SmallChiCorpus, DecodeRowsYieldTheFieldsSmallChiAsserts) {
    EXPECT_GT(run_kind(Kind::decodes), 0);
}

TEST(SmallChiCorpus, EncodeRowsComeOutByteForByte) {
    EXPECT_GT(run_kind(Kind::encodes), 0);
}

TEST(SmallChiCorpus, RowsWithABadCheckByteLengthOrCoordinateAreRejectedWithThatReason) {
    EXPECT_GT(run_kind(Kind::rejected), 0);
}

TEST(SmallChiCorpus, CodecPrimitiveRowsHoldForOurFramerChecksumAndBcd) {
    EXPECT_GT(run_kind(Kind::primitive), 0);
    for (const Row& r : all_rows()) {
        const auto it = expectations().find(r.key);
        if (in_scope(r) && it != expectations().end() && it->second.kind == Kind::out_of_scope) {
            std::printf("out of scope: line %zu %s: %s\n", r.line, r.key.c_str(),
                        it->second.reason.c_str());
        }
    }
}

TEST(SmallChiCorpus, RowsWithSmallChiOnlyFieldsSurviveDecodeAndReencodeByteForByte) {
    EXPECT_GT(run_kind(Kind::roundtrip), 0);
}

}  // namespace
}  // namespace fleetwatch::jt808
