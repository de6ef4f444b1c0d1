#include "yaml_reader.hpp"

#include <charconv>
#include <cmath>

namespace fleetwatch::fleet::detail {
namespace {

std::string quoted(const std::string& s) {
    constexpr std::size_t kMax = 40;
    return "\"" + (s.size() > kMax ? s.substr(0, kMax) + "..." : s) + "\"";
}

std::string format_number(double v) {
    char buf[32];
    const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
    return ec == std::errc{} ? std::string(buf, end) : std::string("?");
}

}  // namespace

void Reader::problem(int line, std::string field, std::string message) {
    problems_.push_back(FleetProblem{file_, line, std::move(field), std::move(message)});
}

int Reader::line_of(const YAML::Node& node, int fallback) noexcept {
    if (!node.IsDefined()) return fallback;
    const YAML::Mark mark = node.Mark();
    return mark.is_null() || mark.line < 0 ? fallback : mark.line + 1;
}

int Reader::line(const std::string& path, int fallback) const {
    const auto it = lines_.find(path);
    return it == lines_.end() ? fallback : it->second;
}

std::optional<long long> parse_integer(const std::string& text) {
    long long v = 0;
    const char* first = text.data();
    const char* last = text.data() + text.size();
    if (first != last && *first == '+') ++first;
    const auto [ptr, ec] = std::from_chars(first, last, v);
    if (ec != std::errc{} || ptr != last || first == last) return std::nullopt;
    return v;
}

std::optional<double> parse_number(const std::string& text) {
    double v = 0;
    const char* first = text.data();
    const char* last = text.data() + text.size();
    if (first != last && *first == '+') ++first;
    const auto [ptr, ec] = std::from_chars(first, last, v);
    if (ec != std::errc{} || ptr != last || first == last || !std::isfinite(v)) return std::nullopt;
    return v;
}

std::string describe_range(long long min, long long max) {
    return "[" + std::to_string(min) + ", " + std::to_string(max) + "]";
}

Object::Object(Reader& reader, YAML::Node node, std::string path, int line)
    : reader_(reader), node_(std::move(node)), path_(std::move(path)), line_(line) {
    reader_.remember_line(path_, line_);
}

int Object::line_of(const char* key) const { return reader_.line(path_of(key), line_); }

void Object::problem(const char* key, std::string message) {
    reader_.problem(line_of(key), path_of(key), std::move(message));
}

YAML::Node Object::node(const char* key) {
    known_.insert(key);
    YAML::Node n = node_[key];
    if (n.IsDefined()) reader_.remember_line(path_of(key), Reader::line_of(n, line_));
    return n;
}

bool Object::present(const char* key) {
    const YAML::Node n = node(key);
    return n.IsDefined() && !n.IsNull();
}

YAML::Node Object::scalar(const char* key, Need need, const char* expected) {
    YAML::Node n = node(key);
    if (!n.IsDefined() || n.IsNull()) {
        if (need == Need::required)
            reader_.problem(line_, path_of(key), "required field is missing");
        return YAML::Node(YAML::NodeType::Undefined);
    }
    if (!n.IsScalar()) {
        reader_.problem(Reader::line_of(n, line_), path_of(key),
                        std::string("expected ") + expected + ", got a " +
                            (n.IsSequence() ? "list" : "mapping"));
        return YAML::Node(YAML::NodeType::Undefined);
    }
    return n;
}

std::optional<std::string> Object::text(const char* key, Need need) {
    const YAML::Node n = scalar(key, need, "text");
    if (!n.IsDefined()) return std::nullopt;
    std::string value = n.Scalar();
    if (value.empty() && need == Need::required) {
        reader_.problem(Reader::line_of(n, line_), path_of(key), "must not be empty");
        return std::nullopt;
    }
    return value;
}

std::optional<long long> Object::integer(const char* key, Need need, long long min, long long max) {
    const YAML::Node n = scalar(key, need, "an integer");
    if (!n.IsDefined()) return std::nullopt;
    const auto v = parse_integer(n.Scalar());
    const int line = Reader::line_of(n, line_);
    if (!v) {
        reader_.problem(line, path_of(key), "expected an integer, got " + quoted(n.Scalar()));
        return std::nullopt;
    }
    if (*v < min || *v > max) {
        reader_.problem(line, path_of(key),
                        std::to_string(*v) + " is out of range " + describe_range(min, max));
        return std::nullopt;
    }
    return v;
}

std::optional<double> Object::number(const char* key, Need need, double min, double max) {
    const YAML::Node n = scalar(key, need, "a number");
    if (!n.IsDefined()) return std::nullopt;
    const auto v = parse_number(n.Scalar());
    const int line = Reader::line_of(n, line_);
    if (!v) {
        reader_.problem(line, path_of(key), "expected a number, got " + quoted(n.Scalar()));
        return std::nullopt;
    }
    if (*v < min || *v > max) {
        reader_.problem(line, path_of(key),
                        n.Scalar() + " is out of range [" + format_number(min) + ", " +
                            format_number(max) + "]");
        return std::nullopt;
    }
    return v;
}

std::optional<bool> Object::boolean(const char* key, Need need) {
    const YAML::Node n = scalar(key, need, "true or false");
    if (!n.IsDefined()) return std::nullopt;
    const std::string& s = n.Scalar();
    if (s == "true") return true;
    if (s == "false") return false;
    reader_.problem(Reader::line_of(n, line_), path_of(key),
                    "expected true or false, got " + quoted(s));
    return std::nullopt;
}

void Object::finish() {
    std::set<std::string> seen;
    for (const auto& kv : node_) {
        const int line = Reader::line_of(kv.first, line_);
        if (!kv.first.IsScalar()) {
            reader_.problem(line, path_, "keys must be plain names");
            continue;
        }
        const std::string key = kv.first.Scalar();
        if (!seen.insert(key).second) {
            reader_.problem(line, path_of(key.c_str()), "duplicate key");
            continue;
        }
        if (known_.count(key) == 0) {
            std::string expected;
            for (const auto& k : known_) expected += (expected.empty() ? "" : ", ") + k;
            reader_.problem(line, path_of(key.c_str()),
                            "unknown field (expected one of: " + expected + ")");
        }
    }
}

}  // namespace fleetwatch::fleet::detail
