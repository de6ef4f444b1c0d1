// Typed, line-aware access to a yaml-cpp document that collects problems instead of throwing.
//
// Every accessor takes the key inside an object, records a FleetProblem (file, 1-based line,
// dotted field path, message) when the value is present but wrong or required but missing,
// and remembers the line of every field it saw so later checks (references, duplicates) can
// point at the exact line. `Object::finish()` reports keys nobody asked for (typos).
#pragma once

#include <yaml-cpp/yaml.h>

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "fleetwatch/fleet/fleet.hpp"

namespace fleetwatch::fleet::detail {

enum class Need : std::uint8_t { required, optional };

class Reader {
  public:
    explicit Reader(std::string file) : file_(std::move(file)) {}

    void problem(int line, std::string field, std::string message);
    bool has_problems() const noexcept { return !problems_.empty(); }
    std::vector<FleetProblem> take_problems() { return std::move(problems_); }

    // 1-based line of `node`, or `fallback` when it has none (missing, or null mark).
    static int line_of(const YAML::Node& node, int fallback) noexcept;

    void remember_line(const std::string& path, int line) { lines_[path] = line; }
    // The line recorded for `path`, or `fallback`.
    int line(const std::string& path, int fallback) const;

  private:
    std::string file_;
    std::vector<FleetProblem> problems_;
    std::map<std::string, int> lines_;
};

// A YAML mapping being read; `path` is its field path ("vehicles[2]"), `line` where it starts.
class Object {
  public:
    Object(Reader& reader, YAML::Node node, std::string path, int line);

    const std::string& path() const noexcept { return path_; }
    int line() const noexcept { return line_; }
    std::string path_of(const char* key) const { return path_.empty() ? key : path_ + "." + key; }
    int line_of(const char* key) const;

    // The raw node (undefined if absent); marks the key as known.
    YAML::Node node(const char* key);
    bool present(const char* key);  // present and not null

    std::optional<std::string> text(const char* key, Need need);
    std::optional<long long> integer(const char* key, Need need, long long min, long long max);
    std::optional<double> number(const char* key, Need need, double min, double max);
    std::optional<bool> boolean(const char* key, Need need);

    // A problem at `key`'s line (the object's line when the key is absent).
    void problem(const char* key, std::string message);
    Reader& reader() noexcept { return reader_; }

    // Reports every key that no accessor asked for. Call once, after reading all fields.
    void finish();

  private:
    YAML::Node scalar(const char* key, Need need, const char* expected);

    Reader& reader_;
    YAML::Node node_;
    std::string path_;
    int line_;
    std::set<std::string> known_;
};

// Parses a YAML scalar's text as a number: the whole text, no trailing characters.
std::optional<long long> parse_integer(const std::string& text);
std::optional<double> parse_number(const std::string& text);

// "[0, 120]" style rendering of a range for messages.
std::string describe_range(long long min, long long max);

}  // namespace fleetwatch::fleet::detail
