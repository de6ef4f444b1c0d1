// Sub-package reassembly (JT808.md §1.3).
//
// Fragments of one long message share (phone, message id) and should carry consecutive serials
// ([S2013] 7.12), so a message is keyed by (message id, serial of package 1), package 1's serial
// derived as serial - (index - 1). Real terminals interleave other messages (0x0200 reports)
// between fragments and so leave gaps (SmallChi's captures do): a package 2..n whose derived key
// matches nothing joins the one pending message with the same id and total that lacks that
// index and started at most kMaxSerialGap serials before it; with none or several candidates it
// starts a message of its own (which then times out). The caller passes the time
// in (sans-I/O). Limits bound what one peer can make us hold: pending messages, buffered bytes
// and packages per message. `due_resends` lists messages that stalled, with the missing package
// indexes to ask for with 0x8003, and drops (with an Error) those past the timeout.
//
// One Reassembler per terminal session; not thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "fleetwatch/jt808/error.hpp"
#include "fleetwatch/jt808/frame.hpp"

namespace fleetwatch::jt808 {

struct ReassemblyLimits {
    std::size_t max_pending_messages = 4;
    std::size_t max_buffered_bytes = 256 * 1024;
    std::uint16_t max_packages = 1024;
    std::chrono::milliseconds resend_after{5000};  // ask for missing packages after this quiet
    std::chrono::milliseconds timeout{60000};      // give up after this quiet
};

struct ReassembledMessage {
    Header header;  // of package 1, with `package` cleared and body_length unset (body may be > 1023)
    std::vector<std::uint8_t> body;
};

struct ResendDue {
    std::uint16_t msg_id = 0;
    std::uint16_t first_serial = 0;
    std::vector<std::uint16_t> missing;  // 1-based package indexes
};

struct ReassemblyStats {
    std::uint64_t completed = 0;
    std::uint64_t duplicates = 0;
    std::uint64_t refused = 0;    // over a limit
    std::uint64_t timed_out = 0;
};

class Reassembler {
public:
    using Clock = std::chrono::steady_clock;
    // How far (in serials) a later package may be from its message's package 1 when serials
    // have gaps.
    static constexpr std::uint16_t kMaxSerialGap = 4096;

    explicit Reassembler(ReassemblyLimits limits = {}) : limits_(limits) {}

    // Adds one fragment (frame.header.package must be set). Returns the whole message when this
    // fragment completes it, std::nullopt while it is incomplete, or an Error when refused.
    Expected<std::optional<ReassembledMessage>> add(const Frame& fragment, Clock::time_point now);

    // Messages quiet for `resend_after` (each reported once per quiet period) and, as errors,
    // messages dropped for being quiet longer than `timeout`.
    std::vector<ResendDue> due_resends(Clock::time_point now, std::vector<Error>* dropped = nullptr);

    // The missing package indexes of a pending message, empty if unknown or complete.
    std::vector<std::uint16_t> missing(std::uint16_t msg_id, std::uint16_t first_serial) const;

    std::size_t pending() const noexcept { return pending_.size(); }
    std::size_t buffered_bytes() const noexcept { return buffered_; }
    const ReassemblyStats& stats() const noexcept { return stats_; }

private:
    struct Key {
        std::uint16_t msg_id;
        std::uint16_t first_serial;
        auto operator<=>(const Key&) const = default;
    };
    struct Pending {
        Header first_header;
        std::uint16_t total = 0;
        std::uint16_t received = 0;
        std::vector<std::vector<std::uint8_t>> parts;  // index-1 -> body; empty = missing
        std::vector<bool> have;
        std::size_t bytes = 0;
        Clock::time_point last_progress;
        Clock::time_point last_resend_request;
        bool resend_requested = false;
    };

    void drop(std::map<Key, Pending>::iterator it);
    // The single pending message a package with gapped serials belongs to, or end().
    std::map<Key, Pending>::iterator find_gapped(const Header& h, PackageInfo pkg);

    ReassemblyLimits limits_;
    std::map<Key, Pending> pending_;
    std::size_t buffered_ = 0;
    ReassemblyStats stats_;
};

}  // namespace fleetwatch::jt808
