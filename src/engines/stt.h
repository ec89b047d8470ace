#pragma once
// Speech to text: the built-in recogniser (CMU pocketsphinx with Debian's en-us acoustic model,
// language model and dictionary), and the shapes every recogniser answers in (the built-in one
// and an OpenAI-compatible upstream, speech_upstream.h).
//
//   auto rec = Recognizer::create({});                  // loads nothing yet
//   auto text = (*rec)->recognize(pcm, progress, cancel);  // 16 kHz mono (audio_decode.h)
//
// The audio is cut into utterances by pocketsphinx's own voice-activity detector, as its
// `pocketsphinx_continuous -infile` does; each utterance is a Segment with its times, and its
// words (with times and a confidence from the posterior) come from pocketsphinx's segmentation.
// Fillers (<s>, </s>, <sil>, [NOISE]) are left out; alternate pronunciations ("read(2)") are
// reported as the word.
//
// Threads: recognize() is thread-safe. A pocketsphinx decoder is not, so each call borrows one
// from a pool (made on first use, ~0.3 s to load the model, kept for later calls); calls run in
// parallel, each on its own decoder. It runs on the calling thread: a worker pool or a job.

#include "core/error.h"
#include "core/thread_annotations.h"
#include "engines/audio_decode.h"

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace docent::engines {

// The seed's languages (quantum-nexus "Supported Languages"), ISO 639-1.
const std::vector<std::string_view>& speech_languages();
bool is_speech_language(std::string_view code);
// The language's English name in lower case, as OpenAI's verbose_json gives it ("es" ->
// "spanish"); the code itself for one outside the list.
std::string_view speech_language_name(std::string_view code);

struct SpokenWord {
  std::string word;
  double start = 0;  // seconds from the start of the audio
  double end = 0;
  double confidence = 0;  // 0..1 (pocketsphinx's posterior)
};

struct SpeechSegment {
  double start = 0;
  double end = 0;
  std::string text;
  std::vector<SpokenWord> words;  // empty when the engine gives none
};

struct Transcript {
  std::string text;
  std::string language;  // ISO 639-1
  double duration = 0;   // of the audio, seconds
  std::vector<SpeechSegment> segments;
  bool has_words = false;  // whether the engine reported words
  std::string engine;      // "pocketsphinx", or the upstream's model
};

// Called with the fraction (0..1) of the current stage that is done; cheap, any thread.
using ProgressFn = std::function<void(double)>;
// True when the caller no longer wants the result (stop soon, answer Code::Timeout-free Cancelled).
using StopCheck = std::function<bool()>;

struct RecognizerOptions {
  // Debian's pocketsphinx-en-us: en-us/ (acoustic model), en-us.lm.bin, cmudict-en-us.dict.
  std::string model_dir = "/usr/share/pocketsphinx/model/en-us";
  int max_idle_decoders = 4;  // decoders kept loaded between calls
};

class Recognizer {
 public:
  // Checks that the model files exist (Code::ServiceUnavailable naming them otherwise); loads
  // nothing until the first call.
  static core::Result<std::unique_ptr<Recognizer>> create(RecognizerOptions options);
  ~Recognizer();
  Recognizer(const Recognizer&) = delete;
  Recognizer& operator=(const Recognizer&) = delete;

  // The languages it has a model for ("en").
  bool supports(std::string_view language) const { return language == "en"; }

  // Recognises 16 kHz mono audio. `progress` (may be empty) is told the fraction of samples
  // read; `stop` (may be empty) is checked between blocks, and a true answer ends the call with
  // Code::ProcessingError "cancelled". Code::Internal when the model cannot be loaded.
  core::Result<Transcript> recognize(const Pcm& pcm, const ProgressFn& progress, const StopCheck& stop);

 private:
  struct Decoder;
  explicit Recognizer(RecognizerOptions options);
  core::Result<std::unique_ptr<Decoder>> borrow();
  void give_back(std::unique_ptr<Decoder> d);

  RecognizerOptions options_;
  core::Mutex mu_;
  std::vector<std::unique_ptr<Decoder>> idle_ GUARDED_BY(mu_);
};

// Word error rate of `hypothesis` against `reference`: word-level Levenshtein distance over the
// reference's word count, after lower-casing and dropping punctuation. 0 for two empty texts;
// the hypothesis's word count over 0 for an empty reference. Used by tests and the bench.
double word_error_rate(std::string_view reference, std::string_view hypothesis);

}  // namespace docent::engines
