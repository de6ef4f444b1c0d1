#include "fleetwatch/sim/ack_log.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <system_error>

namespace fleetwatch::sim {
namespace {

// "-12.345678" from -12345678 without going through a double.
int put_e6(char* out, std::size_t size, std::int32_t v) noexcept {
    const std::int64_t a = v < 0 ? -static_cast<std::int64_t>(v) : v;
    return std::snprintf(out, size, "%s%lld.%06lld", v < 0 ? "-" : "", static_cast<long long>(a / 1000000),
                         static_cast<long long>(a % 1000000));
}

}  // namespace

std::size_t format_ack_line(const AckedPosition& p, char* out, std::size_t size) noexcept {
    const core::CivilTime c = core::to_civil(p.gps_time);
    std::size_t n = 0;
    auto advance = [&](int written) {
        if (written > 0) n = std::min(size - 1, n + static_cast<std::size_t>(written));
    };
    advance(std::snprintf(out, size, "%.*s,%04d-%02d-%02dT%02d:%02d:%02dZ,", static_cast<int>(p.phone_key.size()),
                          p.phone_key.data(), c.year, c.month, c.day, c.hour, c.minute, c.second));
    advance(put_e6(out + n, size - n, p.lat_e6));
    advance(std::snprintf(out + n, size - n, ","));
    advance(put_e6(out + n, size - n, p.lon_e6));
    advance(std::snprintf(out + n, size - n, ",%u.%u\n", static_cast<unsigned>(p.speed_dkmh / 10),
                          static_cast<unsigned>(p.speed_dkmh % 10)));
    return n;
}

AckLog::AckLog(const std::string& path) : file_(std::fopen(path.c_str(), "w")) {
    if (file_ == nullptr) throw std::system_error(errno, std::generic_category(), "cannot open ack log " + path);
    std::setvbuf(file_, nullptr, _IOFBF, 1 << 16);
}

AckLog::~AckLog() {
    if (file_ != nullptr) std::fclose(file_);
}

void AckLog::write(const AckedPosition& p) {
    char line[160];
    const std::size_t n = format_ack_line(p, line, sizeof line);
    const std::lock_guard lock(mu_);
    std::fwrite(line, 1, n, file_);
    ++lines_;
}

void AckLog::flush() {
    const std::lock_guard lock(mu_);
    std::fflush(file_);
}

std::uint64_t AckLog::lines() const {
    const std::lock_guard lock(mu_);
    return lines_;
}

}  // namespace fleetwatch::sim
