#include "fleetwatch/api/http.hpp"

#include <charconv>
#include <nlohmann/json.hpp>

#include "fleetwatch/core/time.hpp"

namespace fleetwatch::api {

std::optional<Role> parse_role(std::string_view text) noexcept {
    if (text == "admin") return Role::admin;
    if (text == "dispatcher") return Role::dispatcher;
    if (text == "manager") return Role::manager;
    if (text == "leader") return Role::leader;
    return std::nullopt;
}

std::string_view to_string(Role role) noexcept {
    switch (role) {
        case Role::admin:
            return "admin";
        case Role::dispatcher:
            return "dispatcher";
        case Role::manager:
            return "manager";
        case Role::leader:
            return "leader";
    }
    return "leader";
}

ApiError::ApiError(int status, std::string code, const std::string& message, std::string field)
    : std::runtime_error(message),
      status_(status),
      code_(std::move(code)),
      field_(std::move(field)) {}

const std::string* Request::header(std::string_view lower_name) const {
    const auto it = headers.find(lower_name);
    return it == headers.end() ? nullptr : &it->second;
}

const std::string* Request::query_param(std::string_view name) const {
    const auto it = query.find(name);
    return it == query.end() ? nullptr : &it->second;
}

nlohmann::json Request::json_object() const {
    nlohmann::json j = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded()) throw ApiError(400, "bad_json", "the request body is not valid JSON");
    if (!j.is_object()) throw ApiError(400, "bad_json", "the request body must be a JSON object");
    return j;
}

std::int64_t Request::id_param(std::string_view name) const {
    const auto it = params.find(name);
    std::int64_t v = 0;
    if (it != params.end()) {
        const auto& s = it->second;
        const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
        if (ec == std::errc{} && end == s.data() + s.size() && v > 0) return v;
    }
    throw ApiError(404, "not_found", "no such " + std::string(name));
}

const Principal& Request::caller() const {
    if (!principal) throw std::logic_error("Request::caller() on a public route");
    return *principal;
}

Response json_response(const nlohmann::json& body, int status) {
    Response r;
    r.status = status;
    r.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    return r;
}

Response error_response(int status, std::string_view code, std::string_view message,
                        std::string_view field) {
    nlohmann::json e{{"code", code}, {"message", message}};
    if (!field.empty()) e["field"] = field;
    return json_response(nlohmann::json{{"error", std::move(e)}}, status);
}

Response error_response(const ApiError& e) {
    Response r = error_response(e.status(), e.code(), e.what(), e.field());
    if (e.retry_after().count() > 0) {
        r.headers.emplace_back("Retry-After", std::to_string(e.retry_after().count()));
    }
    return r;
}

namespace {
int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}
}  // namespace

std::optional<std::string> percent_decode(std::string_view text, bool plus_is_space) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (c == '%') {
            if (i + 2 >= text.size()) return std::nullopt;
            const int hi = hex_value(text[i + 1]);
            const int lo = hex_value(text[i + 2]);
            if (hi < 0 || lo < 0) return std::nullopt;
            out += static_cast<char>(hi * 16 + lo);
            i += 2;
        } else if (c == '+' && plus_is_space) {
            out += ' ';
        } else {
            out += c;
        }
    }
    return out;
}

bool split_target(std::string_view target, std::string& path,
                  std::map<std::string, std::string, std::less<>>& query) {
    const auto q = target.find('?');
    auto p = percent_decode(target.substr(0, q));
    if (!p) return false;
    path = std::move(*p);
    if (q == std::string_view::npos) return true;
    std::string_view rest = target.substr(q + 1);
    while (!rest.empty()) {
        const auto amp = rest.find('&');
        const std::string_view pair = rest.substr(0, amp);
        rest = amp == std::string_view::npos ? std::string_view{} : rest.substr(amp + 1);
        if (pair.empty()) continue;
        const auto eq = pair.find('=');
        auto k = percent_decode(pair.substr(0, eq), true);
        auto v = eq == std::string_view::npos ? std::optional<std::string>("")
                                              : percent_decode(pair.substr(eq + 1), true);
        if (!k || !v) return false;
        query[*k] = std::move(*v);
    }
    return true;
}

}  // namespace fleetwatch::api
