#pragma once
// Speech with a known text, made in the test's own process by espeak-ng (libespeak-ng) and
// FFmpeg's encoders (engines/tts.h, engines/audio_encode.h): what the recogniser is fed.

#include "engines/audio_encode.h"

#include <string>

namespace docent::testing {

// `text` spoken in English at `speed` (1 = espeak-ng's normal rate; slower is recognised
// better), encoded as `format`.
std::string speech_file(const std::string& text, engines::AudioFormat format = engines::AudioFormat::Wav,
                        double speed = 0.75);

}  // namespace docent::testing
