#include "fleetwatch/app/decode_command.hpp"

#include <chrono>
#include <istream>
#include <map>
#include <ostream>
#include <string_view>

#include "fleetwatch/jt808/decode.hpp"
#include "fleetwatch/jt808/framer.hpp"
#include "fleetwatch/jt808/json.hpp"
#include "fleetwatch/jt808/reassembly.hpp"

namespace fleetwatch::app {
namespace {

using json = jt808::Json;

class DecodeSession {
public:
    DecodeSession(const DecodeCommandOptions& options, std::ostream& out)
        : options_(options), out_(out) {}

    void line(std::string_view text, std::size_t line_no) {
        // Accept "7e...7e", "0200...", "7E 02 00 ...", "0x7e02..."; '#' starts a comment.
        if (const auto hash = text.find('#'); hash != std::string_view::npos) text = text.substr(0, hash);
        std::string cleaned;
        for (std::size_t i = 0; i < text.size(); ++i) {
            if (text[i] == '0' && i + 1 < text.size() && (text[i + 1] == 'x' || text[i + 1] == 'X')) {
                ++i;
                continue;
            }
            if (text[i] == ':' || text[i] == ',') continue;
            cleaned.push_back(text[i]);
        }
        line_ = line_no;
        auto bytes = jt808::from_hex(cleaned);
        if (!bytes) {
            emit(json{{"ok", false}, {"error", "bad_hex"},
                      {"message", "not an even number of hex digits"}});
            return;
        }
        if (bytes->empty()) return;
        // Frames written without their flags get them back.
        if (bytes->front() != jt808::kFlag) bytes->insert(bytes->begin(), jt808::kFlag);
        if (bytes->back() != jt808::kFlag || bytes->size() == 1) bytes->push_back(jt808::kFlag);
        jt808::Framer framer;
        framer.feed(*bytes, *this);
    }

    int exit_code() const { return failures_ == 0 ? 0 : 1; }

    // Framer sink.
    void on_frame(std::span<const std::uint8_t> unescaped) {
        auto frame = jt808::parse_frame(unescaped);
        if (!frame) {
            emit(jt808::error_to_json(frame.error()));
            return;
        }
        if (frame->header.package) {
            fragment(*frame);
            return;
        }
        decode(frame->header, frame->body, json::object());
    }
    void on_frame_error(const jt808::Error& e) { emit(jt808::error_to_json(e)); }

private:
    void decode(const jt808::Header& header, jt808::Bytes body, json extra) {
        jt808::DecodeOptions opt{options_.dialect};
        auto decoded = jt808::decode_body(header, body, opt);
        if (!decoded) {
            json j = jt808::error_to_json(decoded.error());
            j["msg_id"] = jt808::msg_id_hex(header.msg_id);
            j["phone"] = std::string(header.phone.digits());
            j["serial"] = header.serial;
            emit(j);
            return;
        }
        json j = jt808::frame_to_json(header, *decoded);
        j.update(extra);
        emit(j);
    }

    void fragment(const jt808::Frame& frame) {
        auto& r = reassemblers_[std::string(frame.header.phone.key())];
        json j = jt808::frame_to_json(frame.header, jt808::RawBody{frame.body});
        emit(j);
        // Lines of a capture have no timing; a fixed clock keeps reassembly deterministic.
        auto result = r.add(frame, jt808::Reassembler::Clock::time_point{});
        if (!result) {
            emit(jt808::error_to_json(result.error()));
            return;
        }
        if (*result) {
            const jt808::ReassembledMessage& m = **result;
            decode(m.header, m.body, json{{"reassembled", true},
                                          {"packages", frame.header.package->total}});
        }
    }

    void emit(json j) {
        if (!j.value("ok", false)) {
            ++failures_;
            j["line"] = line_;  // where in the capture the bad frame was
        }
        out_ << j.dump(options_.pretty ? 2 : -1, ' ', false, json::error_handler_t::replace) << '\n';
    }

    const DecodeCommandOptions& options_;
    std::ostream& out_;
    std::map<std::string, jt808::Reassembler> reassemblers_;
    std::size_t failures_ = 0;
    std::size_t line_ = 0;
};

}  // namespace

int run_decode(const DecodeCommandOptions& options, std::istream& in, std::ostream& out) {
    DecodeSession session(options, out);
    if (!options.frames.empty()) {
        std::size_t n = 0;
        for (const std::string& f : options.frames) session.line(f, ++n);
    } else {
        std::string text;
        std::size_t n = 0;
        while (std::getline(in, text)) session.line(text, ++n);
    }
    out.flush();
    return session.exit_code();
}

}  // namespace fleetwatch::app
