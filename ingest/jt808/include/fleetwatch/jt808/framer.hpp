// Stream framer: bytes from a TCP stream in, un-escaped JT/T 808 frames out.
//
// Sans-I/O: feed it whatever chunks recv() produced; it calls the sink once per complete
// frame with the un-escaped bytes between the 0x7E flags (header, body and check byte; the
// checksum is *not* verified here, see `parse_frame`). Every 0x7E is a delimiter, so `7E 7E`
// between frames, empty frames and garbage are handled by resynchronising on the next flag.
// Un-escaping happens in the same pass as delimiting. The frame buffer is allocated once, at
// construction; feeding never allocates.
//
// Sink requirements:
//   void on_frame(std::span<const std::uint8_t> unescaped);  // valid only during the call
//   void on_frame_error(const Error& error);                 // bad_escape, frame_too_large,
//                                                            // unframed_bytes
// Thread-safety: one Framer per connection, used from one strand.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <span>

#include "fleetwatch/jt808/error.hpp"

namespace fleetwatch::jt808 {

inline constexpr std::uint8_t kFlag = 0x7E;
inline constexpr std::uint8_t kEscape = 0x7D;

// The largest frame the protocol allows, un-escaped: 2019 header with sub-package fields (21)
// + 1023-byte body + check byte.
inline constexpr std::size_t kMaxUnescapedFrame = 21 + 1023 + 1;
// The same on the wire, every byte escaped, plus both flags (JT808.md §1.14).
inline constexpr std::size_t kMaxEscapedFrame = 2 * kMaxUnescapedFrame + 2;

struct FramerStats {
    std::uint64_t frames = 0;           // frames handed to on_frame
    std::uint64_t errors = 0;           // on_frame_error calls
    std::uint64_t unframed_bytes = 0;   // bytes skipped before a first flag
};

class Framer {
public:
    // `max_frame_bytes` caps the un-escaped frame; a longer one is reported as frame_too_large
    // and skipped up to the next flag.
    explicit Framer(std::size_t max_frame_bytes = kMaxUnescapedFrame)
        : buf_(std::make_unique<std::uint8_t[]>(max_frame_bytes)), cap_(max_frame_bytes) {}

    template <class Sink>
    void feed(std::span<const std::uint8_t> chunk, Sink& sink);

    // Forgets any partial frame (e.g. after the connection was reset).
    void reset() noexcept {
        state_ = State::idle;
        len_ = 0;
    }

    // Bytes of the partial frame being assembled (for buffered-bytes limits).
    std::size_t buffered() const noexcept { return len_; }
    const FramerStats& stats() const noexcept { return stats_; }

private:
    enum class State : std::uint8_t { idle, in_frame, escape, discard };

    // True when any byte of `w` equals `b` (the exact "has zero byte" test on w ^ bbbb...).
    static constexpr bool has_byte(std::uint64_t w, std::uint8_t b) noexcept {
        constexpr std::uint64_t kOnes = 0x0101010101010101ULL;
        constexpr std::uint64_t kHighs = 0x8080808080808080ULL;
        const std::uint64_t x = w ^ (kOnes * b);
        return ((x - kOnes) & ~x & kHighs) != 0;
    }

    template <class Sink>
    void fail(Sink& sink, Errc code, const char* what, std::int64_t actual) {
        ++stats_.errors;
        sink.on_frame_error(Error{code, what, -1, actual});
    }

    std::unique_ptr<std::uint8_t[]> buf_;
    std::size_t cap_;
    std::size_t len_ = 0;
    std::size_t unframed_ = 0;
    State state_ = State::idle;
    FramerStats stats_;
};

template <class Sink>
void Framer::feed(std::span<const std::uint8_t> chunk, Sink& sink) {
    const std::uint8_t* p = chunk.data();
    const std::uint8_t* const end = p + chunk.size();
    while (p != end) {
        switch (state_) {
            case State::idle: {
                // Before the first flag of a stream: skip, count, report once a flag arrives.
                while (p != end && *p != kFlag) {
                    ++p;
                    ++unframed_;
                }
                if (p == end) return;
                ++p;
                if (unframed_ > 0) {
                    stats_.unframed_bytes += unframed_;
                    fail(sink, Errc::unframed_bytes, "bytes before the first 0x7e flag skipped",
                         static_cast<std::int64_t>(unframed_));
                    unframed_ = 0;
                }
                state_ = State::in_frame;
                len_ = 0;
                break;
            }
            case State::in_frame: {
                // Hot loop: copy plain bytes until a flag, an escape or the size cap. The cap is
                // folded into the loop bound and the length kept in a local (a uint8_t store may
                // alias len_), and runs of eight plain bytes are found and copied a word at a
                // time; the byte loop then stops at the exact special byte.
                std::uint8_t* const out = buf_.get();
                const std::size_t room = cap_ - len_;
                const std::uint8_t* const stop =
                    static_cast<std::size_t>(end - p) > room ? p + room : end;
                std::size_t n = len_;
                while (stop - p >= 8) {
                    std::uint64_t w;
                    std::memcpy(&w, p, sizeof w);
                    if (has_byte(w, kFlag) || has_byte(w, kEscape)) break;
                    std::memcpy(out + n, &w, sizeof w);
                    n += 8;
                    p += 8;
                }
                while (p != stop && *p != kFlag && *p != kEscape) out[n++] = *p++;
                len_ = n;
                if (p == end) return;
                const std::uint8_t b = *p;
                if (b == kFlag) {
                    ++p;
                    if (len_ > 0) {
                        ++stats_.frames;
                        sink.on_frame(std::span<const std::uint8_t>{out, len_});
                        len_ = 0;
                    }
                } else if (b == kEscape) {
                    ++p;
                    state_ = State::escape;
                } else {  // len_ == cap_ with more payload coming
                    fail(sink, Errc::frame_too_large, "frame exceeds the size limit; skipped",
                         static_cast<std::int64_t>(cap_));
                    len_ = 0;
                    state_ = State::discard;
                }
                break;
            }
            case State::escape: {
                const std::uint8_t b = *p;
                if (b == 0x01 || b == 0x02) {
                    ++p;
                    if (len_ == cap_) {
                        fail(sink, Errc::frame_too_large, "frame exceeds the size limit; skipped",
                             static_cast<std::int64_t>(cap_));
                        len_ = 0;
                        state_ = State::discard;
                        break;
                    }
                    buf_[len_++] = b == 0x01 ? kEscape : kFlag;
                    state_ = State::in_frame;
                } else if (b == kFlag) {
                    // Dangling escape at the end of a frame; the flag starts the next frame.
                    ++p;
                    fail(sink, Errc::bad_escape, "0x7d escape at the end of a frame", -1);
                    len_ = 0;
                    state_ = State::in_frame;
                } else {
                    fail(sink, Errc::bad_escape, "0x7d escape followed by a byte other than 01/02",
                         b);
                    ++p;
                    len_ = 0;
                    state_ = State::discard;
                }
                break;
            }
            case State::discard: {
                while (p != end && *p != kFlag) ++p;
                if (p == end) return;
                ++p;
                len_ = 0;
                state_ = State::in_frame;
                break;
            }
        }
    }
}

}  // namespace fleetwatch::jt808
