// Users of the HTTP API and their bearer tokens (migration 0003_users.sql).
//
// Storage only keeps what it is given: password hashes are computed by the caller (api/,
// argon2id via libsodium) and tokens arrive already hashed (SHA-256, 64 lowercase hex digits).
// Roles are "admin", "dispatcher", "manager", "leader" (API.md); the database CHECKs them.
// Every function runs one short statement or transaction and throws DatabaseError; a
// duplicate username is SQLSTATE 23505 (DatabaseError::sqlstate()).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "fleetwatch/core/time.hpp"
#include "fleetwatch/storage/database.hpp"

namespace fleetwatch::storage {

struct User {
    std::int64_t id = 0;
    std::string username;
    std::string role;
    std::string password_hash;
    bool disabled = false;
    core::Timestamp created_at{};
};

// Inserts a user; returns its id.
std::int64_t create_user(Connection& conn, const std::string& username, const std::string& role,
                         const std::string& password_hash);
// Replaces the password hash and revokes every token of the user. False: no such user.
bool set_password(Connection& conn, const std::string& username, const std::string& password_hash);
// Changes the role. False: no such user.
bool set_role(Connection& conn, const std::string& username, const std::string& role);
// Disables (or re-enables) a user; disabling revokes their tokens. False: no such user.
bool set_disabled(Connection& conn, const std::string& username, bool disabled);
// Every user ordered by username (password hashes included; callers must not show them).
std::vector<User> list_users(Connection& conn);
std::optional<User> find_user(Connection& conn, const std::string& username);

// Creates `username` with `role` and `password_hash` only when the users table is empty (under
// a transaction-level advisory lock, so two servers starting together create it once).
// True when it created the user.
bool ensure_first_user(Connection& conn, const std::string& username, const std::string& role,
                       const std::string& password_hash);

// Stores a token (its SHA-256 hex) for `user_id`, valid until `expires_at`. Also deletes tokens
// that expired more than a day ago, so the table stays small.
void save_token(Connection& conn, const std::string& token_sha256, std::int64_t user_id,
                core::Timestamp expires_at);
// The user holding an unexpired token, when that user exists and is not disabled.
std::optional<User> find_token_user(Connection& conn, const std::string& token_sha256,
                                    core::Timestamp now);
// Deletes one token (logout). False: there was no such token.
bool delete_token(Connection& conn, const std::string& token_sha256);

}  // namespace fleetwatch::storage
