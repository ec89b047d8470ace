// bench/media (audio): the built-in recogniser and synthesiser, timed in process.
//
//   bench_media_audio stt CLIP.wav...   one line a clip: "<seconds of audio> <wall seconds> <hypothesis>"
//   bench_media_audio tts TEXTFILE N    N syntheses of the file's text: "<characters> <wall seconds>"
//
// Each STT clip is decoded in process (no child) and recognised by one pocketsphinx decoder
// loaded before the clock starts, as the `pocketsphinx_continuous` it is compared with is timed
// by bench/media/audio.sh over many clips. bench/media/audio.sh writes docs/PERFORMANCE.md.

#include "engines/audio_decode.h"
#include "engines/stt.h"
#include "engines/tts.h"

#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

using namespace docent::engines;

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: bench_media_audio stt CLIP.wav... | tts TEXTFILE N\n");
    return 2;
  }
  const std::string mode = argv[1];
  using Clock = std::chrono::steady_clock;
  if (mode == "stt") {
    auto rec = Recognizer::create({});
    if (!rec) return 1;
    {
      Pcm warm;
      warm.samples.assign(kSpeechSampleRate / 10, 0);
      (void)(*rec)->recognize(warm, {}, {});  // loads the model outside the clock
    }
    for (int i = 2; i < argc; ++i) {
      const auto start = Clock::now();
      auto pcm = decode_audio(argv[i], {});
      if (!pcm) {
        std::printf("0 0 ERROR %s\n", pcm.error().message.c_str());
        continue;
      }
      auto t = (*rec)->recognize(*pcm, {}, {});
      const double wall = std::chrono::duration<double>(Clock::now() - start).count();
      std::printf("%.3f %.4f %s\n", pcm->seconds(), wall, t ? t->text.c_str() : "ERROR");
    }
    return 0;
  }
  if (mode == "tts" && argc >= 4) {
    std::ifstream in(argv[2]);
    std::stringstream ss;
    ss << in.rdbuf();
    const std::string text = ss.str();
    const int n = std::stoi(argv[3]);
    auto tts = Synthesizer::create();
    if (!tts) return 1;
    size_t samples = 0;
    const auto start = Clock::now();
    for (int i = 0; i < n; ++i) {
      auto st = (*tts)->synthesize(
          text, {"en", "", 1.0},
          [&](std::span<const int16_t> s) {
        samples += s.size();
        return true;
          },
          {}, {});
      if (!st) return 1;
    }
    const double wall = std::chrono::duration<double>(Clock::now() - start).count();
    std::printf("%zu %.4f %zu\n", utf8_characters(text).value_or(0) * static_cast<size_t>(n), wall, samples);
    return 0;
  }
  return 2;
}
