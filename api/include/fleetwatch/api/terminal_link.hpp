// What the HTTP API asks of the terminals: text to a cab (0x8300) and the confirmation of a
// latched alarm (0x8203). app/ implements it over the ingest server; the API only knows the
// terminal by its phone key (vehicles.phone_key). Calls come from the HTTP threads and must
// not block: a message is queued on the terminal's session or refused at once.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace fleetwatch::api {

enum class SendOutcome : std::uint8_t {
    queued,    // on the session's write queue; the terminal answers 0x0001 when it got it
    offline,   // the terminal is not connected (or not authenticated)
    too_long,  // text over the protocol's limit once in GBK
};

class TerminalLink {
  public:
    virtual ~TerminalLink() = default;
    // 0x8300; `tts` sets the read-aloud flag (display is always set).
    virtual SendOutcome send_text(const std::string& phone_key, std::string_view text,
                                  bool tts) = 0;
    // 0x8203 with alarm serial 0 (every alarm of these types) and `alarm_types` (bits 0, 3, 20,
    // 21, 22, 27, 28 of the 0x0200 alarm word: the ones a terminal keeps until confirmed).
    virtual SendOutcome confirm_alarm(const std::string& phone_key, std::uint32_t alarm_types) = 0;
};

// The alarm bits JT/T 808 says are cleared by a manual confirmation (0x8203).
inline constexpr std::uint32_t kManuallyConfirmedAlarms =
    (1u << 0) | (1u << 3) | (1u << 20) | (1u << 21) | (1u << 22) | (1u << 27) | (1u << 28);

}  // namespace fleetwatch::api
