// Errors on the JT/T 808 data path are values, never exceptions.
//
// An `Error` is small and cheap to copy: a reason code (the stable snake_case name used in logs,
// metrics labels and `fleetwatch decode` output), a static description, and up to two numbers
// that make the message precise (e.g. declared vs actual length). `message()` formats it.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace fleetwatch::jt808 {

enum class Errc : std::uint8_t {
    bad_checksum,         // XOR over header+body differs from the check byte
    bad_length,           // declared body length disagrees with the frame
    truncated,            // the data ends inside a field
    bad_escape,           // 0x7D not followed by 0x01 or 0x02
    frame_too_large,      // more bytes than any valid frame can hold
    unsupported_version,  // a layout or edition we cannot parse (e.g. 2011 geofence bodies)
    bad_field,            // a field holds a value outside its range (BCD nibble > 9, lat > 90°)
    encrypted_body,       // body encrypted (attribute bits 10-12); we hold no key
    unframed_bytes,       // bytes before the first 0x7E of a stream, skipped
    reassembly_limit,     // sub-package reassembly refused: memory or count cap
    reassembly_timeout,   // sub-packages never completed within the timeout
    body_too_large,       // an encoder was asked for a body the protocol cannot carry
};

// The stable reason name, e.g. "bad_checksum".
std::string_view to_string(Errc code) noexcept;

struct Error {
    Errc code{};
    const char* what = "";     // static text, never owned
    std::int64_t expected = -1;  // optional detail, -1 when absent
    std::int64_t actual = -1;    // optional detail, -1 when absent

    // A human sentence, e.g. "body length: header declares 58 bytes, frame carries 45".
    std::string message() const;

    friend bool operator==(const Error& a, const Error& b) noexcept {
        return a.code == b.code && std::string_view{a.what} == std::string_view{b.what} &&
               a.expected == b.expected && a.actual == b.actual;
    }
};

// A value or an Error. Deliberately tiny: we need no monadic API.
template <class T>
class [[nodiscard]] Expected {
public:
    Expected(T value) : v_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit by design
    Expected(Error error) : v_(std::in_place_index<1>, error) {}         // NOLINT: implicit by design
    // Builds the value in place from `args` (no temporary T to copy: decoders fill large bodies
    // such as Location directly in the returned object).
    template <class... Args>
    explicit Expected(std::in_place_t, Args&&... args)
        : v_(std::in_place_index<0>, std::forward<Args>(args)...) {}

    bool has_value() const noexcept { return v_.index() == 0; }
    explicit operator bool() const noexcept { return has_value(); }

    T& value() & { return std::get<0>(v_); }
    const T& value() const& { return std::get<0>(v_); }
    T&& value() && { return std::get<0>(std::move(v_)); }
    T& operator*() & { return value(); }
    const T& operator*() const& { return value(); }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }

    const Error& error() const { return std::get<1>(v_); }

private:
    std::variant<T, Error> v_;
};

struct Ok {};
using Status = Expected<Ok>;

}  // namespace fleetwatch::jt808
