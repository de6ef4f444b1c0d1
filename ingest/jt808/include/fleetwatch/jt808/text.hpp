// Text on the wire is GBK (GB 2312 extended); fleetwatch works in UTF-8.
//
// Conversion uses glibc's iconv (GB18030 for decoding, a superset of GBK, so every GBK byte
// sequence terminals send decodes; GBK for encoding). Invalid input never throws: undecodable
// bytes become U+FFFD, unencodable characters become '?'.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fleetwatch/jt808/bytes.hpp"

namespace fleetwatch::jt808 {

std::string gbk_to_utf8(Bytes gbk);
std::vector<std::uint8_t> utf8_to_gbk(std::string_view utf8);

// `b` without trailing (and, when `front` is set, leading) NUL bytes and spaces.
Bytes trim_padding(Bytes b, bool front = true) noexcept;

inline Bytes as_bytes(std::string_view s) noexcept {
    return Bytes{reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

}  // namespace fleetwatch::jt808
