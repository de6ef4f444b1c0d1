// fleetwatch's configuration: one table of options drives the YAML file, the command-line
// flags and the environment, so `fleetwatch serve --help` documents every option.
//
// Each option has a dotted key `section.name` (e.g. `ingest.idle_timeout_s`) and is set by
//   - the YAML file (`--config FILE` or FLEETWATCH_CONFIG):   ingest: { idle_timeout_s: 180 }
//   - the environment:                                        FLEETWATCH_INGEST_IDLE_TIMEOUT_S=180
//   - a flag:                                                 --ingest.idle_timeout_s 180
// with precedence flag > environment > file > default. Units are in the key names (`_s`,
// `_ms`, `_bytes`). A key the table does not know is an error in the file (naming the key and
// its line); unknown FLEETWATCH_* variables are ignored (other parts of fleetwatch read some,
// e.g. FLEETWATCH_ADMIN_PASSWORD). Every value is checked (type, range, choices) where it is
// read, and a bad one is an error naming where it came from.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "fleetwatch/ingest/server.hpp"

namespace CLI {
class App;
}

namespace fleetwatch::app {

enum class OptionType : std::uint8_t {
    text,
    integer,   // decimal, within [min, max]
    boolean,   // true/false, yes/no, on/off, 1/0
    choice,    // one of `choices`
    endpoint,  // host:port or [v6]:port; empty allowed when min == 1 ("disabled")
};

struct OptionDescriptor {
    std::string_view key;  // "section.name"
    OptionType type = OptionType::text;
    std::string_view default_value;
    std::string_view help;
    std::int64_t min = 0;
    std::int64_t max = 0;
    std::span<const std::string_view> choices = {};
};

// Every option, in the order --help lists them.
std::span<const OptionDescriptor> config_options() noexcept;
const OptionDescriptor* find_config_option(std::string_view key) noexcept;
// "ingest.idle_timeout_s" -> "FLEETWATCH_INGEST_IDLE_TIMEOUT_S".
std::string env_var_name(std::string_view key);

class ConfigError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

struct Config {
    struct Ingest {
        std::string listen;
        std::size_t threads = 0;
        std::chrono::seconds idle_timeout{};
        std::chrono::seconds max_unauthenticated{};
        std::size_t max_frame_bytes = 0;
        std::size_t max_buffered_bytes = 0;
        std::size_t max_sessions = 0;
        std::size_t max_sessions_per_address = 0;
        std::size_t write_queue_bytes = 0;
        std::size_t send_buffer_bytes = 0;
        std::chrono::milliseconds resend_after{};
        std::chrono::seconds reassembly_timeout{};
        std::size_t max_reassembly_messages = 0;
        bool auto_register = false;
    } ingest;
    struct Database {
        std::string url;  // libpq connection string; empty: run without a database
        std::chrono::seconds refresh_terminals{};
    } database;
    struct Storage {
        std::size_t batch_size = 0;
        std::chrono::milliseconds batch_interval{};
        std::size_t queue_capacity = 0;
        std::string spool_dir;
        std::uint64_t spool_max_bytes = 0;
    } storage;
    struct Http {
        std::string listen;  // empty: no HTTP server
        std::size_t threads = 0;
        std::size_t max_header_bytes = 0;
        std::size_t max_body_bytes = 0;
        std::chrono::seconds request_timeout{};
        std::string static_dir;  // empty: no static files
    } http;
    struct Live {  // the live stream GET /api/v1/live (api/live.hpp, push/live_hub.hpp)
        std::size_t max_clients = 0;
        std::size_t queue_bytes = 0;  // per client; over it the client is dropped (1008)
        std::chrono::milliseconds position_interval{};
        std::chrono::seconds leader_refresh{};
    } live;
    struct Webhooks {  // push/webhooks/dispatcher.hpp (docs/api.md "Webhooks")
        bool enabled = true;  // with a database: run the dispatcher
        std::chrono::milliseconds poll_interval{};
        std::chrono::milliseconds request_timeout{};
        int max_attempts = 0;
        std::chrono::milliseconds retry_base{};
        std::chrono::seconds retry_cap{};
        std::string link_template;  // "{id}" = the violation's id; empty: the API path
    } webhooks;
    struct Auth {
        std::chrono::seconds token_ttl{};
        std::size_t login_max_failures = 0;
        std::chrono::seconds login_window{};
    } auth;
    struct Rules {
        std::string fleet_file;  // empty: no rules (positions are stored, not judged)
        std::chrono::seconds reminder_interval{};
        std::chrono::hours rebuild_lookback{};
        std::size_t shards = 0;  // engine threads; 0 = one per core
    } rules;
    struct Metrics {
        std::string listen;  // empty: no exposer
    } metrics;
    struct Log {
        std::string level;   // trace, debug, info, warn, error, critical, off
        std::string format;  // text, json
    } log;

    // Every option's effective value (as text) and where it came from, in table order.
    struct Entry {
        std::string key;
        std::string value;
        std::string source;  // "default", "file:LINE", "env NAME", "flag --key"
    };
    std::vector<Entry> entries;
    std::string file;  // the file read, if any

    const Entry* entry(std::string_view key) const noexcept;
};

struct ConfigSources {
    std::optional<std::string> file_path;  // read this YAML file
    std::optional<std::string> file_text;  // or this YAML text (tests); file_path names it
    // Environment lookup; defaults to ::getenv.
    std::function<std::optional<std::string>(const std::string&)> getenv;
    std::map<std::string, std::string, std::less<>> flags;  // key -> value from the command line
};

// Resolves every option. Throws ConfigError naming the source and the key.
Config load_config(const ConfigSources& sources);

// The effective configuration as a YAML file, with each value's source as a comment.
std::string to_yaml(const Config& config);

// Adds `--config FILE` and `--<key> VALUE` for every option to `cmd`, storing into `sources`
// (which must outlive parsing). Boolean flags may be given without a value (= true).
void add_config_flags(CLI::App& cmd, ConfigSources& sources);

ingest::ServerOptions to_server_options(const Config& config);

}  // namespace fleetwatch::app
