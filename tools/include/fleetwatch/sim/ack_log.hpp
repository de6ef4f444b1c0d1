// The ack log (`--ack-log FILE`): one line per position the server acknowledged with 0x8001
// result 0, for checking afterwards that every acknowledged position reached the database
// exactly once. Positions in an acknowledged 0x0704 batch are logged one per line.
//
// Line format (stable; docs/simulator.md):
//
//   phone_key,gps_time,lat,lon,speed_kmh
//   13900000101,2026-03-10T01:02:03Z,32.110300,118.958600,18.0
//
// phone_key: the terminal phone without leading zeros; gps_time: RFC 3339 UTC; lat/lon:
// signed decimal degrees with exactly 6 decimals (the 1e-6 wire values, no rounding); speed:
// km/h with one decimal (the 1/10 km/h wire value). No header line.
//
// Thread-safe. Lines are buffered and written by `flush()` (the simulators flush every
// second and on exit), so a crash loses at most the last second of lines.
#pragma once

#include <cstdint>
#include <cstdio>
#include <mutex>
#include <string>
#include <string_view>

#include "fleetwatch/core/time.hpp"

namespace fleetwatch::sim {

struct AckedPosition {
    std::string_view phone_key;
    core::Timestamp gps_time{};
    std::int32_t lat_e6 = 0;
    std::int32_t lon_e6 = 0;
    std::uint16_t speed_dkmh = 0;
};

// One ack-log line including the trailing '\n', written into `out` (at least 96 bytes).
// Returns the number of characters.
std::size_t format_ack_line(const AckedPosition& p, char* out, std::size_t size) noexcept;

class AckLog {
public:
    // Opens (truncates) `path`. Throws std::system_error when it cannot be opened.
    explicit AckLog(const std::string& path);
    ~AckLog();
    AckLog(const AckLog&) = delete;
    AckLog& operator=(const AckLog&) = delete;

    void write(const AckedPosition& p);
    void flush();
    std::uint64_t lines() const;

private:
    mutable std::mutex mu_;
    std::FILE* file_ = nullptr;
    std::uint64_t lines_ = 0;
};

}  // namespace fleetwatch::sim
