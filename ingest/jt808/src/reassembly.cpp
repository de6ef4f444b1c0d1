#include "fleetwatch/jt808/reassembly.hpp"

namespace fleetwatch::jt808 {

Expected<std::optional<ReassembledMessage>> Reassembler::add(const Frame& f, Clock::time_point now) {
    using Result = std::optional<ReassembledMessage>;
    if (!f.header.package) return Error{Errc::bad_field, "frame is not a sub-package"};
    const PackageInfo pkg = *f.header.package;
    // parse_frame checks this too, but add() is public: an index outside 1..total would be
    // used as a slot number below.
    if (pkg.total == 0 || pkg.index == 0 || pkg.index > pkg.total) {
        return Error{Errc::bad_field, "sub-package index outside 1..total", pkg.total, pkg.index};
    }
    if (pkg.total > limits_.max_packages) {
        ++stats_.refused;
        return Error{Errc::reassembly_limit, "sub-package total above the limit",
                     limits_.max_packages, pkg.total};
    }
    const auto first_serial = static_cast<std::uint16_t>(f.header.serial - (pkg.index - 1));
    const Key key{f.header.msg_id, first_serial};

    auto it = pending_.find(key);
    if (it == pending_.end() && pkg.index > 1) it = find_gapped(f.header, pkg);
    if (it == pending_.end()) {
        if (pending_.size() >= limits_.max_pending_messages) {
            ++stats_.refused;
            return Error{Errc::reassembly_limit, "too many messages being reassembled",
                         static_cast<std::int64_t>(limits_.max_pending_messages),
                         static_cast<std::int64_t>(pending_.size() + 1)};
        }
        Pending p;
        p.total = pkg.total;
        p.parts.resize(pkg.total);
        p.have.assign(pkg.total, false);
        p.last_progress = now;
        it = pending_.emplace(key, std::move(p)).first;
    }
    Pending& p = it->second;
    if (p.total != pkg.total) {
        ++stats_.refused;
        return Error{Errc::bad_field, "sub-package total differs from earlier packages", p.total,
                     pkg.total};
    }
    const std::size_t slot = pkg.index - 1u;
    if (p.have[slot]) {
        ++stats_.duplicates;  // a retransmission: keep the first copy
        return Result{};
    }
    if (buffered_ + f.body.size() > limits_.max_buffered_bytes) {
        ++stats_.refused;
        drop(it);
        return Error{Errc::reassembly_limit, "sub-package bytes above the limit",
                     static_cast<std::int64_t>(limits_.max_buffered_bytes),
                     static_cast<std::int64_t>(buffered_ + f.body.size())};
    }
    if (pkg.index == 1) p.first_header = f.header;
    p.parts[slot].assign(f.body.begin(), f.body.end());
    p.have[slot] = true;
    ++p.received;
    p.bytes += f.body.size();
    buffered_ += f.body.size();
    p.last_progress = now;
    p.resend_requested = false;
    if (p.received < p.total) return Result{};

    ReassembledMessage m;
    m.header = p.first_header;
    m.header.package.reset();
    m.body.reserve(p.bytes);
    for (const auto& part : p.parts) m.body.insert(m.body.end(), part.begin(), part.end());
    m.header.body_length = 0;
    drop(it);
    ++stats_.completed;
    return Result{std::move(m)};
}

std::map<Reassembler::Key, Reassembler::Pending>::iterator Reassembler::find_gapped(
    const Header& h, PackageInfo pkg) {
    auto found = pending_.end();
    for (auto it = pending_.begin(); it != pending_.end(); ++it) {
        const Pending& p = it->second;
        const auto distance = static_cast<std::uint16_t>(h.serial - it->first.first_serial);
        if (it->first.msg_id != h.msg_id || p.total != pkg.total || p.have[pkg.index - 1u] ||
            distance < pkg.index - 1u || distance > kMaxSerialGap) {
            continue;
        }
        if (found != pending_.end()) return pending_.end();  // ambiguous: do not guess
        found = it;
    }
    return found;
}

void Reassembler::drop(std::map<Key, Pending>::iterator it) {
    buffered_ -= it->second.bytes;
    pending_.erase(it);
}

std::vector<std::uint16_t> Reassembler::missing(std::uint16_t msg_id,
                                                std::uint16_t first_serial) const {
    std::vector<std::uint16_t> out;
    const auto it = pending_.find(Key{msg_id, first_serial});
    if (it == pending_.end()) return out;
    for (std::size_t i = 0; i < it->second.have.size(); ++i) {
        if (!it->second.have[i]) out.push_back(static_cast<std::uint16_t>(i + 1));
    }
    return out;
}

std::vector<ResendDue> Reassembler::due_resends(Clock::time_point now, std::vector<Error>* dropped) {
    std::vector<ResendDue> due;
    for (auto it = pending_.begin(); it != pending_.end();) {
        Pending& p = it->second;
        const auto quiet = now - p.last_progress;
        if (quiet >= limits_.timeout) {
            ++stats_.timed_out;
            if (dropped) {
                dropped->push_back(Error{Errc::reassembly_timeout,
                                         "sub-packaged message incomplete after the timeout",
                                         p.total, p.received});
            }
            auto victim = it++;
            drop(victim);
            continue;
        }
        const bool quiet_enough = quiet >= limits_.resend_after &&
                                  (!p.resend_requested ||
                                   now - p.last_resend_request >= limits_.resend_after);
        if (quiet_enough) {
            p.resend_requested = true;
            p.last_resend_request = now;
            due.push_back(ResendDue{it->first.msg_id, it->first.first_serial,
                                    missing(it->first.msg_id, it->first.first_serial)});
        }
        ++it;
    }
    return due;
}

}  // namespace fleetwatch::jt808
