#include "crc32c.hpp"

#include <array>
#include <cstring>

#if defined(__x86_64__)
#include <nmmintrin.h>
#endif

namespace fleetwatch::storage::detail {
namespace {

constexpr std::uint32_t kPolynomial = 0x82F63B78U;  // reflected Castagnoli

constexpr std::array<std::uint32_t, 256> make_table() {
    std::array<std::uint32_t, 256> table{};
    for (std::uint32_t i = 0; i < 256; ++i) {
        std::uint32_t c = i;
        for (int k = 0; k < 8; ++k) c = (c & 1U) != 0 ? (c >> 1) ^ kPolynomial : c >> 1;
        table[i] = c;
    }
    return table;
}

constexpr auto kTable = make_table();

std::uint32_t crc32c_portable(std::uint32_t crc, const unsigned char* data,
                              std::size_t size) noexcept {
    for (std::size_t i = 0; i < size; ++i) crc = kTable[(crc ^ data[i]) & 0xFFU] ^ (crc >> 8);
    return crc;
}

#if defined(__x86_64__)
// The SSE 4.2 instruction computes exactly this polynomial; the spool's startup scan reads up
// to the whole spool, so the 10x matters there.
__attribute__((target("sse4.2"))) std::uint32_t crc32c_sse42(std::uint32_t crc,
                                                             const unsigned char* data,
                                                             std::size_t size) noexcept {
    std::uint64_t c = crc;
    while (size >= 8) {
        std::uint64_t word = 0;
        std::memcpy(&word, data, 8);
        c = _mm_crc32_u64(c, word);
        data += 8;
        size -= 8;
    }
    auto c32 = static_cast<std::uint32_t>(c);
    while (size > 0) {
        c32 = _mm_crc32_u8(c32, *data);
        ++data;
        --size;
    }
    return c32;
}

bool have_sse42() noexcept {
    static const bool have = [] {
        __builtin_cpu_init();  // may run before the libgcc constructor that would do it
        return __builtin_cpu_supports("sse4.2") != 0;
    }();
    return have;
}
#endif

}  // namespace

std::uint32_t crc32c_extend(std::uint32_t crc, const unsigned char* data,
                            std::size_t size) noexcept {
    crc = ~crc;
#if defined(__x86_64__)
    crc = have_sse42() ? crc32c_sse42(crc, data, size) : crc32c_portable(crc, data, size);
#else
    crc = crc32c_portable(crc, data, size);
#endif
    return ~crc;
}

}  // namespace fleetwatch::storage::detail
