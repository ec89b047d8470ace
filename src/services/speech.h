#pragma once
// Speech as a use case, transport-free: transcribe an uploaded audio file, speak a text. The
// OpenAI face (/v1/audio/*) calls it from the handler pool and a stream producer; the nexus
// voice jobs (/api/process/voice, /text-to-speech, /voice-conversation) call it from a job
// handler, reporting progress by stage. docs/MEDIA-AUDIO.md is the contract.
//
// Routing (docs/MEDIA-AUDIO.md):
//  * transcribe: the file is always decoded first, isolated (engines/audio_decode.h: format and
//    duration checks, a hostile file cannot hurt the server). With stt.url set, the decoded audio
//    goes to the upstream as a 16 kHz WAV (every language, translations if it offers them),
//    unless the request names model "pocketsphinx"; without it the built-in recogniser serves
//    English and any other seed language is Code::ServiceUnavailable naming stt.url.
//  * speak: with tts.url set, the upstream speaks; else espeak-ng, encoded by FFmpeg.
//
// Threads: every call blocks its thread (decode child, recogniser, synthesiser, upstream) and is
// thread-safe; call from a worker pool, a stream producer or a job, never a network thread.

#include "core/error.h"
#include "core/thread_annotations.h"
#include "engines/audio_decode.h"
#include "engines/audio_encode.h"
#include "engines/speech_upstream.h"
#include "engines/stt.h"
#include "engines/tts.h"

#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace docent::services {

struct SpeechOptions {
  std::filesystem::path docent_exe;  // the binary whose `__audio` mode decodes in isolation
  engines::AudioLimits limits;
  engines::RecognizerOptions recognizer;
  std::optional<engines::SpeechUpstreamOptions> stt;  // stt.url set
  std::optional<engines::SpeechUpstreamOptions> tts;  // tts.url set
};

// The stages a job reports (progress moves through them in this order).
enum class SpeechStage { Decode, Recognise, Synthesise, Encode };
std::string_view stage_name(SpeechStage s);

// Told the stage and the fraction of it done (0..1). May be empty.
using SpeechProgress = std::function<void(SpeechStage, double)>;

struct TranscribeInput {
  std::filesystem::path file;  // the spooled upload (read, never moved or deleted)
  std::string filename;        // as the client named it (for the upstream only)
  std::string language;        // a seed language, or empty: "en" for the built-in, detected upstream
  std::string prompt;
  std::optional<double> temperature;
  std::string model;  // empty, "pocketsphinx" (built-in), or an upstream model
  bool translate = false;
};

struct SpeakInput {
  std::string text;             // checked by the caller's rules (engines::check_speech_text)
  std::string language = "en";  // the built-in voice's language
  std::string voice;            // passed to the upstream; the built-in speaks `language`
  engines::AudioFormat format = engines::AudioFormat::Mp3;
  double speed = 1.0;
  std::string model;  // passed to the upstream
};

class SpeechService {
 public:
  explicit SpeechService(SpeechOptions options);
  ~SpeechService();

  bool has_stt_upstream() const { return options_.stt.has_value(); }
  bool has_tts_upstream() const { return options_.tts.has_value(); }

  // Errors: InvalidFormat / PayloadTooLarge from the decode, InvalidInput naming "language" for
  // a code outside the seed's list, ServiceUnavailable naming stt.url for what only an upstream
  // can do, UpstreamError from the upstream, ProcessingError "cancelled" when `stop` said so.
  core::Result<engines::Transcript> transcribe(const TranscribeInput& in, const SpeechProgress& progress,
                                               const engines::StopCheck& stop);

  // Speaks in.text, handing the encoded audio to on_bytes as it is made (on_bytes returns false
  // to stop). Nothing reaches on_bytes before the request has been accepted, so an error before
  // the first byte can still be answered as an error. InvalidInput naming "language" for a
  // language without a voice.
  core::Status speak(const SpeakInput& in, const std::function<bool(std::string_view)>& on_bytes,
                     const SpeechProgress& progress, const engines::StopCheck& stop);

  // Speaks in.text into one complete file (headers exact: a WAV's sizes, a FLAC's sample count).
  core::Result<std::string> speak_all(const SpeakInput& in, const SpeechProgress& progress,
                                      const engines::StopCheck& stop);

 private:
  core::Result<engines::Recognizer*> recognizer();
  core::Result<engines::Synthesizer*> synthesizer();
  core::Status speak_builtin(const SpeakInput& in, bool streaming,
                             const std::function<bool(std::string_view)>& on_bytes, const SpeechProgress& progress,
                             const engines::StopCheck& stop);

  SpeechOptions options_;
  core::Mutex mu_;
  std::unique_ptr<engines::Recognizer> recognizer_ GUARDED_BY(mu_);
  std::unique_ptr<engines::Synthesizer> synthesizer_ GUARDED_BY(mu_);
};

}  // namespace docent::services
