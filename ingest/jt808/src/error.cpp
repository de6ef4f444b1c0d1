#include "fleetwatch/jt808/error.hpp"

#include <cstdio>

namespace fleetwatch::jt808 {

std::string_view to_string(Errc code) noexcept {
    switch (code) {
        case Errc::bad_checksum: return "bad_checksum";
        case Errc::bad_length: return "bad_length";
        case Errc::truncated: return "truncated";
        case Errc::bad_escape: return "bad_escape";
        case Errc::frame_too_large: return "frame_too_large";
        case Errc::unsupported_version: return "unsupported_version";
        case Errc::bad_field: return "bad_field";
        case Errc::encrypted_body: return "encrypted_body";
        case Errc::unframed_bytes: return "unframed_bytes";
        case Errc::reassembly_limit: return "reassembly_limit";
        case Errc::reassembly_timeout: return "reassembly_timeout";
        case Errc::body_too_large: return "body_too_large";
    }
    return "unknown_error";
}

std::string Error::message() const {
    std::string out = what;
    if (code == Errc::bad_checksum && expected >= 0 && actual >= 0) {
        char buf[64];
        std::snprintf(buf, sizeof buf, ": XOR is 0x%02llx, check byte is 0x%02llx",
                      static_cast<unsigned long long>(expected),
                      static_cast<unsigned long long>(actual));
        return out + buf;
    }
    if (expected >= 0 && actual >= 0) {
        out += ": expected " + std::to_string(expected) + ", got " + std::to_string(actual);
    } else if (actual >= 0) {
        out += ": " + std::to_string(actual);
    }
    return out;
}

}  // namespace fleetwatch::jt808
