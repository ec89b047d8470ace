#include "support/speech_fixtures.h"

#include "engines/tts.h"

#include <gtest/gtest.h>

#include <vector>

namespace docent::testing {

std::string speech_file(const std::string& text, engines::AudioFormat format, double speed) {
  auto tts = engines::Synthesizer::create();
  EXPECT_TRUE(tts);
  if (!tts) return {};
  std::vector<int16_t> samples;
  auto st = (*tts)->synthesize(
      text, {"en", "klatt", speed},
      [&](std::span<const int16_t> s) {
    samples.insert(samples.end(), s.begin(), s.end());
    return true;
      },
      {}, {});
  EXPECT_TRUE(st);
  auto bytes = engines::encode_audio(format, (*tts)->sample_rate(), samples);
  EXPECT_TRUE(bytes);
  return bytes ? *bytes : std::string();
}

}  // namespace docent::testing
