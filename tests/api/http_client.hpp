// A small synchronous HTTP/1.1 client for the API tests (Boost.Beast over loopback): one
// connection, reused for every request (keep-alive) until the server closes it.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

namespace fleetwatch::api::testing {

struct HttpReply {
    int status = 0;
    std::string body;
    std::map<std::string, std::string> headers;  // names lower-case
    bool keep_alive = false;
    nlohmann::json json() const { return nlohmann::json::parse(body); }
    std::string error_code() const;  // json()["error"]["code"], "" if not the error shape
};

class HttpClient {
  public:
    explicit HttpClient(std::uint16_t port);
    ~HttpClient();
    HttpClient(const HttpClient&) = delete;
    HttpClient& operator=(const HttpClient&) = delete;

    // Sends one request and reads the reply. Throws on a socket error (e.g. closed).
    HttpReply request(const std::string& method, const std::string& target,
                      const std::string& body = {}, const std::string& token = {},
                      std::map<std::string, std::string> headers = {});
    HttpReply get(const std::string& target, const std::string& token = {}) {
        return request("GET", target, {}, token);
    }
    HttpReply post_json(const std::string& target, const nlohmann::json& body,
                        const std::string& token = {}) {
        return request("POST", target, body.dump(), token);
    }

    // Raw bytes, then one reply parsed (for requests Beast's serializer would not write).
    void send_raw(const std::string& bytes);
    HttpReply read_reply();
    // True when the server closed the connection within `wait`.
    bool closed_by_server(std::chrono::milliseconds wait);

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace fleetwatch::api::testing
