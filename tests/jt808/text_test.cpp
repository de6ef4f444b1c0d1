#include "fleetwatch/jt808/text.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

namespace fleetwatch::jt808 {
namespace {

using ByteVec = std::vector<std::uint8_t>;

std::string str(Bytes b) { return std::string(b.begin(), b.end()); }

TEST(GbkText, PlateWithChineseProvinceCharacterEncodesToTheKnownGbkBytes) {
    // 粤 is D4 C1 in GBK; the rest is ASCII.
    const ByteVec expected{0xD4, 0xC1, 0x41, 0x31, 0x32, 0x33, 0x34, 0x35};
    EXPECT_EQ(utf8_to_gbk("粤A12345"), expected);
}

TEST(GbkText, GbkPlateDecodesToUtf8) {
    const ByteVec gbk{0xD4, 0xC1, 0x41, 0x31, 0x32, 0x33, 0x34, 0x35};
    EXPECT_EQ(gbk_to_utf8(gbk), "粤A12345");
}

TEST(GbkText, ChineseSentenceRoundTripsThroughGbk) {
    const std::string text = "前方学校路段，请减速慢行。";
    const ByteVec gbk = utf8_to_gbk(text);
    EXPECT_EQ(gbk.size(), 26u);  // 13 characters, two GBK bytes each
    EXPECT_EQ(gbk_to_utf8(gbk), text);
}

TEST(GbkText, AsciiPassesThroughUnchanged) {
    EXPECT_EQ(gbk_to_utf8(as_bytes("ABC-123 xyz")), "ABC-123 xyz");
    const ByteVec ascii{'a', 'u', 't', 'h'};
    EXPECT_EQ(utf8_to_gbk("auth"), ascii);
    EXPECT_TRUE(utf8_to_gbk("").empty());
    EXPECT_EQ(gbk_to_utf8(Bytes{}), "");
}

TEST(GbkText, InvalidGbkByteBecomesReplacementCharacterAndTheRestStillDecodes) {
    // 0xFF is never a GBK lead byte.
    const ByteVec gbk{0x41, 0xFF, 0xD4, 0xC1, 0x42};
    EXPECT_EQ(gbk_to_utf8(gbk), "A\xEF\xBF\xBD粤B");
}

TEST(GbkText, LeadByteCutOffAtTheEndBecomesReplacementCharacter) {
    const ByteVec gbk{0x41, 0x42, 0xD4};
    EXPECT_EQ(gbk_to_utf8(gbk), "AB\xEF\xBF\xBD");
}

TEST(GbkText, LeadByteFollowedByAsciiBecomesReplacementCharacterWithoutEatingTheAscii) {
    // 0x81 needs a trail byte of 0x40-0xFE (or a GB18030 digit); a space is neither.
    const ByteVec gbk{0x81, 0x20, 0x43};
    EXPECT_EQ(gbk_to_utf8(gbk), "\xEF\xBF\xBD C");
}

TEST(GbkText, EmojiWithNoGbkFormIsSentAsQuestionMark) {
    const ByteVec expected{0x4F, 0x4B, '?', 0xD4, 0xC1};
    EXPECT_EQ(utf8_to_gbk("OK\xF0\x9F\x9A\x8C粤"), expected);  // U+1F68C bus
}

TEST(GbkText, InvalidUtf8IsSentAsQuestionMark) {
    const std::string bad = "A\xC3";  // a two-byte lead with nothing after it
    const ByteVec expected{'A', '?'};
    EXPECT_EQ(utf8_to_gbk(bad), expected);
}

TEST(TrimPadding, StripsTrailingNulAndSpaces) {
    const ByteVec b{'A', 'B', 0x00, 0x20, 0x00};
    EXPECT_EQ(str(trim_padding(b)), "AB");
}

TEST(TrimPadding, StripsLeadingPaddingByDefaultAndKeepsItWhenAsked) {
    const ByteVec b{0x00, 0x00, 0x20, 'M', '1', 0x00};
    EXPECT_EQ(str(trim_padding(b)), "M1");
    EXPECT_EQ(trim_padding(b, /*front=*/false).size(), 5u);
    EXPECT_EQ(trim_padding(b, false).back(), '1');
}

TEST(TrimPadding, KeepsPaddingCharactersInsideTheValue) {
    const ByteVec b{'A', 0x00, ' ', 'B', 0x00};
    EXPECT_EQ(str(trim_padding(b)), std::string("A\0 B", 4));
}

TEST(TrimPadding, AllPaddingGivesEmptyAndEmptyStaysEmpty) {
    const ByteVec b{0x00, 0x20, 0x00};
    EXPECT_TRUE(trim_padding(b).empty());
    EXPECT_TRUE(trim_padding(Bytes{}).empty());
}

TEST(TrimPadding, DoesNotStripAsciiZeroDigits) {
    // Some 2019 terminals left-pad with '0' (0x30); that is data, not padding.
    const ByteVec b{'0', '0', '7', 0x00};
    EXPECT_EQ(str(trim_padding(b)), "007");
}

}  // namespace
}  // namespace fleetwatch::jt808
