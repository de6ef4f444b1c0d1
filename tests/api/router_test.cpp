#include "fleetwatch/api/router.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "fleetwatch/api/http.hpp"

namespace fleetwatch::api {
namespace {

Request make(const std::string& method, const std::string& target) {
    Request r;
    r.method = method;
    r.target = target;
    EXPECT_TRUE(split_target(target, r.path, r.query));
    return r;
}

TEST(Router, PathParametersAreCapturedAndLiteralSegmentsMustMatch) {
    Router router;
    router.add("GET", "/a/{id}/b", {}, [](Request& r) {
        return json_response({{"id", r.params.at("id")}});
    });
    auto ok = make("GET", "/a/42/b?x=1");
    EXPECT_EQ(nlohmann::json::parse(router.dispatch(ok).body)["id"], "42");
    auto wrong = make("GET", "/a/42/c");
    EXPECT_EQ(router.dispatch(wrong).status, 404);
    auto empty = make("GET", "/a//b");
    EXPECT_EQ(router.dispatch(empty).status, 404);
    auto longer = make("GET", "/a/42/b/c");
    EXPECT_EQ(router.dispatch(longer).status, 404);
}

TEST(Router, ANonNumericIdIs404) {
    Router router;
    router.add("GET", "/v/{id}", {}, [](Request& r) {
        return json_response({{"id", r.id_param("id")}});
    });
    for (const char* t :
         {"/v/abc", "/v/-1", "/v/0", "/v/1%27%20OR%201=1", "/v/99999999999999999999"}) {
        auto r = make("GET", t);
        const auto res = router.dispatch(r);
        EXPECT_EQ(res.status, 404) << t;
        EXPECT_EQ(nlohmann::json::parse(res.body)["error"]["code"], "not_found") << t;
    }
}

TEST(Router, DuplicateRoutesAndBadPatternsAreRefused) {
    Router router;
    router.add("GET", "/x", {}, [](Request&) { return Response{}; });
    EXPECT_THROW(router.add("GET", "/x", {}, [](Request&) { return Response{}; }),
                 std::invalid_argument);
    EXPECT_THROW(router.add("GET", "x", {}, [](Request&) { return Response{}; }),
                 std::invalid_argument);
    router.add("POST", "/x", {}, [](Request&) { return Response{}; });
    EXPECT_EQ(router.routes().size(), 2u);
}

TEST(Router, ApiErrorsFromHandlersBecomeTheErrorShapeWithRetryAfter) {
    Router router;
    router.add("GET", "/slow", {}, [](Request&) -> Response {
        throw ApiError(429, "too_many_attempts", "wait", "username")
            .retry_after(std::chrono::seconds{7});
    });
    auto r = make("GET", "/slow");
    const auto res = router.dispatch(r);
    EXPECT_EQ(res.status, 429);
    const auto j = nlohmann::json::parse(res.body);
    EXPECT_EQ(j["error"]["code"], "too_many_attempts");
    EXPECT_EQ(j["error"]["message"], "wait");
    EXPECT_EQ(j["error"]["field"], "username");
    ASSERT_EQ(res.headers.size(), 1u);
    EXPECT_EQ(res.headers[0].first, "Retry-After");
    EXPECT_EQ(res.headers[0].second, "7");
}

TEST(Router, TheBearerSchemeIsCaseInsensitiveAndOtherSchemesAreRefused) {
    Router router;
    router.add("GET", "/me", kAllRoles, [](Request& r) {
        return json_response({{"u", r.caller().username}});
    });
    router.set_authenticator([](std::string_view t) -> std::optional<Principal> {
        if (t == "good") return Principal{1, "u", Role::manager};
        return std::nullopt;
    });
    for (const auto& [header, status] :
         std::vector<std::pair<std::string, int>>{{"Bearer good", 200},
                                                  {"bearer good", 200},
                                                  {"Basic good", 401},
                                                  {"Bearer ", 401},
                                                  {"Bearer bad", 401}}) {
        auto r = make("GET", "/me");
        r.headers["authorization"] = header;
        EXPECT_EQ(router.dispatch(r).status, status) << header;
    }
}

TEST(Http, TargetsAreSplitAndDecoded) {
    std::string path;
    std::map<std::string, std::string, std::less<>> q;
    ASSERT_TRUE(split_target("/a%20b/c?from=2026-03-10T01%3A02%3A03Z&x=a+b&flag", path, q));
    EXPECT_EQ(path, "/a b/c");
    EXPECT_EQ(q["from"], "2026-03-10T01:02:03Z");
    EXPECT_EQ(q["x"], "a b");
    EXPECT_EQ(q["flag"], "");
    EXPECT_FALSE(split_target("/a%2", path, q));
    EXPECT_FALSE(split_target("/a?x=%zz", path, q));
}

TEST(Http, RolesRoundTrip) {
    for (const auto r : kAllRoles) EXPECT_EQ(parse_role(to_string(r)), r);
    EXPECT_FALSE(parse_role("root"));
}

}  // namespace
}  // namespace fleetwatch::api
