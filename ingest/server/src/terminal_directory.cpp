#include "fleetwatch/ingest/terminal_directory.hpp"

#include <mutex>
#include <random>
#include <utility>

namespace fleetwatch::ingest {

TerminalDirectory::TerminalDirectory(Options options) : options_(options) {
    if (options_.auth_code_length == 0) options_.auth_code_length = 16;
}

void TerminalDirectory::set_persist_hook(PersistHook hook) { persist_ = std::move(hook); }

void TerminalDirectory::set_auto_register_hook(AutoRegisterHook hook) {
    auto_register_hook_ = std::move(hook);
}

void TerminalDirectory::replace_all(std::vector<TerminalRecord> records) {
    Map next;
    next.reserve(records.size());
    for (auto& r : records) {
        if (r.phone_key.empty()) continue;
        std::string key = r.phone_key;
        next.insert_or_assign(std::move(key), Entry{std::move(r), false, false});
    }
    std::unique_lock lock(mutex_);
    for (auto& [key, old] : entries_) {
        auto it = next.find(key);
        if (it == next.end()) {
            if (old.auto_registered_here) next.emplace(key, old);
            continue;
        }
        if (old.code_issued_here) {
            it->second.record.auth_code = old.record.auth_code;
            it->second.record.dialect = old.record.dialect;
            it->second.code_issued_here = true;
        }
    }
    entries_.swap(next);
}

void TerminalDirectory::upsert(TerminalRecord record) {
    if (record.phone_key.empty()) return;
    std::unique_lock lock(mutex_);
    std::string key = record.phone_key;
    entries_.insert_or_assign(std::move(key), Entry{std::move(record), false, false});
}

std::optional<TerminalRecord> TerminalDirectory::find(std::string_view phone_key) const {
    std::shared_lock lock(mutex_);
    auto it = entries_.find(phone_key);
    if (it == entries_.end()) return std::nullopt;
    return it->second.record;
}

std::size_t TerminalDirectory::size() const {
    std::shared_lock lock(mutex_);
    return entries_.size();
}

RegisterOutcome TerminalDirectory::register_terminal(const RegistrationDetails& details) {
    RegisterOutcome out;
    bool known = false;
    {
        std::shared_lock lock(mutex_);
        known = entries_.find(details.phone_key) != entries_.end();
    }
    std::optional<core::VehicleId> new_vehicle;
    if (!known) {
        if (!options_.auto_register || !auto_register_hook_) return out;  // unknown_terminal
        new_vehicle = auto_register_hook_(details);
        if (!new_vehicle) return out;
    }
    std::string code = generate_auth_code(options_.auth_code_length);
    {
        std::unique_lock lock(mutex_);
        auto it = entries_.find(details.phone_key);
        if (it == entries_.end()) {
            if (!new_vehicle) return out;  // removed by a refresh meanwhile
            Entry e;
            e.record.phone_key = details.phone_key;
            e.record.vehicle_id = *new_vehicle;
            e.record.plate = details.plate;
            e.auto_registered_here = true;
            it = entries_.emplace(details.phone_key, std::move(e)).first;
            out.status = RegisterStatus::auto_registered;
        } else {
            out.status = RegisterStatus::ok;
        }
        it->second.record.auth_code = std::move(code);
        it->second.record.dialect = details.dialect;
        it->second.code_issued_here = true;
        out.record = it->second.record;
    }
    if (persist_) persist_(out.record, details);
    return out;
}

AuthOutcome TerminalDirectory::authenticate(std::string_view phone_key,
                                            std::span<const std::uint8_t> code) const {
    AuthOutcome out;
    std::shared_lock lock(mutex_);
    auto it = entries_.find(phone_key);
    if (it == entries_.end()) return out;
    const TerminalRecord& r = it->second.record;
    out.vehicle_id = r.vehicle_id;
    out.dialect = r.dialect;
    // Constant time in the code's contents (the length is not secret).
    bool same = !r.auth_code.empty() && r.auth_code.size() == code.size();
    unsigned diff = 0;
    if (same) {
        for (std::size_t i = 0; i < code.size(); ++i) {
            diff |= static_cast<unsigned>(static_cast<std::uint8_t>(r.auth_code[i]) ^ code[i]);
        }
    }
    out.status = same && diff == 0 ? AuthStatus::ok : AuthStatus::bad_code;
    return out;
}

void TerminalDirectory::revoke_auth_code(std::string_view phone_key) {
    std::unique_lock lock(mutex_);
    auto it = entries_.find(phone_key);
    if (it == entries_.end()) return;
    it->second.record.auth_code.clear();
    it->second.code_issued_here = true;  // a snapshot must not bring the old code back
}

std::string TerminalDirectory::generate_auth_code(std::size_t length) {
    static constexpr char kAlphabet[] =
        "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    constexpr unsigned kSize = sizeof kAlphabet - 1;  // 62
    std::random_device rd;                            // getrandom(2) on Linux
    std::string code;
    code.reserve(length);
    while (code.size() < length) {
        const unsigned v = rd() & 0xFFu;
        if (v >= 4 * kSize) continue;  // reject to keep the distribution uniform
        code.push_back(kAlphabet[v % kSize]);
    }
    return code;
}

}  // namespace fleetwatch::ingest
