// Media generation (services/generation.h, docs/GENERATION.md): images, video and music from the
// operator's OpenAI-compatible upstreams, voice from the speech service; each a job whose files
// are kept in the blob store.

#include "services/generation.h"

#include "core/crypto.h"
#include "core/json.h"
#include "core/text.h"
#include "engines/audio_decode.h"
#include "engines/audio_encode.h"
#include "engines/image_analysis.h"
#include "engines/stt.h"
#include "engines/tts.h"

#include <boost/json.hpp>

#include <fstream>
#include <random>
#include <thread>

namespace docent::services {

namespace json = boost::json;
using core::Code;
using core::Error;
using Clock = std::chrono::steady_clock;

namespace {

std::string_view kind_of(GeneratedMedia m) {
  switch (m) {
    case GeneratedMedia::Image: return kImageGenerationJob;
    case GeneratedMedia::Video: return kVideoGenerationJob;
    case GeneratedMedia::Music: return kMusicGenerationJob;
    case GeneratedMedia::Voice: return kVoiceGenerationJob;
  }
  return kImageGenerationJob;
}

std::string_view setting_of(GeneratedMedia m) {
  switch (m) {
    case GeneratedMedia::Image: return "generation.image_url";
    case GeneratedMedia::Video: return "generation.video_url";
    case GeneratedMedia::Music: return "generation.music_url";
    case GeneratedMedia::Voice: return "tts.url";
  }
  return "";
}

Error invalid(std::string message, std::string field) {
  return Error(Code::InvalidInput, std::move(message), std::move(field));
}

core::Status read_string(const json::object& o, std::string_view key, std::string& out, size_t max_chars = 200) {
  const json::value* v = o.if_contains(key);
  if (v == nullptr || v->is_null()) return {};
  if (!v->is_string()) return invalid(std::string(key) + " must be a string", std::string(key));
  if (core::utf8_length(v->as_string()) > max_chars) {
    return invalid(std::string(key) + " is longer than " + std::to_string(max_chars) + " characters", std::string(key));
  }
  out = std::string(v->as_string());
  return {};
}

core::Status read_int(const json::object& o, std::string_view key, int64_t& out, int64_t lo, int64_t hi) {
  const json::value* v = o.if_contains(key);
  if (v == nullptr || v->is_null()) return {};
  int64_t n = 0;
  if (v->is_int64()) {
    n = v->as_int64();
  } else if (v->is_uint64() && v->as_uint64() <= static_cast<uint64_t>(hi)) {
    n = static_cast<int64_t>(v->as_uint64());
  } else if (v->is_string() && !v->as_string().empty() &&
             v->as_string().find_first_not_of("0123456789") == json::string::npos && v->as_string().size() < 10) {
    n = std::stoll(std::string(v->as_string()));  // OpenAI's video API writes seconds as a string
  } else {
    return invalid(std::string(key) + " must be a whole number", std::string(key));
  }
  if (n < lo || n > hi) {
    return invalid(std::string(key) + " must be from " + std::to_string(lo) + " to " + std::to_string(hi),
                   std::string(key));
  }
  out = n;
  return {};
}

bool valid_size(const std::string& s) {
  const auto x = s.find('x');
  if (x == std::string::npos || x == 0 || x + 1 >= s.size() || x > 5 || s.size() - x - 1 > 5) return false;
  return s.find_first_not_of("0123456789x") == std::string::npos && s.find('x', x + 1) == std::string::npos;
}

std::string extension_of(std::string_view mime) {
  static constexpr std::pair<std::string_view, std::string_view> kExt[] = {
      {"image/png", "png"},   {"image/jpeg", "jpg"},  {"image/webp", "webp"}, {"image/gif", "gif"},
      {"video/mp4", "mp4"},   {"video/webm", "webm"}, {"audio/mpeg", "mp3"},  {"audio/wav", "wav"},
      {"audio/ogg", "ogg"},   {"audio/flac", "flac"}, {"audio/aac", "aac"},   {"audio/mp4", "m4a"},
      {"audio/webm", "webm"},
  };
  for (auto [m, e] : kExt) {
    if (m == mime) return std::string(e);
  }
  return "bin";
}

std::string audio_mime(engines::AudioFormat f) {
  switch (f) {
    case engines::AudioFormat::Mp3: return "audio/mpeg";
    case engines::AudioFormat::Wav: return "audio/wav";
    case engines::AudioFormat::Ogg:
    case engines::AudioFormat::Opus: return "audio/ogg";
    case engines::AudioFormat::Flac: return "audio/flac";
    case engines::AudioFormat::Aac: return "audio/aac";
    case engines::AudioFormat::Pcm: return "audio/L16";
  }
  return "application/octet-stream";
}

// The audio's type by its first bytes (what the upstream sent, whatever was asked for).
std::string sniffed_audio_mime(std::string_view b) {
  if (b.starts_with("RIFF")) return "audio/wav";
  if (b.starts_with("OggS")) return "audio/ogg";
  if (b.starts_with("fLaC")) return "audio/flac";
  if (b.size() >= 8 && b.substr(4, 4) == "ftyp") return "audio/mp4";
  if (b.size() >= 2 && static_cast<unsigned char>(b[0]) == 0xFF && (static_cast<unsigned char>(b[1]) & 0xF6) == 0xF0) {
    return "audio/aac";
  }
  if (b.starts_with("\x1a\x45\xdf\xa3")) return "audio/webm";
  return "audio/mpeg";  // an ID3 tag or an MPEG frame: check_audio_signature let nothing else through
}

// A temporary file in the work folder, removed when this goes.
class TempFile {
 public:
  TempFile(const std::filesystem::path& dir, std::string_view stem) {
    std::random_device rd;
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    path_ = dir / (std::string(stem) + "-" + std::to_string(rd()) + std::to_string(rd()));
  }
  ~TempFile() {
    std::error_code ec;
    std::filesystem::remove(path_, ec);
  }
  const std::filesystem::path& path() const { return path_; }
  core::Status write(std::string_view bytes) const {
    std::ofstream out(path_, std::ios::binary);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (!out) return Error(Code::Internal, "cannot write a temporary file");
    return {};
  }

 private:
  std::filesystem::path path_;
};

json::object file_json(const store::BlobInfo& blob, std::string file_name, std::string mime) {
  return json::object{{"blob", blob.sha256},
                      {"file_name", std::move(file_name)},
                      {"mime", std::move(mime)},
                      {"size", static_cast<int64_t>(blob.size)}};
}

}  // namespace

core::Result<MediaGenerationInput> media_generation_input(GeneratedMedia kind, const json::value& body) {
  if (!body.is_object()) return invalid("the body must be a JSON object", "");
  const json::object& o = body.as_object();
  MediaGenerationInput in;
  in.kind = kind;
  if (kind == GeneratedMedia::Voice) {
    const json::value* text = o.if_contains("text");
    if (text == nullptr) text = o.if_contains("prompt");
    if (text == nullptr || text->is_null()) return Error(Code::MissingField, "text is required", "text");
    if (!text->is_string()) return invalid("text must be a string", "text");
    if (auto st = engines::check_speech_text(text->as_string(), "text"); !st) return st.error();
    in.prompt = std::string(text->as_string());
    in.language = "en";
    if (auto st = read_string(o, "language", in.language); !st) return st.error();
    if (!engines::is_speech_language(in.language)) {
      return invalid("language must be one of en es fr de it pt ru ja ko zh ar hi ur th", "language");
    }
    if (auto st = read_string(o, "voice", in.voice); !st) return st.error();
  } else {
    const json::value* prompt = o.if_contains("prompt");
    if (prompt == nullptr || prompt->is_null()) return Error(Code::MissingField, "prompt is required", "prompt");
    if (!prompt->is_string()) return invalid("prompt must be a string", "prompt");
    if (prompt->as_string().find_first_not_of(" \t\r\n") == json::string::npos) {
      return invalid("prompt must not be empty", "prompt");
    }
    if (core::utf8_length(prompt->as_string()) > kMaxMediaPromptChars) {
      return invalid("prompt is longer than " + std::to_string(kMaxMediaPromptChars) + " characters", "prompt");
    }
    in.prompt = std::string(prompt->as_string());
  }
  if (auto st = read_string(o, "model", in.model); !st) return st.error();
  if (kind == GeneratedMedia::Image) {
    if (auto st = read_int(o, "n", in.n, 1, 4); !st) return st.error();
    if (auto st = read_string(o, "quality", in.quality, 20); !st) return st.error();
    if (auto st = read_string(o, "style", in.style, 20); !st) return st.error();
  }
  if (kind == GeneratedMedia::Image || kind == GeneratedMedia::Video) {
    if (auto st = read_string(o, "size", in.size, 11); !st) return st.error();
    if (!in.size.empty() && !valid_size(in.size)) return invalid("size must be WIDTHxHEIGHT, e.g. 1024x1024", "size");
  }
  if (kind == GeneratedMedia::Video || kind == GeneratedMedia::Music) {
    const std::string_view key = o.contains("seconds") ? "seconds" : "duration";
    if (auto st = read_int(o, key, in.seconds, 1, kind == GeneratedMedia::Video ? 60 : 300); !st) return st.error();
  }
  if (kind == GeneratedMedia::Voice || kind == GeneratedMedia::Music) {
    in.format = "mp3";
    if (auto st = read_string(o, "format", in.format, 10); !st) return st.error();
    const auto f = engines::parse_audio_format(in.format);
    if (!f || *f == engines::AudioFormat::Pcm) {
      return invalid("format must be one of mp3, wav, ogg, flac, opus, aac", "format");
    }
  }
  return in;
}

void GenerationService::set_media(MediaGenerationOptions options, SpeechService* speech) {
  media_ = std::move(options);
  speech_ = speech;
}

core::Result<GenerationJob> GenerationService::start_media(const Principal& actor, const MediaGenerationInput& in) {
  const std::optional<MediaUpstream>* upstream = nullptr;
  switch (in.kind) {
    case GeneratedMedia::Image: upstream = &media_.image; break;
    case GeneratedMedia::Video: upstream = &media_.video; break;
    case GeneratedMedia::Music: upstream = &media_.music; break;
    case GeneratedMedia::Voice: break;
  }
  if (upstream != nullptr && !upstream->has_value()) {
    const std::string setting(setting_of(in.kind));
    return Error(Code::ServiceUnavailable,
                 "docent has no engine of its own for this: set " + setting +
                     " to an OpenAI-compatible server that generates it (docs/GENERATION.md)",
                 setting);
  }
  if (in.kind == GeneratedMedia::Voice && speech_ == nullptr) {
    return Error(Code::ServiceUnavailable, "speech synthesis is not running in this server", "tts.url");
  }
  json::object payload{{"prompt", in.prompt},   {"model", in.model},        {"n", in.n},
                       {"size", in.size},       {"quality", in.quality},    {"style", in.style},
                       {"seconds", in.seconds}, {"language", in.language},  {"voice", in.voice},
                       {"format", in.format},   {"admin", actor.is_admin()}};
  auto id = jobs_.enqueue(kind_of(in.kind), actor.account_id, payload, {.max_attempts = 2});
  if (!id) return id.error();
  return get(actor, *id);
}

core::Status GenerationService::run_media(JobContext& job) {
  if (!job.payload().is_object() || !job.account_id()) return Error(Code::InvalidInput, "not a generation request");
  const json::object& p = job.payload().as_object();
  auto str = [&](std::string_view k) {
    const json::value* v = p.if_contains(k);
    return v != nullptr && v->is_string() ? std::string(v->as_string()) : std::string();
  };
  auto num = [&](std::string_view k) {
    const json::value* v = p.if_contains(k);
    return v != nullptr && v->is_int64() ? v->as_int64() : int64_t{0};
  };
  MediaGenerationInput in;
  in.prompt = str("prompt");
  in.model = str("model");
  in.n = std::max<int64_t>(1, num("n"));
  in.size = str("size");
  in.quality = str("quality");
  in.style = str("style");
  in.seconds = num("seconds");
  in.language = str("language");
  in.voice = str("voice");
  in.format = str("format");
  const Clock::time_point deadline = Clock::now() + media_.timeout;
  const std::function<bool()> stop = [&job, deadline] { return job.cancelled() || Clock::now() >= deadline; };
  auto failed = [&](Error e) -> Error {
    if (Clock::now() >= deadline) {
      return Error(Code::ProcessingError, "the generation ran longer than generation.timeout (" +
                                              std::to_string(media_.timeout.count()) + " s)");
    }
    return e;
  };
  json::object result;
  json::array files;
  core::Status st;
  if (job.kind() == kImageGenerationJob) {
    st = generate_image(job, in, stop, result, files);
  } else if (job.kind() == kVideoGenerationJob) {
    st = generate_video(job, in, stop, result, files);
  } else if (job.kind() == kMusicGenerationJob) {
    st = generate_music(job, in, stop, result, files);
  } else if (job.kind() == kVoiceGenerationJob) {
    st = generate_voice(job, in, stop, result, files);
  } else {
    return Error(Code::InvalidInput, "unknown generation kind " + job.kind());
  }
  if (!st) return failed(st.error());
  if (files.empty()) return Error(Code::UpstreamError, "the generator made nothing");
  result["files"] = std::move(files);
  job.set_result(std::move(result));
  return {};
}

core::Status GenerationService::generate_image(JobContext& job, const MediaGenerationInput& in,
                                               const std::function<bool()>& stop, json::object& result,
                                               json::array& files) {
  const MediaUpstream& up = *media_.image;
  const std::string model = in.model.empty() ? up.model : in.model;
  json::object body{{"prompt", in.prompt}, {"n", in.n}, {"response_format", "b64_json"}};
  if (!model.empty()) body["model"] = model;
  if (!in.size.empty()) body["size"] = in.size;
  if (!in.quality.empty()) body["quality"] = in.quality;
  if (!in.style.empty()) body["style"] = in.style;
  job.progress(json::object{{"stage", "generating"}, {"percent", 10}});
  auto ask = [&](const json::object& b) {
    engines::UpstreamCall call(up.http, "POST", "/images/generations");
    call.json_body(json::serialize(b));
    return call.run(stop);
  };
  auto reply = ask(body);
  // Some servers (gpt-image-1) always answer base64 and refuse the parameter that asks for it.
  if (!reply && reply.error().code == Code::UpstreamError &&
      reply.error().message.find("response_format") != std::string::npos) {
    body.erase("response_format");
    reply = ask(body);
  }
  if (!reply) return reply.error();
  auto v = core::parse_json(reply->body, 16);
  const json::value* data = v && v->is_object() ? v->as_object().if_contains("data") : nullptr;
  if (data == nullptr || !data->is_array() || data->as_array().empty()) {
    return Error(Code::UpstreamError, "the image upstream (generation.image_url) answered no data[]");
  }
  job.progress(json::object{{"stage", "storing"}, {"percent", 80}});
  int number = 0;
  for (const auto& item : data->as_array()) {
    const json::value* b64 = item.is_object() ? item.as_object().if_contains("b64_json") : nullptr;
    if (b64 == nullptr || !b64->is_string()) {
      // A URL answer would have docent fetch whatever the upstream names: it is not followed.
      return Error(Code::UpstreamError,
                   "the image upstream (generation.image_url) answered without b64_json (URLs are not fetched)");
    }
    auto bytes = core::crypto::base64_decode(b64->as_string());
    if (!bytes || bytes->empty()) return Error(Code::UpstreamError, "the image upstream's b64_json is not base64");
    TempFile temp(options_.work_dir, "generated-image");
    if (auto w = temp.write(*bytes); !w) return w;
    auto checked = engines::check_image(temp.path(), media_.max_image_pixels);
    if (!checked) {
      return Error(Code::UpstreamError,
                   "the image upstream (generation.image_url) answered something that is not an image: " +
                       checked.error().message);
    }
    const std::string format(engines::image_format_name(checked->format));
    const std::string mime = format == "jpeg" ? "image/jpeg" : "image/" + format;
    auto blob = blobs_.put(*bytes);
    if (!blob) return blob.error();
    ++number;
    files.push_back(file_json(*blob, "image-" + std::to_string(number) + "." + extension_of(mime), mime));
    if (const auto* revised = item.as_object().if_contains("revised_prompt"); revised && revised->is_string()) {
      result["revised_prompt"] = *revised;
    }
  }
  result["engine"] = "generation.image_url";
  if (!model.empty()) result["model"] = model;
  return {};
}

core::Status GenerationService::generate_video(JobContext& job, const MediaGenerationInput& in,
                                               const std::function<bool()>& stop, json::object& result,
                                               json::array& files) {
  // OpenAI's video API: create, poll until completed or failed, then fetch the content.
  const MediaUpstream& up = *media_.video;
  const std::string model = in.model.empty() ? up.model : in.model;
  json::object body{{"prompt", in.prompt}};
  if (!model.empty()) body["model"] = model;
  if (!in.size.empty()) body["size"] = in.size;
  if (in.seconds > 0) body["seconds"] = std::to_string(in.seconds);
  std::string id;
  {
    engines::UpstreamCall call(up.http, "POST", "/videos");
    call.json_body(json::serialize(body));
    auto reply = call.run(stop);
    if (!reply) return reply.error();
    auto v = core::parse_json(reply->body, 16);
    const json::value* vid = v && v->is_object() ? v->as_object().if_contains("id") : nullptr;
    if (vid == nullptr || !vid->is_string() || vid->as_string().empty() ||
        vid->as_string().find_first_of("/?#% ") != json::string::npos) {
      return Error(Code::UpstreamError, "the video upstream (generation.video_url) answered no usable video id");
    }
    id = std::string(vid->as_string());
  }
  result["upstream_id"] = id;
  job.progress(json::object{{"stage", "generating"}, {"percent", 5}});
  while (true) {
    engines::UpstreamCall call(up.http, "GET", "/videos/" + id);
    auto reply = call.run(stop);
    if (!reply) return reply.error();
    auto v = core::parse_json(reply->body, 16);
    if (!v || !v->is_object()) return Error(Code::UpstreamError, "the video upstream's status is not JSON");
    const json::object& o = v->as_object();
    const json::value* status = o.if_contains("status");
    const std::string s = status && status->is_string() ? std::string(status->as_string()) : std::string();
    if (s == "completed") break;
    if (s == "failed") {
      std::string why = "the video upstream (generation.video_url) failed the video";
      if (const auto* e = o.if_contains("error"); e && e->is_object()) {
        if (const auto* m = e->as_object().if_contains("message"); m && m->is_string()) {
          why += ": " + std::string(m->as_string());
        }
      }
      return Error(Code::InvalidInput, why);  // the upstream's verdict on this prompt: not retried
    }
    if (s != "queued" && s != "in_progress" && s != "processing") {
      return Error(Code::UpstreamError, "the video upstream answered the status '" + s + "'");
    }
    if (const auto* pr = o.if_contains("progress"); pr && pr->is_number()) {
      const int pct = std::clamp(static_cast<int>(pr->to_number<double>()), 0, 100);
      job.progress(json::object{{"stage", "generating"}, {"percent", 5 + pct * 85 / 100}});
    }
    for (auto slept = std::chrono::milliseconds(0); slept < media_.video_poll; slept += std::chrono::milliseconds(50)) {
      if (stop()) return Error(Code::ProcessingError, "cancelled");
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
  job.progress(json::object{{"stage", "downloading"}, {"percent", 90}});
  TempFile temp(options_.work_dir, "generated-video");
  std::ofstream out(temp.path(), std::ios::binary);
  std::string head;
  const std::function<bool(std::string_view)> sink = [&](std::string_view bytes) {
    if (head.size() < 16) head.append(bytes.substr(0, 16 - head.size()));
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    return static_cast<bool>(out);
  };
  engines::UpstreamCall call(up.http, "GET", "/videos/" + id + "/content");
  auto reply = call.run(stop, &sink);
  out.close();
  if (!reply) return reply.error();
  std::string mime;
  if (head.size() >= 8 && head.substr(4, 4) == "ftyp") {
    mime = "video/mp4";
  } else if (head.size() >= 4 && head.compare(0, 4, "\x1a\x45\xdf\xa3") == 0) {
    mime = "video/webm";
  } else {
    return Error(Code::UpstreamError,
                 "the video upstream (generation.video_url) answered something that is not MP4 or WebM");
  }
  auto blob = blobs_.put_file(temp.path());
  if (!blob) return blob.error();
  files.push_back(file_json(*blob, "video." + extension_of(mime), mime));
  result["engine"] = "generation.video_url";
  if (!model.empty()) result["model"] = model;
  return {};
}

core::Status GenerationService::generate_music(JobContext& job, const MediaGenerationInput& in,
                                               const std::function<bool()>& stop, json::object& result,
                                               json::array& files) {
  // docent's music contract (docs/GENERATION.md): POST {music_url}/audio/music answers the audio.
  const MediaUpstream& up = *media_.music;
  const std::string model = in.model.empty() ? up.model : in.model;
  json::object body{{"prompt", in.prompt}, {"response_format", in.format}};
  if (!model.empty()) body["model"] = model;
  if (in.seconds > 0) body["duration"] = in.seconds;
  job.progress(json::object{{"stage", "generating"}, {"percent", 10}});
  engines::UpstreamCall call(up.http, "POST", "/audio/music");
  call.json_body(json::serialize(body));
  auto reply = call.run(stop);
  if (!reply) return reply.error();
  TempFile temp(options_.work_dir, "generated-music");
  if (auto w = temp.write(reply->body); !w) return w;
  if (auto sig = engines::check_audio_signature(temp.path()); !sig) {
    return Error(Code::UpstreamError,
                 "the music upstream (generation.music_url) answered something that is not audio: " +
                     sig.error().message);
  }
  job.progress(json::object{{"stage", "storing"}, {"percent", 90}});
  auto blob = blobs_.put(reply->body);
  if (!blob) return blob.error();
  const std::string mime = sniffed_audio_mime(reply->body);
  files.push_back(file_json(*blob, "music." + extension_of(mime), mime));
  result["engine"] = "generation.music_url";
  if (!model.empty()) result["model"] = model;
  return {};
}

core::Status GenerationService::generate_voice(JobContext& job, const MediaGenerationInput& in,
                                               const std::function<bool()>& stop, json::object& result,
                                               json::array& files) {
  SpeakInput speak;
  speak.text = in.prompt;
  speak.language = in.language.empty() ? "en" : in.language;
  speak.voice = in.voice;
  speak.model = in.model;
  speak.format = engines::parse_audio_format(in.format.empty() ? "mp3" : in.format).value_or(engines::AudioFormat::Mp3);
  int last = -1;
  auto progress = [&](SpeechStage s, double f) {
    const int pct = s == SpeechStage::Encode ? 85 + static_cast<int>(f * 10) : 5 + static_cast<int>(f * 80);
    if (pct > last) {
      last = pct;
      job.progress(json::object{{"stage", stage_name(s)}, {"percent", pct}});
    }
  };
  auto audio = speech_->speak_all(speak, progress, stop);
  if (!audio) return audio.error();
  auto blob = blobs_.put(*audio);
  if (!blob) return blob.error();
  const std::string mime = audio_mime(speak.format);
  files.push_back(file_json(*blob, "voice." + extension_of(mime), mime));
  result["engine"] = speech_->has_tts_upstream() ? "tts.url" : "espeak-ng";
  result["language"] = speak.language;
  return {};
}

}  // namespace docent::services
