#include "fleetwatch/app/config.hpp"

#include <yaml-cpp/yaml.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <sstream>

#include "fleetwatch/core/host_port.hpp"
#include "fleetwatch/jt808/framer.hpp"
#include "fleetwatch/storage/database.hpp"

namespace fleetwatch::app {

namespace {

constexpr std::int64_t kKiB = 1024;
constexpr std::int64_t kMiB = 1024 * kKiB;

constexpr std::array<std::string_view, 7> kLogLevels{"trace", "debug",    "info", "warn",
                                                     "error", "critical", "off"};
constexpr std::array<std::string_view, 2> kLogFormats{"text", "json"};

using T = OptionType;

// The one table. Defaults are text, parsed like any other source.
constexpr OptionDescriptor kOptions[] = {
    // ---- ingest: the JT/T 808 server
    {"ingest.listen", T::endpoint, "0.0.0.0:6808",
     "address the JT/T 808 server listens on, host:port or [v6]:port", 0, 0},
    {"ingest.threads", T::integer, "0", "I/O threads; 0 = one per core", 0, 1024},
    {"ingest.idle_timeout_s", T::integer, "180",
     "close a session with no valid frame for this long (a few heartbeat intervals)", 1, 86'400},
    {"ingest.max_unauthenticated_s", T::integer, "30",
     "close a session not authenticated (0x0102) this long after connecting", 1, 3'600},
    {"ingest.max_frame_bytes", T::integer, "1045",
     "largest un-escaped frame; a longer one closes the session (protocol maximum 1045)", 64,
     static_cast<std::int64_t>(jt808::kMaxUnescapedFrame)},
    {"ingest.max_buffered_bytes", T::integer, "65536",
     "bytes a session may hold for its peer: partial frame plus sub-packages being reassembled",
     4 * kKiB, 64 * kMiB},
    {"ingest.max_sessions", T::integer, "20000", "sessions held at most; more are refused", 1,
     1'000'000},
    {"ingest.max_sessions_per_address", T::integer, "64",
     "sessions from one source address at most; 0 = no limit (terminals behind one NAT share "
     "an address)",
     0, 1'000'000},
    {"ingest.write_queue_bytes", T::integer, "65536",
     "replies and downlink waiting for a slow reader; above this the session is closed", 4 * kKiB,
     64 * kMiB},
    {"ingest.send_buffer_bytes", T::integer, "0", "SO_SNDBUF of sessions; 0 = system default", 0,
     64 * kMiB},
    {"ingest.resend_after_ms", T::integer, "5000",
     "ask for missing sub-packages (0x8003) after this long without progress", 10, 600'000},
    {"ingest.reassembly_timeout_s", T::integer, "60",
     "drop a sub-packaged message still incomplete after this long", 1, 3'600},
    {"ingest.max_reassembly_messages", T::integer, "4",
     "sub-packaged messages one session may have in reassembly at once", 1, 256},
    {"ingest.auto_register", T::boolean, "false",
     "answer 0x0100 from unknown terminals with a code instead of result 4 (API.md): a vehicle "
     "of class other is created for the phone (plate as reported, or AUTO-<phone>)",
     0, 0},
    // ---- database
    {"database.url", T::text, storage::kDefaultConninfo,
     "libpq connection string or postgresql:// URI (FLEETWATCH_DATABASE_URL); empty = run "
     "without a database: no terminal can authenticate and nothing is stored",
     0, 0},
    {"database.refresh_terminals_s", T::integer, "60",
     "reload terminals and vehicles from the database this often (and after every fleet change "
     "made through the API); 0 = not periodically", 0, 86'400},
    // ---- storage: the batched position writer and its spool
    {"storage.batch_size", T::integer, "5000", "events per database transaction, at most", 1,
     1'000'000},
    {"storage.batch_interval_ms", T::integer, "100", "a partial batch waits no longer than this", 1,
     60'000},
    {"storage.queue_capacity", T::integer, "200000",
     "events held in memory before the spool takes them", 1, 100'000'000},
    {"storage.spool_dir", T::text, "var/spool",
     "directory of the on-disk spool used while PostgreSQL is away", 0, 0},
    {"storage.spool_max_bytes", T::integer, "1073741824",
     "spool size limit; beyond it terminals are told to retry (0x8001 result 1)", kMiB,
     std::numeric_limits<std::int64_t>::max()},
    // ---- http: the REST API (api/)
    {"http.listen", T::endpoint, "0.0.0.0:8080",
     "address of the HTTP API (REST under /api/v1), host:port or [v6]:port; empty = disabled", 1,
     0},
    {"http.threads", T::integer, "2",
     "threads of the HTTP server (handlers wait on the database on these)", 1, 256},
    {"http.max_header_bytes", T::integer, "8192",
     "largest request line plus headers; more is answered 431 and the connection closed", kKiB,
     kMiB},
    {"http.max_body_bytes", T::integer, "1048576",
     "largest request body; more is answered 413 and the connection closed", kKiB, 256 * kMiB},
    {"http.static_dir", T::text, "web",
     "the dashboard's files, served under / (relative to the working directory); empty = none",
     0, 0},
    {"http.request_timeout_s", T::integer, "30",
     "close a connection whose next request is not complete within this long (keep-alive idle "
     "included)",
     1, 3'600},
    // ---- live: the WebSocket stream GET /api/v1/live
    {"live.max_clients", T::integer, "1000",
     "live stream connections at once; more are answered 503", 1, 100'000},
    {"live.queue_bytes", T::integer, "1048576",
     "events waiting for one live client; a client that falls further behind is dropped (close "
     "code 1008)",
     kKiB, 256 * kMiB},
    {"live.position_interval_ms", T::integer, "5000",
     "with ?positions=true, at most one position per vehicle per client this often", 0,
     3'600'000},
    {"live.leader_refresh_s", T::integer, "30",
     "how often a connected leader's convoy vehicles are re-read", 1, 86'400},
    // ---- webhooks: violation events to HTTP receivers (docs/api.md "Webhooks")
    {"webhooks.enabled", T::boolean, "true",
     "send the webhooks' deliveries (with a database); off: events are still queued at the next "
     "start with it on",
     0, 0},
    {"webhooks.poll_interval_ms", T::integer, "500",
     "how often the dispatcher looks for new violation events and due retries", 50, 60'000},
    {"webhooks.request_timeout_ms", T::integer, "10000",
     "one delivery's whole exchange (connect, TLS, request, answer); longer is a failed attempt",
     500, 120'000},
    {"webhooks.max_attempts", T::integer, "20",
     "attempts of one delivery before it is `failed`", 1, 100},
    {"webhooks.retry_base_ms", T::integer, "2000",
     "the wait after the first failed attempt; it doubles after each (jitter x0.8-1.2)", 10,
     3'600'000},
    {"webhooks.retry_cap_s", T::integer, "600", "the longest wait between attempts", 1, 86'400},
    {"webhooks.link_template", T::text, "",
     "the group robots' link to a violation, {id} replaced by its id (e.g. "
     "https://fleet.example.edu/#/violations/{id}); empty: the text names the API path",
     0, 0},
    // ---- auth: users and tokens of the HTTP API
    {"auth.token_ttl_s", T::integer, "43200", "lifetime of a login token (POST /api/v1/auth/login)",
     60, 30 * 86'400},
    {"auth.login_max_failures", T::integer, "5",
     "failed logins per username and per client address within auth.login_window_s before "
     "further attempts are refused (429)",
     1, 1'000},
    {"auth.login_window_s", T::integer, "60", "window of auth.login_max_failures", 1, 86'400},
    // ---- rules: the rule engine (RULES.md)
    {"rules.fleet_file", T::text, "",
     "the fleet the rules judge by: `database` = the fleet stored in PostGIS (imported files "
     "and what the API added), or the path of a fleet file (YAML/JSON) `fleetwatch fleet "
     "import` stored (ids come from the database); empty = positions are stored but not judged",
     0, 0},
    {"rules.reminder_interval_s", T::integer, "60",
     "at most one TTS reminder (0x8300) per vehicle this often", 0, 86'400},
    {"rules.rebuild_lookback_h", T::integer, "26",
     "on start, the engine replays the stored positions of this many hours (fatigue clocks "
     "span up to 24 h)",
     1, 24 * 30},
    {"rules.shards", T::integer, "0",
     "engine threads, each owning a share of the vehicles (and drivers, convoys); 0 = one per "
     "core",
     0, 256},
    // ---- metrics
    {"metrics.listen", T::endpoint, "0.0.0.0:9464",
     "address of the Prometheus /metrics endpoint; empty = disabled", 1, 0},
    // ---- log
    {"log.level", T::choice, "info", "log level", 0, 0, kLogLevels},
    {"log.format", T::choice, "text", "log line format: text, or json (one object per line)", 0, 0,
     kLogFormats},
};

std::string lower(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

std::optional<std::int64_t> parse_int(std::string_view s) {
    std::int64_t v = 0;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc{} || end != s.data() + s.size() || s.empty()) return std::nullopt;
    return v;
}

std::optional<bool> parse_bool(std::string_view s) {
    const std::string l = lower(s);
    if (l == "true" || l == "yes" || l == "on" || l == "1") return true;
    if (l == "false" || l == "no" || l == "off" || l == "0") return false;
    return std::nullopt;
}

// Checks `value` for `d`; returns the normalised text or throws ConfigError naming `where`.
std::string validate(const OptionDescriptor& d, std::string_view value, const std::string& where) {
    const auto fail = [&](const std::string& problem) -> ConfigError {
        return ConfigError(where + ": " + std::string(d.key) + ": " + problem);
    };
    switch (d.type) {
        case T::text:
            return std::string(value);
        case T::integer: {
            const auto v = parse_int(value);
            if (!v) throw fail("'" + std::string(value) + "' is not an integer");
            if (*v < d.min || *v > d.max) {
                throw fail(std::to_string(*v) + " is outside " + std::to_string(d.min) + ".." +
                           std::to_string(d.max));
            }
            return std::to_string(*v);
        }
        case T::boolean: {
            const auto v = parse_bool(value);
            if (!v) throw fail("'" + std::string(value) + "' is not true or false");
            return *v ? "true" : "false";
        }
        case T::choice: {
            for (const auto c : d.choices) {
                if (c == value) return std::string(value);
            }
            std::string list;
            for (const auto c : d.choices) list += (list.empty() ? "" : ", ") + std::string(c);
            throw fail("'" + std::string(value) + "' is not one of " + list);
        }
        case T::endpoint: {
            if (value.empty() && d.min == 1) return {};
            if (!core::parse_host_port(value)) {
                throw fail("'" + std::string(value) + "' is not host:port");
            }
            return std::string(value);
        }
    }
    return std::string(value);
}

std::size_t index_of(const OptionDescriptor& d) {
    return static_cast<std::size_t>(&d - std::begin(kOptions));
}

// Reads the YAML document into (key, value, line) triples, rejecting unknown keys.
struct FileValue {
    const OptionDescriptor* option;
    std::string value;
    int line;
};

std::vector<FileValue> read_yaml(const std::string& text, const std::string& name) {
    YAML::Node root;
    try {
        root = YAML::Load(text);
    } catch (const YAML::Exception& e) {
        throw ConfigError(name + ":" + std::to_string(e.mark.line + 1) + ": " + e.msg);
    }
    std::vector<FileValue> out;
    if (root.IsNull()) return out;
    const auto at = [&](const YAML::Node& n) {
        return name + ":" + std::to_string(n.Mark().line + 1);
    };
    if (!root.IsMap())
        throw ConfigError(at(root) + ": expected sections (ingest:, database:, ...)");
    for (const auto& section : root) {
        const std::string sname = section.first.as<std::string>();
        if (section.second.IsNull()) continue;  // "storage:" with nothing under it
        if (!section.second.IsMap()) {
            throw ConfigError(at(section.first) + ": '" + sname + "' must be a section of options");
        }
        for (const auto& item : section.second) {
            const std::string key = sname + "." + item.first.as<std::string>();
            const OptionDescriptor* d = find_config_option(key);
            if (d == nullptr) throw ConfigError(at(item.first) + ": unknown option '" + key + "'");
            if (!item.second.IsScalar()) {
                throw ConfigError(at(item.first) + ": " + key + ": expected a single value");
            }
            out.push_back(FileValue{d, item.second.Scalar(), item.first.Mark().line + 1});
        }
    }
    return out;
}

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw ConfigError(path + ": cannot read the configuration file");
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

std::int64_t get_int(const Config& c, std::string_view key) {
    return *parse_int(c.entry(key)->value);
}
std::size_t get_size(const Config& c, std::string_view key) {
    return static_cast<std::size_t>(get_int(c, key));
}
const std::string& get_text(const Config& c, std::string_view key) { return c.entry(key)->value; }

// YAML-safe scalar: quote anything that is not plainly alphanumeric.
std::string yaml_scalar(const std::string& v) {
    const bool plain = !v.empty() && std::all_of(v.begin(), v.end(), [](unsigned char ch) {
        return std::isalnum(ch) || ch == '_' || ch == '.' || ch == '/' || ch == '-';
    });
    if (plain) return v;
    std::string out = "\"";
    for (const char ch : v) {
        if (ch == '"' || ch == '\\') out += '\\';
        out += ch;
    }
    return out + "\"";
}

}  // namespace

std::span<const OptionDescriptor> config_options() noexcept { return kOptions; }

const OptionDescriptor* find_config_option(std::string_view key) noexcept {
    for (const auto& d : kOptions) {
        if (d.key == key) return &d;
    }
    return nullptr;
}

std::string env_var_name(std::string_view key) {
    std::string out = "FLEETWATCH_";
    for (const char c : key) {
        out += c == '.' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }
    return out;
}

const Config::Entry* Config::entry(std::string_view key) const noexcept {
    for (const auto& e : entries) {
        if (e.key == key) return &e;
    }
    return nullptr;
}

Config load_config(const ConfigSources& sources) {
    Config c;
    c.entries.reserve(std::size(kOptions));
    for (const auto& d : kOptions) {
        c.entries.push_back(
            Config::Entry{std::string(d.key), validate(d, d.default_value, "default"), "default"});
    }
    const auto getenv = sources.getenv ? sources.getenv : [](const std::string& name) {
        const char* v = std::getenv(name.c_str());
        return v ? std::optional<std::string>(v) : std::nullopt;
    };

    // File: --config, else FLEETWATCH_CONFIG.
    std::optional<std::string> path = sources.file_path;
    if (!path && !sources.file_text) {
        if (auto env = getenv("FLEETWATCH_CONFIG"); env && !env->empty()) path = *env;
    }
    if (sources.file_text || path) {
        const std::string name = path.value_or("config");
        const std::string text = sources.file_text ? *sources.file_text : read_file(name);
        for (const auto& fv : read_yaml(text, name)) {
            const std::string where = name + ":" + std::to_string(fv.line);
            auto& e = c.entries[index_of(*fv.option)];
            e.value = validate(*fv.option, fv.value, where);
            e.source = "file " + where;
        }
        c.file = name;
    }
    for (const auto& d : kOptions) {
        const std::string name = env_var_name(d.key);
        if (auto v = getenv(name)) {
            auto& e = c.entries[index_of(d)];
            e.value = validate(d, *v, "env " + name);
            e.source = "env " + name;
        }
    }
    for (const auto& [key, value] : sources.flags) {
        const OptionDescriptor* d = find_config_option(key);
        if (d == nullptr) throw ConfigError("flag --" + key + ": unknown option");
        auto& e = c.entries[index_of(*d)];
        e.value = validate(*d, value, "flag --" + key);
        e.source = "flag --" + key;
    }

    c.ingest.listen = get_text(c, "ingest.listen");
    c.ingest.threads = get_size(c, "ingest.threads");
    c.ingest.idle_timeout = std::chrono::seconds(get_int(c, "ingest.idle_timeout_s"));
    c.ingest.max_unauthenticated = std::chrono::seconds(get_int(c, "ingest.max_unauthenticated_s"));
    c.ingest.max_frame_bytes = get_size(c, "ingest.max_frame_bytes");
    c.ingest.max_buffered_bytes = get_size(c, "ingest.max_buffered_bytes");
    c.ingest.max_sessions = get_size(c, "ingest.max_sessions");
    c.ingest.max_sessions_per_address = get_size(c, "ingest.max_sessions_per_address");
    c.ingest.write_queue_bytes = get_size(c, "ingest.write_queue_bytes");
    c.ingest.send_buffer_bytes = get_size(c, "ingest.send_buffer_bytes");
    c.ingest.resend_after = std::chrono::milliseconds(get_int(c, "ingest.resend_after_ms"));
    c.ingest.reassembly_timeout = std::chrono::seconds(get_int(c, "ingest.reassembly_timeout_s"));
    c.ingest.max_reassembly_messages = get_size(c, "ingest.max_reassembly_messages");
    c.ingest.auto_register = get_text(c, "ingest.auto_register") == "true";
    c.database.url = get_text(c, "database.url");
    c.database.refresh_terminals = std::chrono::seconds(get_int(c, "database.refresh_terminals_s"));
    c.storage.batch_size = get_size(c, "storage.batch_size");
    c.storage.batch_interval = std::chrono::milliseconds(get_int(c, "storage.batch_interval_ms"));
    c.storage.queue_capacity = get_size(c, "storage.queue_capacity");
    c.storage.spool_dir = get_text(c, "storage.spool_dir");
    c.storage.spool_max_bytes = static_cast<std::uint64_t>(get_int(c, "storage.spool_max_bytes"));
    c.http.listen = get_text(c, "http.listen");
    c.http.threads = get_size(c, "http.threads");
    c.http.max_header_bytes = get_size(c, "http.max_header_bytes");
    c.http.max_body_bytes = get_size(c, "http.max_body_bytes");
    c.http.request_timeout = std::chrono::seconds(get_int(c, "http.request_timeout_s"));
    c.http.static_dir = get_text(c, "http.static_dir");
    c.live.max_clients = get_size(c, "live.max_clients");
    c.live.queue_bytes = get_size(c, "live.queue_bytes");
    c.live.position_interval = std::chrono::milliseconds(get_int(c, "live.position_interval_ms"));
    c.live.leader_refresh = std::chrono::seconds(get_int(c, "live.leader_refresh_s"));
    c.webhooks.enabled = get_text(c, "webhooks.enabled") == "true";
    c.webhooks.poll_interval = std::chrono::milliseconds(get_int(c, "webhooks.poll_interval_ms"));
    c.webhooks.request_timeout =
        std::chrono::milliseconds(get_int(c, "webhooks.request_timeout_ms"));
    c.webhooks.max_attempts = static_cast<int>(get_int(c, "webhooks.max_attempts"));
    c.webhooks.retry_base = std::chrono::milliseconds(get_int(c, "webhooks.retry_base_ms"));
    c.webhooks.retry_cap = std::chrono::seconds(get_int(c, "webhooks.retry_cap_s"));
    c.webhooks.link_template = get_text(c, "webhooks.link_template");
    c.auth.token_ttl = std::chrono::seconds(get_int(c, "auth.token_ttl_s"));
    c.auth.login_max_failures = get_size(c, "auth.login_max_failures");
    c.auth.login_window = std::chrono::seconds(get_int(c, "auth.login_window_s"));
    c.rules.fleet_file = get_text(c, "rules.fleet_file");
    c.rules.reminder_interval = std::chrono::seconds(get_int(c, "rules.reminder_interval_s"));
    c.rules.rebuild_lookback = std::chrono::hours(get_int(c, "rules.rebuild_lookback_h"));
    c.rules.shards = get_size(c, "rules.shards");
    c.metrics.listen = get_text(c, "metrics.listen");
    c.log.level = get_text(c, "log.level");
    c.log.format = get_text(c, "log.format");
    return c;
}

std::string to_yaml(const Config& config) {
    std::string out = "# fleetwatch effective configuration\n";
    std::string_view section;
    for (const auto& e : config.entries) {
        const auto dot = e.key.find('.');
        const std::string_view s = std::string_view(e.key).substr(0, dot);
        if (s != section) {
            section = s;
            out += std::string(s) + ":\n";
        }
        // A connection string may carry a password (password=... or user:pass@host).
        const auto at = e.value.find('@');
        const auto scheme = e.value.find("://");
        const bool secret =
            e.key == "database.url" && (e.value.find("password") != std::string::npos ||
                                        (scheme != std::string::npos && at != std::string::npos &&
                                         e.value.find(':', scheme + 3) < at));
        out += "  " + e.key.substr(dot + 1) + ": " +
               (secret ? "\"<hidden>\"" : yaml_scalar(e.value)) + "  # " + e.source + "\n";
    }
    return out;
}

void add_config_flags(CLI::App& cmd, ConfigSources& sources) {
    cmd.add_option_function<std::string>(
           "--config", [&sources](const std::string& v) { sources.file_path = v; },
           "YAML configuration file (env FLEETWATCH_CONFIG); flags and FLEETWATCH_* variables "
           "override it")
        ->type_name("FILE");
    for (const auto& d : kOptions) {
        std::string help(d.help);
        help += " [default: ";
        help += d.default_value.empty() ? "\"\"" : std::string(d.default_value);
        if (d.type == T::integer) {
            help += "; " + std::to_string(d.min) + ".." + std::to_string(d.max);
        }
        help += "; env " + env_var_name(d.key) + "]";
        const std::string key(d.key);
        const bool boolean = d.type == T::boolean;
        auto* opt = cmd.add_option_function<std::string>(
            "--" + key,
            [&sources, key, boolean](const std::string& v) {
                sources.flags[key] = boolean && v.empty() ? "true" : v;  // `--flag` alone
            },
            help);
        switch (d.type) {
            case T::integer:
                opt->type_name("INT");
                break;
            case T::boolean:
                opt->type_name("BOOL")->expected(0, 1);
                break;
            case T::choice: {
                std::string names = "{";
                for (const auto c : d.choices)
                    names += (names.size() > 1 ? "," : "") + std::string(c);
                opt->type_name(names + "}");
                break;
            }
            case T::endpoint:
                opt->type_name("HOST:PORT");
                break;
            case T::text:
                opt->type_name("TEXT");
                break;
        }
        opt->group(std::string(d.key.substr(0, d.key.find('.'))) + " options");
    }
}

ingest::ServerOptions to_server_options(const Config& config) {
    const auto& i = config.ingest;
    ingest::ServerOptions o;
    o.listen = i.listen;
    o.threads = i.threads;
    o.limits.idle_timeout = i.idle_timeout;
    o.limits.max_unauthenticated_time = i.max_unauthenticated;
    o.limits.max_frame_bytes = i.max_frame_bytes;
    o.limits.max_buffered_bytes = i.max_buffered_bytes;
    o.limits.max_sessions = i.max_sessions;
    o.limits.max_sessions_per_address = i.max_sessions_per_address;
    o.limits.write_queue_bytes = i.write_queue_bytes;
    o.limits.send_buffer_bytes = i.send_buffer_bytes;
    o.limits.resend_after = i.resend_after;
    o.limits.reassembly_timeout = i.reassembly_timeout;
    o.limits.max_reassembly_messages = i.max_reassembly_messages;
    return o;
}

}  // namespace fleetwatch::app
