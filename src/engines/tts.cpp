#include "engines/tts.h"

#include "core/thread_annotations.h"

#include <espeak-ng/speak_lib.h>

#include <algorithm>
#include <cmath>
#include <vector>

namespace docent::engines {

namespace {

using core::Code;
using core::Error;

constexpr size_t kMaxSentenceBytes = 400;

// libespeak-ng's globals: one synthesis at a time in the whole process.
core::Mutex g_espeak_mu;
bool g_espeak_ready GUARDED_BY(g_espeak_mu) = false;
int g_espeak_rate GUARDED_BY(g_espeak_mu) = 0;

struct Collect {
  std::vector<int16_t>* samples;
};

int on_synth(short* wav, int count, espeak_EVENT* events) {
  if (wav == nullptr || count <= 0 || events == nullptr) return 0;
  auto* out = static_cast<std::vector<int16_t>*>(events->user_data);
  if (out != nullptr) out->insert(out->end(), wav, wav + count);
  return 0;
}

bool is_sentence_end(std::string_view text, size_t i, size_t& width) {
  const unsigned char c = static_cast<unsigned char>(text[i]);
  width = 1;
  if (c == '\n') return true;
  if (c == '.' || c == '!' || c == '?' || c == ';') {
    return i + 1 >= text.size() || text[i + 1] == ' ' || text[i + 1] == '\n' || text[i + 1] == '\t';
  }
  // 。！？ (U+3002, U+FF01, U+FF1F) and the Devanagari danda (U+0964).
  for (std::string_view mark : {"\xE3\x80\x82", "\xEF\xBC\x81", "\xEF\xBC\x9F", "\xE0\xA5\xA4"}) {
    if (text.substr(i, mark.size()) == mark) {
      width = mark.size();
      return true;
    }
  }
  return false;
}

}  // namespace

std::optional<size_t> utf8_characters(std::string_view text) {
  size_t count = 0;
  for (size_t i = 0; i < text.size();) {
    const auto c = static_cast<unsigned char>(text[i]);
    size_t len = 0;
    uint32_t cp = 0;
    if (c < 0x80) {
      len = 1;
      cp = c;
    } else if ((c >> 5) == 0x6) {
      len = 2;
      cp = c & 0x1F;
    } else if ((c >> 4) == 0xE) {
      len = 3;
      cp = c & 0x0F;
    } else if ((c >> 3) == 0x1E) {
      len = 4;
      cp = c & 0x07;
    } else {
      return std::nullopt;
    }
    if (i + len > text.size()) return std::nullopt;
    for (size_t k = 1; k < len; ++k) {
      const auto cc = static_cast<unsigned char>(text[i + k]);
      if ((cc >> 6) != 0x2) return std::nullopt;
      cp = (cp << 6) | (cc & 0x3F);
    }
    // Overlong forms, surrogates and values beyond U+10FFFF are not UTF-8.
    if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) || cp > 0x10FFFF ||
        (cp >= 0xD800 && cp <= 0xDFFF)) {
      return std::nullopt;
    }
    i += len;
    ++count;
  }
  return count;
}

core::Status check_speech_text(std::string_view text, std::string_view field, size_t max) {
  auto n = utf8_characters(text);
  if (!n) return Error(Code::InvalidInput, std::string(field) + " is not valid UTF-8", std::string(field));
  const bool blank = std::all_of(text.begin(), text.end(),
                                 [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; });
  if (*n == 0 || blank) {
    Error e(Code::InvalidInput, std::string(field) + " must have 1 to " + std::to_string(max) + " characters",
            std::string(field));
    e.details["max_characters"] = max;
    e.details["characters"] = *n;
    return e;
  }
  if (*n > max) {
    Error e(Code::InvalidInput,
            std::string(field) + " has " + std::to_string(*n) + " characters; at most " + std::to_string(max) +
                " are allowed",
            std::string(field));
    e.details["max_characters"] = max;
    e.details["characters"] = *n;
    return e;
  }
  return {};
}

std::string_view espeak_voice(std::string_view language) {
  static constexpr std::pair<std::string_view, std::string_view> kVoices[] = {
      {"en", "en-us"}, {"es", "es"}, {"fr", "fr"},  {"de", "de"}, {"it", "it"}, {"pt", "pt"}, {"ru", "ru"},
      {"ja", "ja"},    {"ko", "ko"}, {"zh", "cmn"}, {"ar", "ar"}, {"hi", "hi"}, {"ur", "ur"}, {"th", "th"},
  };
  for (auto [code, voice] : kVoices) {
    if (code == language) return voice;
  }
  return {};
}

std::string_view espeak_variant(std::string_view openai_voice) {
  static constexpr std::pair<std::string_view, std::string_view> kVariants[] = {
      {"alloy", "klatt"},  {"ash", "m1"},   {"ballad", "m3"}, {"coral", "f2"},    {"echo", "m7"},
      {"fable", "klatt2"}, {"onyx", "m2"},  {"nova", "f3"},   {"sage", "klatt3"}, {"shimmer", "f4"},
      {"verse", "m4"},     {"marin", "f1"}, {"cedar", "m6"},
  };
  for (auto [voice, variant] : kVariants) {
    if (voice == openai_voice) return variant;
  }
  return "klatt";
}

std::vector<std::string> speech_sentences(std::string_view text) {
  std::vector<std::string> out;
  std::string cur;
  auto flush = [&] {
    const auto first = cur.find_first_not_of(" \t\r\n");
    if (first != std::string::npos) out.push_back(cur.substr(first));
    cur.clear();
  };
  for (size_t i = 0; i < text.size();) {
    size_t width = 1;
    const bool end = is_sentence_end(text, i, width);
    cur.append(text.substr(i, width));
    i += width;
    if (end) {
      flush();
    } else if (cur.size() >= kMaxSentenceBytes && (text[i - 1] == ' ')) {
      flush();
    } else if (cur.size() >= 2 * kMaxSentenceBytes &&
               (static_cast<unsigned char>(text[i < text.size() ? i : i - 1]) & 0xC0) != 0x80) {
      flush();  // no space for a long way (CJK): cut at a character boundary
    }
  }
  flush();
  return out;
}

core::Result<std::unique_ptr<Synthesizer>> Synthesizer::create() {
  core::MutexLock lock(g_espeak_mu);
  if (!g_espeak_ready) {
    const int rate = espeak_Initialize(AUDIO_OUTPUT_SYNCHRONOUS, 0, nullptr, espeakINITIALIZE_DONT_EXIT);
    if (rate <= 0) {
      return Error(Code::ServiceUnavailable, "espeak-ng could not start (Debian package espeak-ng-data missing?)");
    }
    espeak_SetSynthCallback(&on_synth);
    g_espeak_rate = rate;
    g_espeak_ready = true;
  }
  return std::unique_ptr<Synthesizer>(new Synthesizer(g_espeak_rate));
}

core::Status Synthesizer::synthesize(std::string_view text, const SynthesisOptions& options,
                                     const std::function<bool(std::span<const int16_t>)>& on_audio,
                                     const StopCheck& stop, const ProgressFn& progress) {
  const std::string_view voice = espeak_voice(options.language);
  if (voice.empty()) {
    return Error(Code::InvalidInput, "no voice for language '" + options.language + "'", "language");
  }
  const int wpm = std::clamp(static_cast<int>(std::lround(175.0 * options.speed)), 80, 450);
  const auto sentences = speech_sentences(text);
  std::vector<int16_t> samples;
  for (size_t i = 0; i < sentences.size(); ++i) {
    if (stop && stop()) return Error(Code::ProcessingError, "cancelled");
    samples.clear();
    {
      core::MutexLock lock(g_espeak_mu);
      const std::string voice_name = std::string(voice) +
                                     (options.variant.empty() ? std::string() : "+" + options.variant);
      if (espeak_SetVoiceByName(voice_name.c_str()) != EE_OK) {
        return Error(Code::ServiceUnavailable, "espeak-ng has no voice '" + voice_name + "'");
      }
      espeak_SetParameter(espeakRATE, wpm, 0);
      const std::string& s = sentences[i];
      const espeak_ERROR err = espeak_Synth(s.c_str(), s.size() + 1, 0, POS_CHARACTER, 0, espeakCHARS_UTF8, nullptr,
                                            &samples);
      if (err != EE_OK) return Error(Code::Internal, "espeak-ng failed to speak");
    }
    if (!samples.empty() && on_audio && !on_audio(samples)) return Error(Code::ProcessingError, "cancelled");
    if (progress) progress(static_cast<double>(i + 1) / static_cast<double>(sentences.size()));
  }
  return {};
}

}  // namespace docent::engines
