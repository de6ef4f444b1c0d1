#include "fleetwatch/api/auth.hpp"

#include <sodium.h>

#include <array>
#include <stdexcept>

#include "fleetwatch/storage/users.hpp"

namespace fleetwatch::api {
namespace {

void ensure_sodium() {
    static const int ready = sodium_init();
    if (ready < 0) throw std::runtime_error("libsodium failed to initialise");
}

std::string base64url(const unsigned char* bytes, std::size_t n) {
    std::string out(sodium_base64_ENCODED_LEN(n, sodium_base64_VARIANT_URLSAFE_NO_PADDING), '\0');
    sodium_bin2base64(out.data(), out.size(), bytes, n, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    out.resize(out.find('\0'));
    return out;
}

std::string random_base64url(std::size_t bytes) {
    ensure_sodium();
    std::array<unsigned char, 64> buf{};
    randombytes_buf(buf.data(), bytes);
    std::string out = base64url(buf.data(), bytes);
    sodium_memzero(buf.data(), buf.size());
    return out;
}

}  // namespace

std::string hash_password(std::string_view password) {
    ensure_sodium();
    std::array<char, crypto_pwhash_STRBYTES> out{};
    if (crypto_pwhash_str(out.data(), password.data(), password.size(),
                          crypto_pwhash_OPSLIMIT_INTERACTIVE,
                          crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0) {
        throw std::runtime_error("cannot hash the password (out of memory)");
    }
    return std::string(out.data());
}

bool verify_password(const std::string& hash, std::string_view password) {
    ensure_sodium();
    return crypto_pwhash_str_verify(hash.c_str(), password.data(), password.size()) == 0;
}

void burn_password_verification(std::string_view password) {
    static const std::string kDummy = hash_password("fleetwatch: no such user");
    (void)verify_password(kDummy, password);
}

std::string new_token() { return random_base64url(32); }

std::string random_password() { return random_base64url(12); }

std::string token_sha256(std::string_view token) {
    ensure_sodium();
    std::array<unsigned char, crypto_hash_sha256_BYTES> digest{};
    crypto_hash_sha256(digest.data(), reinterpret_cast<const unsigned char*>(token.data()),
                       token.size());
    std::array<char, crypto_hash_sha256_BYTES * 2 + 1> hex{};
    sodium_bin2hex(hex.data(), hex.size(), digest.data(), digest.size());
    return std::string(hex.data());
}

bool valid_username(std::string_view name) noexcept {
    if (name.empty() || name.size() > 64) return false;
    for (const char c : name) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                        (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
        if (!ok) return false;
    }
    return true;
}

std::optional<std::string> password_problem(std::string_view password) {
    if (password.size() < 8) return "the password must have at least 8 characters";
    if (password.size() > 1024) return "the password must have at most 1024 bytes";
    return std::nullopt;
}

FirstAdmin ensure_first_admin(storage::Connection& conn, const std::string& password) {
    FirstAdmin result;
    // Cheap check first: hashing costs ~64 MiB and tens of milliseconds.
    if (!storage::list_users(conn).empty()) return result;
    std::string chosen = password;
    if (chosen.empty()) {
        chosen = random_password();
        result.generated_password = chosen;
    }
    result.created = storage::ensure_first_user(conn, "admin", "admin", hash_password(chosen));
    if (!result.created) result.generated_password.reset();
    return result;
}

// ---- LoginLimiter -------------------------------------------------------------------------------

LoginLimiter::LoginLimiter(std::size_t max_failures, std::chrono::seconds window)
    : max_failures_(max_failures == 0 ? 1 : max_failures), window_(window) {}

std::optional<std::chrono::seconds> LoginLimiter::wait_for(const std::string& key,
                                                           Clock::time_point now) {
    const auto it = failures_.find(key);
    if (it == failures_.end()) return std::nullopt;
    auto& q = it->second;
    while (!q.empty() && q.front() + window_ <= now) q.pop_front();
    if (q.size() < max_failures_) return std::nullopt;
    const auto left = q.front() + window_ - now;
    return std::chrono::ceil<std::chrono::seconds>(left);
}

std::optional<std::chrono::seconds> LoginLimiter::blocked_for(std::string_view username,
                                                              std::string_view address,
                                                              Clock::time_point now) {
    std::lock_guard lock(mutex_);
    const auto u = wait_for("u:" + std::string(username), now);
    const auto a = wait_for("a:" + std::string(address), now);
    if (u && a) return std::max(*u, *a);
    return u ? u : a;
}

void LoginLimiter::add(const std::string& key, Clock::time_point now) {
    auto& q = failures_[key];
    q.push_back(now);
    while (q.size() > max_failures_) q.pop_front();
}

void LoginLimiter::prune(Clock::time_point now) {
    for (auto it = failures_.begin(); it != failures_.end();) {
        if (it->second.empty() || it->second.back() + window_ <= now) {
            it = failures_.erase(it);
        } else {
            ++it;
        }
    }
    // Still too many (an attack from many names and addresses at once): start over rather
    // than grow without bound.
    if (failures_.size() >= kMaxKeys) failures_.clear();
}

void LoginLimiter::record_failure(std::string_view username, std::string_view address,
                                  Clock::time_point now) {
    std::lock_guard lock(mutex_);
    if (failures_.size() + 2 > kMaxKeys) prune(now);
    add("u:" + std::string(username), now);
    add("a:" + std::string(address), now);
}

void LoginLimiter::record_success(std::string_view username) {
    std::lock_guard lock(mutex_);
    failures_.erase("u:" + std::string(username));
}

}  // namespace fleetwatch::api
