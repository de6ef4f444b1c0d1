// CRC-32C (Castagnoli), as used by iSCSI, ext4 and LevelDB. Private to storage: the spool
// checks every record with it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace fleetwatch::storage::detail {

// Extends `crc` (0 to start) over `data`. crc32c("123456789") == 0xE3069283.
std::uint32_t crc32c_extend(std::uint32_t crc, const unsigned char* data,
                            std::size_t size) noexcept;

inline std::uint32_t crc32c(std::string_view data) noexcept {
    return crc32c_extend(0, reinterpret_cast<const unsigned char*>(data.data()), data.size());
}

}  // namespace fleetwatch::storage::detail
