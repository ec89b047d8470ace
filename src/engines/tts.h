#pragma once
// Text to speech: the built-in synthesiser, espeak-ng (libespeak-ng), with a voice for every
// seed language (en es fr de it pt ru ja ko zh ar hi ur th; zh is espeak-ng's "cmn" Mandarin).
//
//   auto tts = Synthesizer::create({});
//   tts->synthesize(text, {.language = "fr"}, on_audio, stop, progress);
//
// Text is spoken a sentence at a time: on_audio gets each sentence's samples (mono s16 at
// sample_rate(), 22050 Hz) as soon as it is made, so a caller can encode and send while the rest
// is still to come.
//
// Threads: libespeak-ng keeps its state in globals and is not thread-safe. Calls are serialised
// by one process-wide lock held while a sentence is synthesised (a few tens of milliseconds) and
// released before on_audio runs, so a slow consumer never holds up other callers; synthesize()
// is thread-safe and blocks its thread (a worker pool or a job, never a network thread).

#include "core/error.h"
#include "engines/stt.h"

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>

namespace docent::engines {

inline constexpr size_t kMaxSpeechCharacters = 5000;  // the seed's 1-5000 characters

// Characters (Unicode code points) of UTF-8 text; nullopt when it is not valid UTF-8.
std::optional<size_t> utf8_characters(std::string_view text);

// InvalidInput naming `field` unless `text` is valid UTF-8 of 1..max characters (not bytes),
// not only white space. details: max_characters, characters.
core::Status check_speech_text(std::string_view text, std::string_view field, size_t max = kMaxSpeechCharacters);

// espeak-ng's voice for a seed language ("zh" -> "cmn"), or empty for another code.
std::string_view espeak_voice(std::string_view language);

// espeak-ng's voice variant for an OpenAI voice name (alloy -> "klatt", echo -> "m7", ...; see
// tts.cpp), or the default, "klatt" (the Klatt formant model: the variant speech recognisers
// understand best), for anything else.
std::string_view espeak_variant(std::string_view openai_voice);

struct SynthesisOptions {
  std::string language = "en";    // a seed language (is_speech_language)
  std::string variant = "klatt";  // an espeak-ng variant (espeak_variant); empty = the voice's own
  double speed = 1.0;             // 0.25..4.0 times espeak-ng's 175 words a minute (clamped to 80..450)
};

class Synthesizer {
 public:
  // Initialises libespeak-ng once per process (its data from Debian's espeak-ng-data).
  // Code::ServiceUnavailable when it cannot start.
  static core::Result<std::unique_ptr<Synthesizer>> create();
  int sample_rate() const { return sample_rate_; }

  // Speaks `text`. on_audio returns false to stop early (the client went away): the call then
  // answers Code::ProcessingError "cancelled", as it does when `stop` says so between sentences.
  // InvalidInput for a language without a voice.
  core::Status synthesize(std::string_view text, const SynthesisOptions& options,
                          const std::function<bool(std::span<const int16_t>)>& on_audio, const StopCheck& stop,
                          const ProgressFn& progress);

 private:
  explicit Synthesizer(int rate) : sample_rate_(rate) {}
  int sample_rate_;
};

// The text cut into sentences (at . ! ? and their CJK forms, and at line ends), none longer than
// about 400 bytes (longer ones are cut at a space). Exposed for tests.
std::vector<std::string> speech_sentences(std::string_view text);

}  // namespace docent::engines
