#include "fleetwatch/storage/users.hpp"

#include <pqxx/nontransaction>
#include <pqxx/transaction>

#include "connection_impl.hpp"

namespace fleetwatch::storage {
namespace {

constexpr const char* kUserColumns =
    "id, username, role, password_hash, disabled, extract(epoch FROM created_at)::bigint";

User to_user(const pqxx::row& row) {
    User u;
    u.id = row[0].as<std::int64_t>();
    u.username = row[1].as<std::string>();
    u.role = row[2].as<std::string>();
    u.password_hash = row[3].as<std::string>();
    u.disabled = row[4].as<bool>();
    u.created_at = core::Timestamp{std::chrono::seconds{row[5].as<std::int64_t>()}};
    return u;
}

// pg_advisory_xact_lock key for ensure_first_user ("fwusers\0").
constexpr std::int64_t kFirstUserLockKey = 0x6677757365727300;

}  // namespace

std::int64_t create_user(Connection& conn, const std::string& username, const std::string& role,
                         const std::string& password_hash) {
    return detail::translate_errors("create user", [&] {
        pqxx::work tx(detail::native(conn));
        const auto row = tx.exec_params1(
            "INSERT INTO users (username, role, password_hash) VALUES ($1, $2, $3) RETURNING id",
            username, role, password_hash);
        tx.commit();
        return row[0].as<std::int64_t>();
    });
}

bool set_password(Connection& conn, const std::string& username, const std::string& password_hash) {
    return detail::translate_errors("set password", [&] {
        pqxx::work tx(detail::native(conn));
        const auto r = tx.exec_params(
            "UPDATE users SET password_hash = $2, updated_at = now() WHERE username = $1 "
            "RETURNING id",
            username, password_hash);
        if (r.empty()) return false;
        tx.exec_params("DELETE FROM api_tokens WHERE user_id = $1", r[0][0].as<std::int64_t>());
        tx.commit();
        return true;
    });
}

bool set_role(Connection& conn, const std::string& username, const std::string& role) {
    return detail::translate_errors("set role", [&] {
        pqxx::work tx(detail::native(conn));
        const auto r = tx.exec_params(
            "UPDATE users SET role = $2, updated_at = now() WHERE username = $1", username, role);
        tx.commit();
        return r.affected_rows() > 0;
    });
}

bool set_disabled(Connection& conn, const std::string& username, bool disabled) {
    return detail::translate_errors("disable user", [&] {
        pqxx::work tx(detail::native(conn));
        const auto r = tx.exec_params(
            "UPDATE users SET disabled = $2, updated_at = now() WHERE username = $1 RETURNING id",
            username, disabled);
        if (r.empty()) return false;
        if (disabled) {
            tx.exec_params("DELETE FROM api_tokens WHERE user_id = $1", r[0][0].as<std::int64_t>());
        }
        tx.commit();
        return true;
    });
}

std::vector<User> list_users(Connection& conn) {
    return detail::translate_errors("list users", [&] {
        pqxx::nontransaction tx(detail::native(conn));
        std::vector<User> out;
        for (const auto& row :
             tx.exec(std::string("SELECT ") + kUserColumns + " FROM users ORDER BY username")) {
            out.push_back(to_user(row));
        }
        return out;
    });
}

std::optional<User> find_user(Connection& conn, const std::string& username) {
    return detail::translate_errors("find user", [&]() -> std::optional<User> {
        pqxx::nontransaction tx(detail::native(conn));
        const auto r = tx.exec_params(
            std::string("SELECT ") + kUserColumns + " FROM users WHERE username = $1", username);
        if (r.empty()) return std::nullopt;
        return to_user(r[0]);
    });
}

bool ensure_first_user(Connection& conn, const std::string& username, const std::string& role,
                       const std::string& password_hash) {
    return detail::translate_errors("create the first user", [&] {
        pqxx::work tx(detail::native(conn));
        tx.exec("SELECT pg_advisory_xact_lock(" + std::to_string(kFirstUserLockKey) + ")");
        const auto r = tx.exec_params(
            "INSERT INTO users (username, role, password_hash) SELECT $1, $2, $3 "
            "WHERE NOT EXISTS (SELECT 1 FROM users)",
            username, role, password_hash);
        tx.commit();
        return r.affected_rows() > 0;
    });
}

void save_token(Connection& conn, const std::string& token_sha256, std::int64_t user_id,
                core::Timestamp expires_at) {
    detail::translate_errors("save token", [&] {
        pqxx::work tx(detail::native(conn));
        tx.exec("DELETE FROM api_tokens WHERE expires_at < now() - interval '1 day'");
        tx.exec_params(
            "INSERT INTO api_tokens (token_sha256, user_id, expires_at) "
            "VALUES ($1, $2, $3::timestamptz)",
            token_sha256, user_id, detail::timestamptz(expires_at));
        tx.commit();
    });
}

std::optional<User> find_token_user(Connection& conn, const std::string& token_sha256,
                                    core::Timestamp now) {
    return detail::translate_errors("find token", [&]() -> std::optional<User> {
        pqxx::nontransaction tx(detail::native(conn));
        const auto r = tx.exec_params(
            "SELECT u.id, u.username, u.role, u.password_hash, u.disabled, "
            "extract(epoch FROM u.created_at)::bigint "
            "FROM api_tokens t JOIN users u ON u.id = t.user_id "
            "WHERE t.token_sha256 = $1 AND t.expires_at > $2::timestamptz AND NOT u.disabled",
            token_sha256, detail::timestamptz(now));
        if (r.empty()) return std::nullopt;
        return to_user(r[0]);
    });
}

bool delete_token(Connection& conn, const std::string& token_sha256) {
    return detail::translate_errors("delete token", [&] {
        pqxx::work tx(detail::native(conn));
        const auto r =
            tx.exec_params("DELETE FROM api_tokens WHERE token_sha256 = $1", token_sha256);
        tx.commit();
        return r.affected_rows() > 0;
    });
}

}  // namespace fleetwatch::storage
