// Sending one webhook request (docs/api.md "Webhooks"): the signature, the retry schedule,
// the URL and an HTTP/1.1 POST over http or https with a deadline.
//
// Signature: `X-Fleetwatch-Signature: sha256=<hex>`, HMAC-SHA256 of the exact body bytes with
// the webhook's secret (the secret's UTF-8 bytes are the key).
//
// Retries: after failed attempt n (1-based) the next one is due after
// min(base * 2^(n-1), cap), times a jitter factor in [0.8, 1.2); after `max_attempts`
// attempts the delivery is `failed`.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace fleetwatch::webhooks {

// "sha256=" + lower-case hex HMAC-SHA256(key = secret, message = body).
std::string signature_header(std::string_view secret, std::string_view body);

// DingTalk's 加签 (robot security setting "sign"): a `dingtalk` webhook whose secret is the
// robot's own (DingTalk writes it as "SEC" + 64 hex digits) gets `timestamp=<ms>&sign=<s>`
// appended to its URL on every attempt, s = URL-encoded base64 of HMAC-SHA256(key = secret,
// message = timestamp "\n" secret). DingTalk refuses a timestamp more than an hour off.
bool dingtalk_signs(std::string_view format, std::string_view secret);
std::string dingtalk_sign_query(std::string_view secret, std::int64_t timestamp_ms);

struct RetryPolicy {
    std::chrono::milliseconds base{2000};
    std::chrono::milliseconds cap{std::chrono::minutes{10}};
    int max_attempts = 20;  // 2 s, 4 s ... 8.5 min, then every 10 min: about 2.3 h in all
};
// The wait after `attempts_made` failed attempts (>= 1); `jitter` in [0, 1).
std::chrono::milliseconds retry_delay(const RetryPolicy& p, int attempts_made, double jitter);

struct Url {
    bool https = false;
    std::string host;  // a name, an IPv4 address, or an IPv6 address without brackets
    std::uint16_t port = 0;
    std::string target;  // path and query, at least "/"
};
// http://host[:port][/path][?query] or https://...; no user info, no fragment, no spaces or
// control characters, at most 2048 bytes. nullopt otherwise.
std::optional<Url> parse_url(std::string_view text);

struct PostResult {
    std::optional<int> status;  // the HTTP status, when an answer came
    std::string error;          // why there was no usable answer ("connect: Connection refused")
    std::string body;           // the answer's body, at most 64 KiB
    bool abandoned = false;     // stopped by `abandon` before it finished
};

// One POST with a deadline for the whole exchange (resolve, connect, TLS, write, read).
// https verifies the peer against the system's CA store and the host name, with SNI.
// `abandon` is polled every 50 ms: when set, the request is given up (PostResult::abandoned).
// Thread-safe: each call has its own io_context.
PostResult post(const Url& url, const std::vector<std::pair<std::string, std::string>>& headers,
                const std::string& body, std::chrono::milliseconds timeout,
                const std::atomic<bool>& abandon);

// One signed delivery attempt: the headers (X-Fleetwatch-Signature, -Delivery, -Event,
// -Attempt), the POST, and the verdict: delivered on 2xx, unless a group robot (`format`
// wecom or dingtalk) answers a non-zero `errcode` (45009 rate limited, 310000 keyword or
// signature check ...).
struct SendResult {
    bool delivered = false;
    std::optional<int> status;  // the HTTP status, when an answer came
    std::string error;          // why not delivered ("HTTP 500", "connect: ...", "errcode 1: ...")
    std::string answer;         // the answer's body (at most 64 KiB)
    bool abandoned = false;     // stopped by `abandon`: not an attempt
};
SendResult send(const std::string& url, std::string_view format, std::string_view secret,
                const std::string& body, const std::string& delivery_id, std::string_view event,
                int attempt, std::chrono::milliseconds timeout, const std::atomic<bool>& abandon);

}  // namespace fleetwatch::webhooks
