#include "services/speech.h"

#include <fstream>
#include <random>
#include <span>

namespace docent::services {

namespace {

using core::Code;
using core::Error;

void report(const SpeechProgress& progress, SpeechStage stage, double fraction) {
  if (progress) progress(stage, fraction);
}

// Removes a temporary file when it goes.
struct TempFile {
  std::filesystem::path path;
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  explicit TempFile(std::filesystem::path p) : path(std::move(p)) {}
  ~TempFile() {
    std::error_code ec;
    std::filesystem::remove(path, ec);
  }
};

}  // namespace

std::string_view stage_name(SpeechStage s) {
  switch (s) {
    case SpeechStage::Decode: return "decode";
    case SpeechStage::Recognise: return "recognise";
    case SpeechStage::Synthesise: return "synthesise";
    case SpeechStage::Encode: return "encode";
  }
  return "decode";
}

SpeechService::SpeechService(SpeechOptions options) : options_(std::move(options)) {}
SpeechService::~SpeechService() = default;

core::Result<engines::Recognizer*> SpeechService::recognizer() {
  core::MutexLock lock(mu_);
  if (!recognizer_) {
    auto r = engines::Recognizer::create(options_.recognizer);
    if (!r) return std::move(r).error();
    recognizer_ = std::move(*r);
  }
  return recognizer_.get();
}

core::Result<engines::Synthesizer*> SpeechService::synthesizer() {
  core::MutexLock lock(mu_);
  if (!synthesizer_) {
    auto s = engines::Synthesizer::create();
    if (!s) return std::move(s).error();
    synthesizer_ = std::move(*s);
  }
  return synthesizer_.get();
}

core::Result<engines::Transcript> SpeechService::transcribe(const TranscribeInput& in, const SpeechProgress& progress,
                                                            const engines::StopCheck& stop) {
  if (!in.language.empty() && !engines::is_speech_language(in.language)) {
    return Error(Code::InvalidInput,
                 "language '" + in.language +
                     "' is not supported; use one of en es fr de it pt ru ja ko zh ar hi ur th",
                 "language");
  }
  const bool builtin_model = in.model == "pocketsphinx";
  const bool upstream = options_.stt.has_value() && !builtin_model;
  if (in.translate && !upstream) {
    return Error(Code::ServiceUnavailable,
                 "translating speech needs an upstream recogniser that offers it; set stt.url", "stt.url");
  }
  const std::string language = in.language.empty() && !upstream ? std::string("en") : in.language;
  if (!upstream && language != "en") {
    return Error(Code::ServiceUnavailable,
                 "the built-in recogniser speaks English only; language '" + language + "' needs stt.url", "stt.url");
  }
  report(progress, SpeechStage::Decode, 0);
  auto pcm = engines::decode_audio_isolated(options_.docent_exe, in.file, options_.limits);
  if (!pcm) return std::move(pcm).error();
  report(progress, SpeechStage::Decode, 1);
  if (stop && stop()) return Error(Code::ProcessingError, "cancelled");

  if (!upstream) {
    auto rec = recognizer();
    if (!rec) return std::move(rec).error();
    auto t = (*rec)->recognize(
        *pcm, [&](double f) { report(progress, SpeechStage::Recognise, f); }, stop);
    if (!t) return t;
    t->duration = pcm->seconds();
    return t;
  }
  // The upstream hears what we decoded, as a 16 kHz WAV: one format for every upstream, and a
  // file the upstream's own decoder need not trust.
  auto wav = engines::encode_audio(engines::AudioFormat::Wav, engines::kSpeechSampleRate, pcm->samples);
  if (!wav) return std::move(wav).error();
  std::random_device rd;
  TempFile tmp(std::filesystem::path(in.file.string() + "." + std::to_string(rd()) + ".wav"));
  {
    std::ofstream out(tmp.path, std::ios::binary | std::ios::trunc);
    out.write(wav->data(), static_cast<std::streamsize>(wav->size()));
    if (!out) return Error(Code::Internal, "cannot write the decoded audio for the upstream");
  }
  engines::UpstreamTranscription req;
  req.model = builtin_model ? std::string() : in.model;
  req.language = in.language;
  req.prompt = in.prompt;
  req.temperature = in.temperature;
  req.translate = in.translate;
  report(progress, SpeechStage::Recognise, 0);
  auto t = engines::upstream_transcribe(*options_.stt, tmp.path, "audio.wav", req, stop);
  if (!t) return t;
  if (t->duration <= 0) t->duration = pcm->seconds();
  if (t->language.empty()) t->language = in.language;
  report(progress, SpeechStage::Recognise, 1);
  return t;
}

core::Status SpeechService::speak_builtin(const SpeakInput& in, bool streaming,
                                          const std::function<bool(std::string_view)>& on_bytes,
                                          const SpeechProgress& progress, const engines::StopCheck& stop) {
  if (engines::espeak_voice(in.language).empty()) {
    return Error(Code::InvalidInput, "no voice for language '" + in.language + "'", "language");
  }
  auto tts = synthesizer();
  if (!tts) return std::move(tts).error();
  auto enc = engines::AudioEncoder::create(in.format, (*tts)->sample_rate(), streaming);
  if (!enc) return std::move(enc).error();
  engines::AudioEncoder& encoder = **enc;
  core::Status failure;
  auto on_audio = [&](std::span<const int16_t> samples) {
    if (auto st = encoder.write(samples); !st) {
      failure = st;
      return false;
    }
    if (!streaming) return true;
    const std::string bytes = encoder.take();
    return bytes.empty() || on_bytes(bytes);
  };
  auto st = (*tts)->synthesize(in.text,
                               engines::SynthesisOptions{in.language, std::string(engines::espeak_variant(in.voice)),
                                                         in.speed},
                               on_audio, stop, [&](double f) { report(progress, SpeechStage::Synthesise, f); });
  if (!failure) return failure;
  if (!st) return st;
  report(progress, SpeechStage::Encode, 0);
  if (auto fin = encoder.finish(); !fin) return fin;
  const std::string rest = encoder.take();
  if (!rest.empty() && !on_bytes(rest)) return Error(Code::ProcessingError, "cancelled");
  report(progress, SpeechStage::Encode, 1);
  return {};
}

core::Status SpeechService::speak(const SpeakInput& in, const std::function<bool(std::string_view)>& on_bytes,
                                  const SpeechProgress& progress, const engines::StopCheck& stop) {
  if (!options_.tts) return speak_builtin(in, true, on_bytes, progress, stop);
  engines::UpstreamSpeech req;
  req.model = in.model;
  req.input = in.text;
  req.voice = in.voice;
  req.response_format = std::string(engines::audio_format_name(in.format));
  req.speed = in.speed;
  report(progress, SpeechStage::Synthesise, 0);
  auto st = engines::upstream_speech(*options_.tts, req, on_bytes, stop);
  if (st) report(progress, SpeechStage::Encode, 1);
  return st;
}

core::Result<std::string> SpeechService::speak_all(const SpeakInput& in, const SpeechProgress& progress,
                                                   const engines::StopCheck& stop) {
  std::string out;
  auto append = [&](std::string_view bytes) {
    out.append(bytes);
    return true;
  };
  core::Status st = options_.tts ? speak(in, append, progress, stop) : speak_builtin(in, false, append, progress, stop);
  if (!st) return st.error();
  return out;
}

}  // namespace docent::services
