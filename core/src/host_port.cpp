#include "fleetwatch/core/host_port.hpp"

#include <charconv>

namespace fleetwatch::core {

std::optional<HostPort> parse_host_port(std::string_view text,
                                        std::optional<std::uint16_t> default_port) {
    std::string_view host;
    std::optional<std::string_view> port;  // empty optional: no ":port" part at all
    if (!text.empty() && text.front() == '[') {
        const auto close = text.find(']');
        if (close == std::string_view::npos) return std::nullopt;
        host = text.substr(1, close - 1);
        const std::string_view rest = text.substr(close + 1);
        if (!rest.empty()) {
            if (rest.front() != ':') return std::nullopt;
            port = rest.substr(1);
        }
    } else {
        const auto colon = text.rfind(':');
        if (colon == std::string_view::npos) {
            host = text;
        } else {
            host = text.substr(0, colon);
            port = text.substr(colon + 1);
            if (host.find(':') != std::string_view::npos) return std::nullopt;  // v6: brackets
        }
    }
    if (host.empty()) return std::nullopt;
    if (!port) {
        if (!default_port) return std::nullopt;
        return HostPort{std::string(host), *default_port};
    }
    unsigned value = 0;
    const auto [end, ec] = std::from_chars(port->data(), port->data() + port->size(), value);
    if (port->empty() || ec != std::errc{} || end != port->data() + port->size() || value > 65535)
        return std::nullopt;
    return HostPort{std::string(host), static_cast<std::uint16_t>(value)};
}

}  // namespace fleetwatch::core
