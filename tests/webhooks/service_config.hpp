// The configuration of the app::Service the webhook acceptance tests run: loopback ports, no
// metrics, a spool directory of the test's own, a dispatcher that polls every 50 ms and retries
// after 50 ms, plus `extra` options.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <map>
#include <string>

#include "fleetwatch/app/config.hpp"

namespace fleetwatch::webhooks::testing {

// temp/<prefix>-<pid>-<test name>, removed if it was there.
inline std::filesystem::path fresh_spool(const std::string& prefix) {
    auto dir = std::filesystem::temp_directory_path() /
               (prefix + "-" + std::to_string(::getpid()) + "-" +
                ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir);
    return dir;
}

inline app::Config service_config(const std::string& conninfo, const std::filesystem::path& spool,
                                  const std::map<std::string, std::string, std::less<>>& extra) {
    app::ConfigSources sources;
    sources.getenv = [](const std::string&) -> std::optional<std::string> { return {}; };
    sources.flags = {{"database.url", conninfo},
                     {"ingest.listen", "127.0.0.1:0"},
                     {"http.listen", "127.0.0.1:0"},
                     {"metrics.listen", ""},
                     {"storage.spool_dir", spool.string()},
                     {"storage.batch_interval_ms", "20"},
                     {"webhooks.poll_interval_ms", "50"},
                     {"webhooks.retry_base_ms", "50"},
                     {"webhooks.retry_cap_s", "1"},
                     {"log.level", "warn"}};
    for (const auto& [k, v] : extra) sources.flags[k] = v;
    return app::load_config(sources);
}

}  // namespace fleetwatch::webhooks::testing
