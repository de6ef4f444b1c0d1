#include "fleetwatch/api/auth.hpp"

#include <gtest/gtest.h>

#include <set>

namespace fleetwatch::api {
namespace {

using namespace std::chrono_literals;

TEST(Passwords, HashesAreSaltedArgon2idAndVerify) {
    const auto a = hash_password("correct horse");
    const auto b = hash_password("correct horse");
    EXPECT_TRUE(a.starts_with("$argon2id$"));
    EXPECT_NE(a, b);  // salted
    EXPECT_TRUE(verify_password(a, "correct horse"));
    EXPECT_FALSE(verify_password(a, "correct horsE"));
    EXPECT_FALSE(verify_password("not a hash", "correct horse"));
}

TEST(Tokens, AreRandomBase64UrlAndStoredAsSha256Hex) {
    std::set<std::string> seen;
    for (int i = 0; i < 100; ++i) {
        const auto t = new_token();
        EXPECT_EQ(t.size(), 43u);
        EXPECT_EQ(
            t.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
            std::string::npos);
        seen.insert(t);
    }
    EXPECT_EQ(seen.size(), 100u);
    EXPECT_EQ(token_sha256("abc"),
              "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Usernames, OnlyTheSafeAlphabet) {
    EXPECT_TRUE(valid_username("li.wei_2-x"));
    EXPECT_FALSE(valid_username(""));
    EXPECT_FALSE(valid_username("admin' OR '1'='1"));
    EXPECT_FALSE(valid_username(std::string(65, 'a')));
    EXPECT_TRUE(password_problem("short"));
    EXPECT_FALSE(password_problem("long enough"));
}

TEST(LoginLimiter, BlocksAUsernameAfterMaxFailuresUntilTheWindowPasses) {
    LoginLimiter limiter(3, 60s);
    const auto t0 = LoginLimiter::Clock::time_point{} + 1000s;
    for (int i = 0; i < 3; ++i) {
        EXPECT_FALSE(limiter.blocked_for("admin", "10.0.0.1", t0));
        limiter.record_failure("admin", "10.0.0.1", t0 + std::chrono::seconds(i));
    }
    // The name is blocked from any address; the address for any name.
    EXPECT_EQ(limiter.blocked_for("admin", "10.0.0.2", t0 + 3s), 57s);
    EXPECT_TRUE(limiter.blocked_for("other", "10.0.0.1", t0 + 3s));
    EXPECT_FALSE(limiter.blocked_for("other", "10.0.0.2", t0 + 3s));
    EXPECT_FALSE(limiter.blocked_for("admin", "10.0.0.2", t0 + 60s));
}

TEST(LoginLimiter, SuccessClearsTheUsernameButNotTheAddress) {
    LoginLimiter limiter(2, 60s);
    const auto t0 = LoginLimiter::Clock::time_point{} + 1000s;
    limiter.record_failure("a", "1.1.1.1", t0);
    limiter.record_failure("a", "1.1.1.1", t0);
    limiter.record_success("a");
    EXPECT_FALSE(limiter.blocked_for("a", "2.2.2.2", t0));
    EXPECT_TRUE(limiter.blocked_for("a", "1.1.1.1", t0));
}

}  // namespace
}  // namespace fleetwatch::api
