#pragma once
// OpenAI-compatible speech upstreams the operator configures: a recogniser serving
// POST {stt.url}/audio/transcriptions (and perhaps /audio/translations) — whisper.cpp's server,
// faster-whisper, vLLM, LocalAI — and a synthesiser serving POST {tts.url}/audio/speech
// (Kokoro-FastAPI, openedai-speech, LocalAI). base_url ends in /v1, as llm.url does.
//
// Calls block their thread (libcurl's easy interface) for at most connect_timeout to connect and
// read_timeout of silence; `stop` is polled while they wait and ends the call. Run them from a
// worker pool or a job, never a network thread. Thread-safe: each call has its own handle.
//
// Errors: Code::UpstreamError naming the setting when the upstream cannot be reached, times out
// or answers an error (its own message kept); Code::ServiceUnavailable naming the setting when it
// answers 404 (it does not offer the route: translations, most often); Code::ProcessingError
// "cancelled" when `stop` said so.

#include "core/error.h"
#include "engines/stt.h"

#include <chrono>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace docent::engines {

struct SpeechUpstreamOptions {
  std::string base_url;  // e.g. "http://whisper:8080/v1"
  std::string api_key;   // sent as "Authorization: Bearer"; empty = none
  std::string model;     // sent when a request names none
  std::chrono::seconds connect_timeout{10};
  std::chrono::seconds read_timeout{120};
  bool allow_private = true;  // operator URLs may be loopback or private (DESIGN.md §4)
  std::string setting;        // "stt.url" or "tts.url", named in errors
};

struct UpstreamTranscription {
  std::string model;     // empty: the options' model
  std::string language;  // ISO 639-1, empty: let the upstream detect it
  std::string prompt;
  std::optional<double> temperature;
  bool translate = false;  // /audio/translations (into English)
};

// Sends the file and asks for verbose_json (falling back to whatever text the upstream returns).
core::Result<Transcript> upstream_transcribe(const SpeechUpstreamOptions& options, const std::filesystem::path& file,
                                             std::string_view filename, const UpstreamTranscription& request,
                                             const StopCheck& stop);

struct UpstreamSpeech {
  std::string model;  // empty: the options' model
  std::string input;
  std::string voice;
  std::string response_format;  // mp3, opus, aac, flac, wav, pcm
  std::optional<double> speed;
};

// Posts the request and passes the audio to on_bytes as it arrives (on_bytes returns false to
// stop). An upstream error found before any audio came is returned as described above; none of
// it reaches on_bytes.
core::Status upstream_speech(const SpeechUpstreamOptions& options, const UpstreamSpeech& request,
                             const std::function<bool(std::string_view)>& on_bytes, const StopCheck& stop);

}  // namespace docent::engines
