#include "engines/stt.h"

#include <pocketsphinx.h>
#include <sphinxbase/cmn.h>
#include <sphinxbase/feat.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <filesystem>

namespace docent::engines {

namespace {

using core::Code;
using core::Error;

constexpr size_t kBlockSamples = 2048;  // what pocketsphinx_continuous feeds per call
constexpr double kFrameRate = 100.0;    // pocketsphinx's default -frate

bool is_filler(std::string_view w) {
  return w.empty() || w.front() == '<' || w.front() == '[' || w == "++NOISE++" || w == "++GARBAGE++";
}

std::string base_word(std::string_view w) {
  // "read(2)": the second pronunciation of "read".
  if (auto open = w.find('('); open != std::string_view::npos && w.back() == ')') w = w.substr(0, open);
  return std::string(w);
}

std::vector<std::string> normalised_words(std::string_view text) {
  std::vector<std::string> words;
  std::string cur;
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u) || c == '\'' || u >= 0x80) {
      cur.push_back(static_cast<char>(std::tolower(u)));
    } else if (!cur.empty()) {
      words.push_back(std::move(cur));
      cur.clear();
    }
  }
  if (!cur.empty()) words.push_back(std::move(cur));
  return words;
}

}  // namespace

const std::vector<std::string_view>& speech_languages() {
  static const std::vector<std::string_view> kLanguages = {"en", "es", "fr", "de", "it", "pt", "ru",
                                                           "ja", "ko", "zh", "ar", "hi", "ur", "th"};
  return kLanguages;
}

std::string_view speech_language_name(std::string_view code) {
  static constexpr std::pair<std::string_view, std::string_view> kNames[] = {
      {"en", "english"},    {"es", "spanish"}, {"fr", "french"},   {"de", "german"}, {"it", "italian"},
      {"pt", "portuguese"}, {"ru", "russian"}, {"ja", "japanese"}, {"ko", "korean"}, {"zh", "chinese"},
      {"ar", "arabic"},     {"hi", "hindi"},   {"ur", "urdu"},     {"th", "thai"},
  };
  for (auto [c, n] : kNames) {
    if (c == code) return n;
  }
  return code;
}

bool is_speech_language(std::string_view code) {
  const auto& l = speech_languages();
  return std::find(l.begin(), l.end(), code) != l.end();
}

// One loaded pocketsphinx decoder and its configuration.
struct Recognizer::Decoder {
  cmd_ln_t* config = nullptr;
  ps_decoder_t* ps = nullptr;
  // The live cepstral mean as the model starts it: restored before every call, so that what a
  // decoder heard for one request never colours the next (live CMN adapts as it listens).
  std::vector<mfcc_t> initial_cmn;
  ~Decoder() {
    if (ps != nullptr) ps_free(ps);
    if (config != nullptr) cmd_ln_free_r(config);
  }
};

Recognizer::Recognizer(RecognizerOptions options) : options_(std::move(options)) {}
Recognizer::~Recognizer() = default;

core::Result<std::unique_ptr<Recognizer>> Recognizer::create(RecognizerOptions options) {
  const std::filesystem::path dir = options.model_dir;
  for (const auto& p : {dir / "en-us", dir / "en-us.lm.bin", dir / "cmudict-en-us.dict"}) {
    std::error_code ec;
    if (!std::filesystem::exists(p, ec)) {
      return Error(Code::ServiceUnavailable, "the built-in recogniser's model is missing (" + p.string() +
                                                 "; Debian package pocketsphinx-en-us)");
    }
  }
  return std::unique_ptr<Recognizer>(new Recognizer(std::move(options)));
}

core::Result<std::unique_ptr<Recognizer::Decoder>> Recognizer::borrow() {
  {
    core::MutexLock lock(mu_);
    if (!idle_.empty()) {
      auto d = std::move(idle_.back());
      idle_.pop_back();
      return d;
    }
  }
  const std::filesystem::path dir = options_.model_dir;
  const std::string hmm = (dir / "en-us").string();
  const std::string lm = (dir / "en-us.lm.bin").string();
  const std::string dict = (dir / "cmudict-en-us.dict").string();
  auto d = std::make_unique<Decoder>();
  d->config = cmd_ln_init(nullptr, ps_args(), TRUE, "-hmm", hmm.c_str(), "-lm", lm.c_str(), "-dict", dict.c_str(),
                          "-logfn", "/dev/null", nullptr);
  if (d->config == nullptr) return Error(Code::Internal, "the built-in recogniser's configuration was refused");
  d->ps = ps_init(d->config);
  if (d->ps == nullptr) return Error(Code::Internal, "the built-in recogniser's model could not be loaded");
  if (cmn_t* cmn = ps_get_feat(d->ps)->cmn_struct; cmn != nullptr) {
    d->initial_cmn.resize(static_cast<size_t>(cmn->veclen));
    cmn_live_get(cmn, d->initial_cmn.data());
  }
  return d;
}

void Recognizer::give_back(std::unique_ptr<Decoder> d) {
  core::MutexLock lock(mu_);
  if (static_cast<int>(idle_.size()) < options_.max_idle_decoders) idle_.push_back(std::move(d));
}

namespace {

// The words of the utterance just ended, placed at `offset` seconds.
SpeechSegment read_utterance(ps_decoder_t* ps, double offset) {
  SpeechSegment seg;
  int32 score = 0;
  const char* hyp = ps_get_hyp(ps, &score);
  logmath_t* lmath = ps_get_logmath(ps);
  for (ps_seg_t* it = ps_seg_iter(ps); it != nullptr; it = ps_seg_next(it)) {
    const char* w = ps_seg_word(it);
    if (w == nullptr || is_filler(w)) continue;
    int sf = 0;
    int ef = 0;
    ps_seg_frames(it, &sf, &ef);
    int32 ascr = 0;
    int32 lscr = 0;
    int32 lback = 0;
    const int32 prob = ps_seg_prob(it, &ascr, &lscr, &lback);
    double conf = logmath_exp(lmath, prob);
    if (!std::isfinite(conf)) conf = 0;
    seg.words.push_back(
        SpokenWord{base_word(w), offset + sf / kFrameRate, offset + (ef + 1) / kFrameRate, std::clamp(conf, 0.0, 1.0)});
  }
  if (hyp != nullptr) seg.text = hyp;
  if (seg.text.empty()) {
    for (const auto& w : seg.words) seg.text += (seg.text.empty() ? "" : " ") + w.word;
  }
  if (!seg.words.empty()) {
    seg.start = seg.words.front().start;
    seg.end = seg.words.back().end;
  } else {
    seg.start = seg.end = offset;
  }
  return seg;
}

}  // namespace

core::Result<Transcript> Recognizer::recognize(const Pcm& pcm, const ProgressFn& progress, const StopCheck& stop) {
  if (pcm.sample_rate != kSpeechSampleRate) {
    return Error(Code::Internal, "the recogniser takes 16 kHz audio");
  }
  auto decoder = borrow();
  if (!decoder) return std::move(decoder).error();
  ps_decoder_t* ps = (*decoder)->ps;
  if (cmn_t* cmn = ps_get_feat(ps)->cmn_struct; cmn != nullptr && !(*decoder)->initial_cmn.empty()) {
    cmn_live_set(cmn, (*decoder)->initial_cmn.data());
  }

  Transcript t;
  t.language = "en";
  t.engine = "pocketsphinx";
  t.duration = pcm.seconds();
  t.has_words = true;
  const size_t total = pcm.samples.size();
  ps_start_stream(ps);
  ps_start_utt(ps);
  bool in_utterance = false;
  double utterance_offset = 0;
  bool cancelled = false;
  size_t blocks = 0;
  auto end_utterance = [&] {
    ps_end_utt(ps);
    SpeechSegment seg = read_utterance(ps, utterance_offset);
    if (!seg.text.empty()) t.segments.push_back(std::move(seg));
  };
  for (size_t at = 0; at < total; at += kBlockSamples) {
    if (stop && (++blocks % 16) == 0 && stop()) {
      cancelled = true;
      break;
    }
    const size_t n = std::min(kBlockSamples, total - at);
    ps_process_raw(ps, pcm.samples.data() + at, n, FALSE, FALSE);
    const bool speech = ps_get_in_speech(ps) != 0;
    if (speech && !in_utterance) {
      in_utterance = true;
    } else if (!speech && in_utterance) {
      end_utterance();
      ps_start_utt(ps);
      in_utterance = false;
    }
    if (progress && (blocks % 64) == 0) progress(static_cast<double>(at + n) / static_cast<double>(total));
  }
  if (cancelled) {
    ps_end_utt(ps);
    give_back(std::move(*decoder));
    return Error(Code::ProcessingError, "cancelled");
  }
  if (in_utterance) {
    end_utterance();
  } else {
    ps_end_utt(ps);
  }
  give_back(std::move(*decoder));
  if (progress) progress(1.0);
  for (const auto& s : t.segments) t.text += (t.text.empty() ? "" : " ") + s.text;
  return t;
}

double word_error_rate(std::string_view reference, std::string_view hypothesis) {
  const auto ref = normalised_words(reference);
  const auto hyp = normalised_words(hypothesis);
  if (ref.empty()) return static_cast<double>(hyp.size());
  std::vector<size_t> prev(hyp.size() + 1);
  std::vector<size_t> cur(hyp.size() + 1);
  for (size_t j = 0; j <= hyp.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= ref.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= hyp.size(); ++j) {
      const size_t sub = prev[j - 1] + (ref[i - 1] == hyp[j - 1] ? 0 : 1);
      cur[j] = std::min({sub, prev[j] + 1, cur[j - 1] + 1});
    }
    std::swap(prev, cur);
  }
  return static_cast<double>(prev[hyp.size()]) / static_cast<double>(ref.size());
}

}  // namespace docent::engines
