#include "services/voice_jobs.h"

#include "core/text.h"
#include "engines/audio_encode.h"
#include "engines/stt.h"

#include <boost/json.hpp>

#include <algorithm>
#include <cctype>
#include <cmath>

namespace docent::services {

namespace json = boost::json;
using core::Code;
using core::Error;

namespace {

using Clock = std::chrono::steady_clock;

std::string param(const json::object& o, std::string_view key, std::string_view fallback = {}) {
  const auto* v = o.if_contains(key);
  return v && v->is_string() && !v->as_string().empty() ? std::string(v->as_string()) : std::string(fallback);
}

// Where each speech stage falls in a job's 0..100: [from, to) of the percentage.
struct StageSpan {
  int decode_from, recognise_from, recognise_to;
  int synthesise_from, encode_from, encode_to;
};

// Reports stages to the job, writing only when the whole percentage moves (a recogniser reports
// every 2048 samples; the job's row need not).
class Progress {
 public:
  Progress(MediaJobContext& job, StageSpan span) : job_(job), span_(span) {}

  void at(std::string_view stage, int percent) {
    if (percent <= last_ && stage == stage_) return;
    last_ = std::max(last_, percent);
    stage_ = std::string(stage);
    job_.stage(stage, last_);
  }

  SpeechProgress speech() {
    return [this](SpeechStage s, double f) {
      f = std::clamp(f, 0.0, 1.0);
      auto within = [f](int from, int to) { return from + static_cast<int>(std::floor(f * (to - from))); };
      switch (s) {
        case SpeechStage::Decode: at(stage_name(s), within(span_.decode_from, span_.recognise_from)); break;
        case SpeechStage::Recognise: at(stage_name(s), within(span_.recognise_from, span_.recognise_to)); break;
        case SpeechStage::Synthesise: at(stage_name(s), within(span_.synthesise_from, span_.encode_from)); break;
        case SpeechStage::Encode: at(stage_name(s), within(span_.encode_from, span_.encode_to)); break;
      }
    };
  }

 private:
  MediaJobContext& job_;
  StageSpan span_;
  int last_ = -1;
  std::string stage_;
};

// The job's bound: media.voice_timeout from its first step. The speech service and the chat
// service poll `stop`; a job past its deadline fails with a message that says so.
class Deadline {
 public:
  Deadline(MediaJobContext& job) : job_(job), at_(Clock::now() + job.timeout()) {}
  bool passed() const { return Clock::now() >= at_; }
  engines::StopCheck stop() const {
    return [this] { return job_.cancelled() || passed(); };
  }
  // What a failed step becomes: a timeout or shutdown says so; what the input or the settings
  // caused fails the job at once (InvalidInput); a crash or an upstream's failure may be retried.
  Error failure(Error e, std::string_view what) const {
    if (passed()) {
      return Error(Code::ProcessingError, std::string(what) + ": the job ran longer than media.voice_timeout (" +
                                              std::to_string(job_.timeout().count()) + " s)");
    }
    if (job_.cancelled()) return Error(Code::ServiceUnavailable, "shutting down");
    const bool transient = e.code == Code::ProcessingError || e.code == Code::Internal ||
                           e.code == Code::UpstreamError || e.code == Code::NotReady;
    if (!transient) e.code = Code::InvalidInput;
    e.message = std::string(what) + ": " + e.message;
    return e;
  }

 private:
  MediaJobContext& job_;
  Clock::time_point at_;
};

json::value transcript_json(const engines::Transcript& t) {
  json::array segments;
  for (const auto& s : t.segments) {
    segments.push_back(json::object{{"start", s.start}, {"end", s.end}, {"text", s.text}});
  }
  return segments;
}

// Stores the encoded audio with the job; the result shows it as audio_base64 (MediaJobs::get).
core::Status keep_audio(MediaJobContext& job, std::string_view audio, json::object& result) {
  auto sha = job.store_result_bytes(audio);
  if (!sha) return sha.error();
  result["audio_base64"] = nullptr;
  result["audio_bytes"] = static_cast<int64_t>(audio.size());
  return {};
}

core::Status run_voice(SpeechService& speech, MediaJobContext& job) {
  Deadline deadline(job);
  Progress progress(job, {.decode_from = 5,
                          .recognise_from = 25,
                          .recognise_to = 95,
                          .synthesise_from = 95,
                          .encode_from = 95,
                          .encode_to = 95});
  progress.at("decode", 5);
  const std::string language = param(job.params(), "language", "en");
  auto t = speech.transcribe({.file = *job.input(), .filename = param(job.params(), "filename"), .language = language},
                             progress.speech(), deadline.stop());
  if (!t) return deadline.failure(t.error(), "Failed to process audio");
  json::object result{{"transcription", t->text},
                      {"language", t->language.empty() ? language : t->language},
                      {"duration", std::round(t->duration * 100) / 100},
                      {"segments", transcript_json(*t)},
                      {"engine", t->engine},
                      {"type", job.media().type},
                      {"success", true}};
  job.set_result(std::move(result));
  return {};
}

core::Status run_tts(SpeechService& speech, MediaJobContext& job) {
  Deadline deadline(job);
  Progress progress(job, {.decode_from = 0,
                          .recognise_from = 0,
                          .recognise_to = 0,
                          .synthesise_from = 5,
                          .encode_from = 85,
                          .encode_to = 98});
  progress.at("synthesise", 5);
  SpeakInput in;
  in.text = param(job.params(), "text");
  in.language = param(job.params(), "language", "en");
  const auto format = engines::parse_audio_format(param(job.params(), "format", "mp3"));
  if (!format) return Error(Code::InvalidInput, "unknown audio format", "format");
  in.format = *format;
  auto audio = speech.speak_all(in, progress.speech(), deadline.stop());
  if (!audio) return deadline.failure(audio.error(), "Failed to synthesise speech");
  json::object result{{"audio_format", engines::audio_format_name(in.format)},
                      {"language", in.language},
                      {"characters", static_cast<int64_t>(core::utf8_length(in.text))},
                      {"type", job.media().type},
                      {"success", true}};
  if (auto st = keep_audio(job, *audio, result); !st) return st;
  job.set_result(std::move(result));
  return {};
}

json::array citations_json(const std::vector<MessageCitation>& citations) {
  json::array out;
  for (const auto& c : citations) {
    out.push_back(json::object{{"number", c.number},
                               {"file_id", c.file_id},
                               {"file_name", c.file_name},
                               {"page", c.page},
                               {"snippet", c.snippet}});
  }
  return out;
}

std::string capitalised(std::string_view s) {
  std::string out(s);
  if (!out.empty()) out[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(out[0])));
  return out;
}

core::Status run_conversation(SpeechService& speech, ChatService& chat, MediaJobContext& job) {
  Deadline deadline(job);
  Progress progress(job, {.decode_from = 5,
                          .recognise_from = 15,
                          .recognise_to = 45,
                          .synthesise_from = 65,
                          .encode_from = 90,
                          .encode_to = 98});
  if (!job.media().session_id) return Error(Code::InvalidInput, "a voice conversation needs a session", "session_id");
  progress.at("decode", 5);
  const std::string language = param(job.params(), "language", "en");
  auto t = speech.transcribe({.file = *job.input(), .filename = param(job.params(), "filename"), .language = language},
                             progress.speech(), deadline.stop());
  if (!t) return deadline.failure(t.error(), "Failed to process audio");
  if (t->text.find_first_not_of(" \t\r\n") == std::string::npos) {
    return Error(Code::InvalidInput, "No speech was recognised in the audio", "audio");
  }

  progress.at("answer", 45);
  Principal owner;
  owner.account_id = job.media().account_id;
  AskInput ask;
  ask.conversation_id = *job.media().session_id;
  ask.question = t->text;
  if (language != "en") {
    ask.instructions = "Reply in " + capitalised(engines::speech_language_name(language)) +
                       ": the reply is spoken aloud in that language.";
  }
  ask.metadata = json::object{{"source", "voice_conversation"}, {"job_id", job.media().id}};
  const auto stop = deadline.stop();
  auto answer = chat.ask(
      owner, ask, [&stop](std::string_view) { return !stop(); }, stop);
  if (!answer) return deadline.failure(answer.error(), "Failed to answer");
  if (deadline.passed() || job.cancelled())
    return deadline.failure(Error(Code::ProcessingError, "stopped"), "Failed to answer");
  const std::string& reply = answer->answer.content;
  const std::string spoken = speakable_text(reply);
  if (spoken.empty()) return Error(Code::UpstreamError, "the model gave an empty answer");

  progress.at("synthesise", 65);
  SpeakInput in;
  in.text = core::utf8_prefix(spoken, engines::kMaxSpeechCharacters);  // a longer answer is spoken in part
  in.language = language;
  auto audio = speech.speak_all(in, progress.speech(), deadline.stop());
  if (!audio) return deadline.failure(audio.error(), "Failed to synthesise speech");

  json::object result{{"transcription", t->text},
                      {"ai_response", answer_html(reply)},
                      {"ai_response_text", reply},
                      {"citations", citations_json(answer->answer.citations)},
                      {"audio_format", "mp3"},
                      {"language", language},
                      {"session_id", *job.media().session_id},
                      {"message_id", answer->answer.id},
                      {"spoken_characters", static_cast<int64_t>(core::utf8_length(in.text))},
                      {"type", job.media().type},
                      {"success", true}};
  if (auto st = keep_audio(job, *audio, result); !st) return st;
  job.set_result(std::move(result));
  return {};
}

}  // namespace

std::string speakable_text(std::string_view answer) {
  std::string out;
  out.reserve(answer.size());
  bool line_start = true;
  for (size_t i = 0; i < answer.size(); ++i) {
    const char c = answer[i];
    if (c == '[') {  // a citation marker: [digits, digits ...]
      size_t j = i + 1;
      bool digit = false;
      while (j < answer.size() &&
             (std::isdigit(static_cast<unsigned char>(answer[j])) || answer[j] == ',' || answer[j] == ' ')) {
        digit = digit || std::isdigit(static_cast<unsigned char>(answer[j]));
        ++j;
      }
      if (digit && j < answer.size() && answer[j] == ']') {
        i = j;
        continue;
      }
    }
    if (c == '*' || c == '`' || (c == '#' && line_start)) continue;
    const bool space = c == ' ' || c == '\n' || c == '\t' || c == '\r';
    line_start = c == '\n' || (line_start && space);
    if (space) {
      if (!out.empty() && out.back() != ' ') out += ' ';
      continue;
    }
    // A marker removed before punctuation leaves "word ." : close it up.
    if ((c == '.' || c == ',' || c == ';' || c == ':' || c == '!' || c == '?') && !out.empty() && out.back() == ' ') {
      out.pop_back();
    }
    out += c;
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

std::string answer_html(std::string_view answer) {
  std::string html;
  size_t at = 0;
  while (at < answer.size()) {
    size_t end = answer.find("\n\n", at);
    if (end == std::string_view::npos) end = answer.size();
    std::string_view block = answer.substr(at, end - at);
    while (!block.empty() && (block.front() == '\n' || block.front() == ' ')) block.remove_prefix(1);
    while (!block.empty() && (block.back() == '\n' || block.back() == ' ' || block.back() == '\r')) {
      block.remove_suffix(1);
    }
    if (!block.empty()) {
      std::string escaped = core::html_escape(block);
      std::string p;
      for (char c : escaped) p += c == '\n' ? std::string("<br>") : std::string(1, c);
      html += "<p>" + p + "</p>";
    }
    at = end + 2;
  }
  return html;
}

void register_voice_kinds(MediaJobs& media, SpeechService& speech, ChatService& chat, VoiceJobOptions options) {
  media.register_kind({.name = std::string(kVoiceKind),
                       .prefix = "voice_",
                       .type = "voice_transcription",
                       .timeout = options.timeout,
                       .run = [&speech](MediaJobContext& job) { return run_voice(speech, job); }});
  media.register_kind({.name = std::string(kTextToSpeechKind),
                       .prefix = "tts_",
                       .type = "text_to_speech",
                       .timeout = options.timeout,
                       .run = [&speech](MediaJobContext& job) { return run_tts(speech, job); }});
  media.register_kind({.name = std::string(kVoiceConversationKind),
                       .prefix = "conv_",
                       .type = "voice_conversation",
                       .timeout = options.timeout,
                       .run = [&speech, &chat](MediaJobContext& job) { return run_conversation(speech, chat, job); }});
}

}  // namespace docent::services
