// api::TerminalLink over the ingest server: text (0x8300) and alarm confirmation (0x8203) are
// queued on the terminal's session, encoded there in its dialect.
#pragma once

#include "fleetwatch/api/terminal_link.hpp"
#include "fleetwatch/ingest/server.hpp"
#include "fleetwatch/jt808/encode.hpp"
#include "fleetwatch/jt808/messages.hpp"
#include "fleetwatch/jt808/text.hpp"

namespace fleetwatch::app {

class IngestTerminalLink final : public api::TerminalLink {
  public:
    static constexpr std::size_t kMaxTextGbkBytes = 1024;  // jt808 encode_body(TextMessage)

    explicit IngestTerminalLink(ingest::Server& server) : server_(server) {}

    api::SendOutcome send_text(const std::string& phone_key, std::string_view text,
                               bool tts) override {
        if (jt808::utf8_to_gbk(text).size() > kMaxTextGbkBytes) return api::SendOutcome::too_long;
        jt808::TextMessage m;
        m.flag = jt808::TextMessage::kFlagDisplay | (tts ? jt808::TextMessage::kFlagTts : 0);
        m.text = std::string(text);
        return server_.send_text(phone_key, std::move(m)) ? api::SendOutcome::queued
                                                          : api::SendOutcome::offline;
    }

    api::SendOutcome confirm_alarm(const std::string& phone_key,
                                   std::uint32_t alarm_types) override {
        const jt808::AlarmConfirm m{0, alarm_types};
        const bool queued = server_.send_to(
            phone_key, jt808::msg_id::kAlarmConfirm,
            [m](jt808::Dialect d, jt808::Buffer& out) { return jt808::encode_body(m, d, out); });
        return queued ? api::SendOutcome::queued : api::SendOutcome::offline;
    }

  private:
    ingest::Server& server_;
};

}  // namespace fleetwatch::app
