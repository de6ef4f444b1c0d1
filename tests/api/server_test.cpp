#include "fleetwatch/api/server.hpp"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <thread>

#include "fleetwatch/api/router.hpp"
#include "fleetwatch/api/static_files.hpp"
#include "http_client.hpp"

namespace fleetwatch::api {
namespace {

using testing::HttpClient;
using namespace std::chrono_literals;

// A server on 127.0.0.1:0 with a few routes and a fake authenticator ("t-admin", "t-leader").
class ServerTest : public ::testing::Test {
  protected:
    void SetUp() override {
        router_.add("GET", "/api/v1/ping", {}, [](Request&) {
            return json_response({{"pong", true}});
        });
        router_.add("POST", "/api/v1/echo", {},
                    [](Request& r) { return json_response(r.json_object()); });
        router_.add("GET", "/api/v1/boom", {},
                    [](Request&) -> Response { throw std::runtime_error("handler bug"); });
        router_.add("GET", "/api/v1/things/{id}", kAllRoles, [](Request& r) {
            return json_response({{"id", r.id_param("id")}, {"user", r.caller().username}});
        });
        router_.add("DELETE", "/api/v1/things/{id}", {Role::admin}, [](Request&) {
            return json_response({{"deleted", true}});
        });
        router_.set_authenticator([](std::string_view token) -> std::optional<Principal> {
            if (token == "t-admin") return Principal{1, "root", Role::admin};
            if (token == "t-leader") return Principal{2, "li", Role::leader};
            return std::nullopt;
        });
        HttpServerOptions o;
        o.listen = "127.0.0.1:0";
        o.max_body_bytes = 4096;
        o.request_timeout = 1s;
        server_ = std::make_unique<HttpServer>(io_, o, router_);
        server_->start();
        thread_ = std::thread([this] { io_.run(); });
    }
    void TearDown() override {
        server_->stop();
        io_.stop();
        thread_.join();
    }
    std::uint16_t port() const { return server_->port(); }

    Router router_;
    boost::asio::io_context io_;
    std::unique_ptr<HttpServer> server_;
    std::thread thread_;
};

TEST_F(ServerTest, AnswersJsonAndKeepsTheConnectionForTheNextRequest) {
    HttpClient c(port());
    const auto a = c.get("/api/v1/ping");
    EXPECT_EQ(a.status, 200);
    EXPECT_EQ(a.json()["pong"], true);
    EXPECT_EQ(a.headers.at("content-type"), "application/json");
    EXPECT_TRUE(a.keep_alive);
    const auto b = c.post_json("/api/v1/echo", {{"x", 1}});  // same connection
    EXPECT_EQ(b.status, 200);
    EXPECT_EQ(b.json()["x"], 1);
}

TEST_F(ServerTest, UnknownPathIs404AndWrongMethodIs405WithAllow) {
    HttpClient c(port());
    const auto a = c.get("/api/v1/nothing");
    EXPECT_EQ(a.status, 404);
    EXPECT_EQ(a.error_code(), "not_found");
    const auto b = c.request("PUT", "/api/v1/things/3", "{}");
    EXPECT_EQ(b.status, 405);
    EXPECT_EQ(b.error_code(), "method_not_allowed");
    EXPECT_EQ(b.headers.at("allow"), "GET, DELETE");
}

TEST_F(ServerTest, AHandlerThatThrowsIsA500AndTheConnectionStillWorks) {
    HttpClient c(port());
    const auto a = c.get("/api/v1/boom");
    EXPECT_EQ(a.status, 500);
    EXPECT_EQ(a.error_code(), "internal_error");
    EXPECT_EQ(a.json()["error"]["message"].get<std::string>().find("handler bug"),
              std::string::npos);  // internals stay in the log
    EXPECT_EQ(c.get("/api/v1/ping").status, 200);
}

TEST_F(ServerTest, MalformedJsonIs400BadJson) {
    HttpClient c(port());
    const auto a = c.request("POST", "/api/v1/echo", "{\"x\": ");
    EXPECT_EQ(a.status, 400);
    EXPECT_EQ(a.error_code(), "bad_json");
    const auto b = c.request("POST", "/api/v1/echo", "[1,2]");
    EXPECT_EQ(b.error_code(), "bad_json");
    EXPECT_EQ(c.get("/api/v1/ping").status, 200);
}

TEST_F(ServerTest, AnOversizedBodyIs413AndTheConnectionIsClosed) {
    HttpClient c(port());
    const auto a = c.request("POST", "/api/v1/echo", std::string(5000, ' '));
    EXPECT_EQ(a.status, 413);
    EXPECT_EQ(a.error_code(), "body_too_large");
    EXPECT_FALSE(a.keep_alive);
    EXPECT_TRUE(c.closed_by_server(3s));
}

TEST_F(ServerTest, AnOversizedDeclaredBodyIsRefusedBeforeItIsSent) {
    HttpClient c(port());
    c.send_raw("POST /api/v1/echo HTTP/1.1\r\nHost: x\r\nContent-Length: 100000000\r\n\r\n{");
    const auto a = c.read_reply();
    EXPECT_EQ(a.status, 413);
    EXPECT_EQ(a.error_code(), "body_too_large");
}

TEST_F(ServerTest, OversizedHeadersAre431) {
    HttpClient c(port());
    const auto a = c.request("GET", "/api/v1/ping", {}, {}, {{"X-Big", std::string(9000, 'a')}});
    EXPECT_EQ(a.status, 431);
    EXPECT_EQ(a.error_code(), "headers_too_large");
    EXPECT_TRUE(c.closed_by_server(3s));
}

TEST_F(ServerTest, GarbageIs400AndClosed) {
    HttpClient c(port());
    c.send_raw("HELLO\x01 / HTTP/9\r\n\r\n");
    const auto a = c.read_reply();
    EXPECT_EQ(a.status, 400);
    EXPECT_EQ(a.error_code(), "bad_request");
}

TEST_F(ServerTest, ARequestNotCompleteWithinTheTimeoutClosesTheConnection) {
    HttpClient c(port());
    c.send_raw("GET /api/v1/ping HTTP/1.1\r\nHost: x\r\n");  // never finished
    EXPECT_TRUE(c.closed_by_server(3s));
}

TEST_F(ServerTest, AnIdleKeepAliveConnectionIsClosedAfterTheTimeout) {
    HttpClient c(port());
    EXPECT_EQ(c.get("/api/v1/ping").status, 200);
    EXPECT_TRUE(c.closed_by_server(3s));
}

TEST_F(ServerTest, ProtectedRoutesWant401WithoutATokenAnd403ForTheWrongRole) {
    HttpClient c(port());
    const auto none = c.get("/api/v1/things/7");
    EXPECT_EQ(none.status, 401);
    EXPECT_EQ(none.error_code(), "unauthenticated");
    EXPECT_EQ(none.headers.at("www-authenticate"), "Bearer");
    EXPECT_EQ(c.get("/api/v1/things/7", "wrong").status, 401);
    const auto ok = c.get("/api/v1/things/7", "t-leader");
    EXPECT_EQ(ok.status, 200);
    EXPECT_EQ(ok.json()["user"], "li");
    const auto denied = c.request("DELETE", "/api/v1/things/7", {}, "t-leader");
    EXPECT_EQ(denied.status, 403);
    EXPECT_EQ(denied.error_code(), "forbidden");
    EXPECT_EQ(c.request("DELETE", "/api/v1/things/7", {}, "t-admin").status, 200);
}

TEST_F(ServerTest, PipelinedRequestsAreAnsweredInOrder) {
    HttpClient c(port());
    c.send_raw(
        "GET /api/v1/things/1 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer t-admin\r\n\r\n"
        "GET /api/v1/things/2 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer t-admin\r\n\r\n");
    EXPECT_EQ(c.read_reply().json()["id"], 1);
    EXPECT_EQ(c.read_reply().json()["id"], 2);
}

TEST_F(ServerTest, StopClosesOpenConnections) {
    HttpClient c(port());
    EXPECT_EQ(c.get("/api/v1/ping").status, 200);
    server_->stop();
    EXPECT_TRUE(c.closed_by_server(2s));
}

TEST(HttpServer, StartThrowsForABusyPort) {
    Router router;
    boost::asio::io_context io;
    HttpServerOptions o;
    o.listen = "127.0.0.1:0";
    HttpServer first(io, o, router);
    first.start();
    o.listen = "127.0.0.1:" + std::to_string(first.port());
    HttpServer second(io, o, router);
    EXPECT_THROW(second.start(), std::runtime_error);
}

// The dashboard's files: served from the root, never from outside it, however the path is
// written (acceptance: "path traversal on static files ... a clear 4xx and changes nothing").
class StaticServerTest : public ServerTest {
  protected:
    void SetUp() override {
        base_ = std::filesystem::temp_directory_path() /
                ("fleetwatch-static-" + std::to_string(::getpid()));
        std::filesystem::remove_all(base_);
        std::filesystem::create_directories(base_ / "web" / "sub");
        std::ofstream(base_ / "web" / "index.html") << "<h1>fleetwatch</h1>";
        std::ofstream(base_ / "web" / "app.js") << "console.log(1)";
        std::ofstream(base_ / "web" / "sub" / "index.html") << "sub";
        std::ofstream(base_ / "secret.txt") << "do not serve";
        std::filesystem::create_symlink(base_ / "secret.txt", base_ / "web" / "link-out");
        std::filesystem::create_directories(base_ / "web" / "trap");
        std::filesystem::create_symlink(base_ / "secret.txt", base_ / "web" / "trap" / "index.html");
        files_ = std::make_unique<StaticFiles>(base_ / "web");
        router_.set_static([this](Request& r) { return files_->serve(r); });
        ServerTest::SetUp();
    }
    void TearDown() override {
        ServerTest::TearDown();
        std::filesystem::remove_all(base_);
    }
    std::filesystem::path base_;
    std::unique_ptr<StaticFiles> files_;
};

TEST_F(StaticServerTest, ServesTheRootsFilesWithTheirTypes) {
    HttpClient c(port());
    const auto index = c.get("/");
    EXPECT_EQ(index.status, 200);
    EXPECT_EQ(index.body, "<h1>fleetwatch</h1>");
    EXPECT_EQ(index.headers.at("content-type"), "text/html; charset=utf-8");
    const auto js = c.get("/app.js");
    EXPECT_EQ(js.status, 200);
    EXPECT_EQ(js.headers.at("content-type"), "text/javascript; charset=utf-8");
    EXPECT_EQ(c.get("/sub/").body, "sub");
    EXPECT_EQ(c.get("/sub").body, "sub");
    EXPECT_EQ(c.get("/nope.html").error_code(), "not_found");
    // /api/ stays the API's: no route is a JSON 404, never a file.
    EXPECT_EQ(c.get("/api/v1/index.html").error_code(), "not_found");
    EXPECT_EQ(c.request("POST", "/app.js", "x").status, 404);
}

TEST_F(StaticServerTest, TraversalIsRefusedHoweverItIsWritten) {
    for (const std::string target :
         {"/../secret.txt", "/%2e%2e/secret.txt", "/%2E%2E/secret.txt", "/sub/../../secret.txt",
          "/sub/%2e%2e/%2e%2e/secret.txt", "/..%2fsecret.txt", "/..%5csecret.txt",
          "/./index.html", "/index.html%00.js", "/%0d%0aSet-Cookie:x"}) {
        HttpClient c(port());
        c.send_raw("GET " + target + " HTTP/1.1\r\nHost: x\r\n\r\n");
        const auto r = c.read_reply();
        EXPECT_EQ(r.status, 400) << target << " -> " << r.body;
        EXPECT_EQ(r.error_code(), "invalid_path") << target;
        EXPECT_EQ(r.body.find("do not serve"), std::string::npos) << target;
    }
    // A symlink out of the root, and a path too long, are not files here.
    HttpClient c(port());
    EXPECT_EQ(c.get("/link-out").status, 404);
    EXPECT_EQ(c.get("/trap/").status, 404);  // a directory whose index.html leads out
    EXPECT_EQ(c.get("/" + std::string(1100, 'a')).status, 400);
    // Nothing changed on disk.
    EXPECT_EQ(std::filesystem::file_size(base_ / "secret.txt"), 12u);
}

}  // namespace
}  // namespace fleetwatch::api
