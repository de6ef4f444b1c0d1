// "host:port" as the configuration, the servers and the simulator write addresses.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace fleetwatch::core {

struct HostPort {
    std::string host;  // without the brackets of an IPv6 literal
    std::uint16_t port = 0;
    friend bool operator==(const HostPort&, const HostPort&) = default;
};

// "host:port" or "[v6]:port"; with `default_port`, also "host" and "[v6]" alone. The host is
// never empty, a bare IPv6 literal needs brackets (`::1:80` is refused), the port is 0-65535.
std::optional<HostPort> parse_host_port(std::string_view text,
                                        std::optional<std::uint16_t> default_port = std::nullopt);

}  // namespace fleetwatch::core
