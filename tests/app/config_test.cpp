#include "fleetwatch/app/config.hpp"

#include <gtest/gtest.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

namespace fleetwatch::app {
namespace {

using namespace std::chrono_literals;

// Sources with a fake environment.
ConfigSources sources(std::map<std::string, std::string> env = {}) {
    ConfigSources s;
    s.getenv = [env = std::move(env)](const std::string& name) -> std::optional<std::string> {
        auto it = env.find(name);
        if (it == env.end()) return std::nullopt;
        return it->second;
    };
    return s;
}

std::string error_of(const ConfigSources& s) {
    try {
        (void)load_config(s);
    } catch (const ConfigError& e) {
        return e.what();
    }
    return "(no error)";
}

TEST(Config, DefaultsComeFromTheTable) {
    const Config c = load_config(sources());
    EXPECT_EQ(c.ingest.listen, "0.0.0.0:6808");
    EXPECT_EQ(c.ingest.threads, 0u);
    EXPECT_EQ(c.ingest.idle_timeout, 180s);
    EXPECT_EQ(c.ingest.max_unauthenticated, 30s);
    EXPECT_EQ(c.ingest.max_frame_bytes, 1045u);
    EXPECT_EQ(c.ingest.max_sessions, 20'000u);
    EXPECT_EQ(c.ingest.max_sessions_per_address, 64u);
    EXPECT_EQ(c.ingest.write_queue_bytes, 65'536u);
    EXPECT_FALSE(c.ingest.auto_register);
    EXPECT_EQ(c.metrics.listen, "0.0.0.0:9464");
    EXPECT_EQ(c.log.level, "info");
    EXPECT_EQ(c.log.format, "text");
    EXPECT_EQ(c.storage.spool_dir, "var/spool");
    EXPECT_FALSE(c.database.url.empty());
    for (const auto& e : c.entries) EXPECT_EQ(e.source, "default") << e.key;
}

TEST(Config, EveryOptionIsDocumentedAndHasAValidDefaultAndAUniqueVariable) {
    std::set<std::string> vars;
    for (const auto& d : config_options()) {
        EXPECT_FALSE(d.help.empty()) << d.key;
        EXPECT_NE(d.key.find('.'), std::string_view::npos) << d.key;
        EXPECT_TRUE(vars.insert(env_var_name(d.key)).second) << d.key;
    }
    EXPECT_NO_THROW((void)load_config(sources()));
}

TEST(Config, DatabaseUrlIsReadFromFleetwatchDatabaseUrl) {
    EXPECT_EQ(env_var_name("database.url"), "FLEETWATCH_DATABASE_URL");
    const Config c =
        load_config(sources({{"FLEETWATCH_DATABASE_URL", "postgresql://fw@db/fleet"}}));
    EXPECT_EQ(c.database.url, "postgresql://fw@db/fleet");
    EXPECT_EQ(c.entry("database.url")->source, "env FLEETWATCH_DATABASE_URL");
}

TEST(Config, FlagBeatsEnvironmentBeatsFileBeatsDefault) {
    auto s =
        sources({{"FLEETWATCH_INGEST_THREADS", "3"}, {"FLEETWATCH_INGEST_MAX_SESSIONS", "500"}});
    s.file_path = "fleetwatch.yaml";
    s.file_text =
        "ingest:\n"
        "  threads: 2\n"
        "  max_sessions: 100\n"
        "  idle_timeout_s: 60\n"
        "log:\n"
        "  level: debug\n";
    s.flags["ingest.threads"] = "4";
    const Config c = load_config(s);
    EXPECT_EQ(c.ingest.threads, 4u);             // flag
    EXPECT_EQ(c.ingest.max_sessions, 500u);      // env over file
    EXPECT_EQ(c.ingest.idle_timeout, 60s);       // file
    EXPECT_EQ(c.log.level, "debug");             // file
    EXPECT_EQ(c.ingest.max_frame_bytes, 1045u);  // default
    EXPECT_EQ(c.entry("ingest.threads")->source, "flag --ingest.threads");
    EXPECT_EQ(c.entry("ingest.max_sessions")->source, "env FLEETWATCH_INGEST_MAX_SESSIONS");
    EXPECT_EQ(c.entry("ingest.idle_timeout_s")->source, "file fleetwatch.yaml:4");
}

TEST(Config, UnknownKeyInTheFileIsAnErrorNamingTheKeyAndLine) {
    auto s = sources();
    s.file_path = "fw.yaml";
    s.file_text = "ingest:\n  listen: 0.0.0.0:6808\n  idle_timeout: 180\n";
    EXPECT_EQ(error_of(s), "fw.yaml:3: unknown option 'ingest.idle_timeout'");
    s.file_text = "ingst:\n  listen: 0.0.0.0:6808\n";
    EXPECT_EQ(error_of(s), "fw.yaml:2: unknown option 'ingst.listen'");
    s.file_text = "ingest: 5\n";
    EXPECT_EQ(error_of(s), "fw.yaml:1: 'ingest' must be a section of options");
}

TEST(Config, BadValuesNameTheirSource) {
    auto s = sources({{"FLEETWATCH_INGEST_THREADS", "many"}});
    EXPECT_EQ(error_of(s),
              "env FLEETWATCH_INGEST_THREADS: ingest.threads: 'many' is not an integer");
    s = sources();
    s.flags["ingest.max_frame_bytes"] = "5000";
    EXPECT_EQ(error_of(s),
              "flag --ingest.max_frame_bytes: ingest.max_frame_bytes: 5000 is outside 64..1045");
    s = sources();
    s.flags["log.format"] = "xml";
    EXPECT_EQ(error_of(s), "flag --log.format: log.format: 'xml' is not one of text, json");
    s = sources();
    s.flags["ingest.auto_register"] = "maybe";
    EXPECT_EQ(error_of(s),
              "flag --ingest.auto_register: ingest.auto_register: 'maybe' is not true or false");
    s = sources();
    s.flags["ingest.listen"] = "6808";
    EXPECT_EQ(error_of(s), "flag --ingest.listen: ingest.listen: '6808' is not host:port");
    s = sources();
    s.file_path = "x.yaml";
    s.file_text = "ingest:\n  threads: [1, 2]\n";
    EXPECT_EQ(error_of(s), "x.yaml:2: ingest.threads: expected a single value");
}

TEST(Config, EmptyMetricsListenDisablesTheExposerButEmptyIngestListenIsAnError) {
    auto s = sources({{"FLEETWATCH_METRICS_LISTEN", ""}});
    EXPECT_EQ(load_config(s).metrics.listen, "");
    s = sources({{"FLEETWATCH_INGEST_LISTEN", ""}});
    EXPECT_NE(error_of(s).find("ingest.listen"), std::string::npos);
}

TEST(Config, BooleansAcceptTheUsualSpellings) {
    for (const char* yes : {"true", "TRUE", "yes", "on", "1"}) {
        auto s = sources({{"FLEETWATCH_INGEST_AUTO_REGISTER", yes}});
        EXPECT_TRUE(load_config(s).ingest.auto_register) << yes;
    }
    auto s = sources({{"FLEETWATCH_INGEST_AUTO_REGISTER", "off"}});
    EXPECT_FALSE(load_config(s).ingest.auto_register);
}

TEST(Config, FleetwatchConfigNamesTheFileWhenNoFlagDoes) {
    const auto path = std::filesystem::temp_directory_path() / "fleetwatch_config_test.yaml";
    {
        std::ofstream f(path);
        f << "metrics:\n  listen: 127.0.0.1:19464\n";
    }
    const Config c = load_config(sources({{"FLEETWATCH_CONFIG", path.string()}}));
    EXPECT_EQ(c.metrics.listen, "127.0.0.1:19464");
    EXPECT_EQ(c.file, path.string());
    std::filesystem::remove(path);
    auto missing = sources();
    missing.file_path = "/nonexistent/fleetwatch.yaml";
    EXPECT_EQ(error_of(missing),
              "/nonexistent/fleetwatch.yaml: cannot read the configuration file");
}

TEST(Config, PrintedConfigurationReadsBackToTheSameValues) {
    auto s = sources({{"FLEETWATCH_STORAGE_SPOOL_DIR", "/tmp/spool dir"}});
    s.flags["ingest.listen"] = "[::]:6808";
    const Config a = load_config(s);
    auto back = sources();
    back.file_path = "printed.yaml";
    back.file_text = to_yaml(a);
    const Config b = load_config(back);
    for (const auto& e : a.entries) EXPECT_EQ(b.entry(e.key)->value, e.value) << e.key;
}

TEST(Config, PrintedConfigurationHidesADatabasePassword) {
    const auto yaml =
        to_yaml(load_config(sources({{"FLEETWATCH_DATABASE_URL", "postgresql://fw:secret@db/x"}})));
    EXPECT_EQ(yaml.find("secret"), std::string::npos);
    EXPECT_NE(yaml.find("<hidden>"), std::string::npos);
}

TEST(Config, FlagsAreParsedByTheCommandLineAndHelpListsEveryOption) {
    CLI::App app{"test"};
    ConfigSources s;
    add_config_flags(app, s);
    const char* argv[] = {
        "fleetwatch",        "--ingest.threads", "3",     "--ingest.auto_register",
        "--log.level=debug", "--config",         "x.yaml"};
    app.parse(static_cast<int>(std::size(argv)), argv);
    EXPECT_EQ(s.flags.at("ingest.threads"), "3");
    EXPECT_EQ(s.flags.at("ingest.auto_register"), "true");
    EXPECT_EQ(s.flags.at("log.level"), "debug");
    EXPECT_EQ(s.file_path, std::optional<std::string>{"x.yaml"});
    const std::string help = app.help();
    for (const auto& d : config_options()) {
        EXPECT_NE(help.find("--" + std::string(d.key)), std::string::npos) << d.key;
        EXPECT_NE(help.find(env_var_name(d.key)), std::string::npos) << d.key;
    }
}

TEST(Config, HttpAndAuthOptionsHaveTheirDefaultsAndTheirVariables) {
    const Config d = load_config(sources());
    EXPECT_EQ(d.http.listen, "0.0.0.0:8080");
    EXPECT_EQ(d.http.max_header_bytes, 8192u);
    EXPECT_EQ(d.http.max_body_bytes, 1'048'576u);
    EXPECT_EQ(d.http.request_timeout, 30s);
    EXPECT_EQ(d.auth.token_ttl, 12h);
    EXPECT_EQ(d.auth.login_max_failures, 5u);
    EXPECT_EQ(d.auth.login_window, 60s);
    const Config c = load_config(sources({{"FLEETWATCH_HTTP_LISTEN", "127.0.0.1:18080"},
                                          {"FLEETWATCH_HTTP_MAX_BODY_BYTES", "4096"},
                                          {"FLEETWATCH_AUTH_TOKEN_TTL_S", "600"}}));
    EXPECT_EQ(c.http.listen, "127.0.0.1:18080");
    EXPECT_EQ(c.http.max_body_bytes, 4096u);
    EXPECT_EQ(c.auth.token_ttl, 600s);
    EXPECT_EQ(load_config(sources({{"FLEETWATCH_HTTP_LISTEN", ""}})).http.listen, "");
    EXPECT_EQ(error_of(sources({{"FLEETWATCH_HTTP_LISTEN", "8080"}})),
              "env FLEETWATCH_HTTP_LISTEN: http.listen: '8080' is not host:port");
}

TEST(Config, ServerOptionsFollowTheConfiguration) {
    auto s = sources();
    s.flags["ingest.idle_timeout_s"] = "90";
    s.flags["ingest.resend_after_ms"] = "250";
    s.flags["ingest.max_sessions_per_address"] = "0";
    const auto o = to_server_options(load_config(s));
    EXPECT_EQ(o.limits.idle_timeout, 90s);
    EXPECT_EQ(o.limits.resend_after, 250ms);
    EXPECT_EQ(o.limits.max_sessions_per_address, 0u);
    EXPECT_EQ(o.listen, "0.0.0.0:6808");
}

}  // namespace
}  // namespace fleetwatch::app
