// Passwords, tokens and the login rate limit.
//
// Passwords are stored as argon2id strings (libsodium crypto_pwhash_str with the
// "interactive" limits: salt and parameters inside the string). Tokens are 32 random bytes in
// base64url (43 characters), handed to the client once; the database keeps only their SHA-256
// (hex), so a copy of the table grants nothing.
#pragma once

#include <chrono>
#include <cstddef>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace fleetwatch::storage {
class Connection;
}

namespace fleetwatch::api {

// argon2id hash string. Throws std::runtime_error when libsodium cannot (out of memory).
std::string hash_password(std::string_view password);
// Constant-time in the password; false for a wrong password or a malformed hash.
bool verify_password(const std::string& hash, std::string_view password);
// Verifies against a fixed hash, so an unknown username costs as much time as a wrong password.
void burn_password_verification(std::string_view password);

std::string new_token();                           // 43 base64url characters, 256 random bits
std::string token_sha256(std::string_view token);  // 64 lowercase hex digits
std::string random_password();                     // 16 base64url characters (96 random bits)

// Accepted usernames: 1-64 of A-Z a-z 0-9 . _ - (as the users table CHECKs).
bool valid_username(std::string_view name) noexcept;
// Accepted new passwords: 8..1024 bytes. Returns the problem, or nullopt when acceptable.
std::optional<std::string> password_problem(std::string_view password);

// On first start with an empty users table: creates `admin` (role admin) with `password`, or a
// random one when `password` is empty. Returns whether it created the user and the random
// password (to be shown once). Throws storage::DatabaseError.
struct FirstAdmin {
    bool created = false;
    std::optional<std::string> generated_password;
};
FirstAdmin ensure_first_admin(storage::Connection& conn, const std::string& password);

// Failed logins per username and per client address in a sliding window. At `max_failures`
// failures within `window` under either key, further attempts are refused until the oldest
// failure leaves the window — without checking the password, so a correct guess does not
// help. A successful login clears its username's (not its address's) failures.
// Thread-safe. Memory is bounded: at most kMaxKeys keys (the oldest are forgotten first).
class LoginLimiter {
  public:
    using Clock = std::chrono::steady_clock;
    static constexpr std::size_t kMaxKeys = 100'000;

    LoginLimiter(std::size_t max_failures, std::chrono::seconds window);

    // How long to wait before trying again; nullopt when an attempt is allowed now.
    std::optional<std::chrono::seconds> blocked_for(std::string_view username,
                                                    std::string_view address,
                                                    Clock::time_point now = Clock::now());
    void record_failure(std::string_view username, std::string_view address,
                        Clock::time_point now = Clock::now());
    void record_success(std::string_view username);

  private:
    std::optional<std::chrono::seconds> wait_for(const std::string& key, Clock::time_point now);
    void add(const std::string& key, Clock::time_point now);
    void prune(Clock::time_point now);

    std::size_t max_failures_;
    std::chrono::seconds window_;
    std::mutex mutex_;
    std::unordered_map<std::string, std::deque<Clock::time_point>> failures_;
};

}  // namespace fleetwatch::api
