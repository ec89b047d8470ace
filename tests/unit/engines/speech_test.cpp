// Speech engines end to end: espeak-ng speaks a known text, FFmpeg encodes and decodes it (the
// decode in the isolated child, DOCENT_BINARY), pocketsphinx recognises it. Fixtures are made here.

#include "engines/audio_decode.h"
#include "engines/audio_encode.h"
#include "engines/stt.h"
#include "engines/tts.h"

#include <gtest/gtest.h>

#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

namespace docent::engines {
namespace {

namespace fs = std::filesystem;
const fs::path kDocent = DOCENT_BINARY;

class TempDir {
 public:
  TempDir() {
    path_ = fs::temp_directory_path() / ("docent-speech-" + std::to_string(::getpid()) + "-" + std::to_string(next_++));
    fs::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  fs::path file(const std::string& name, std::string_view bytes) const {
    const fs::path p = path_ / name;
    std::ofstream(p, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    return p;
  }

 private:
  static inline int next_ = 0;
  fs::path path_;
};

std::vector<int16_t> speak(std::string_view text, const std::string& language = "en", double speed = 1.0) {
  auto tts = Synthesizer::create();
  EXPECT_TRUE(tts) << tts.error().message;
  std::vector<int16_t> samples;
  auto st = (*tts)->synthesize(
      text, SynthesisOptions{language, "klatt", speed},
      [&](std::span<const int16_t> s) {
    samples.insert(samples.end(), s.begin(), s.end());
    return true;
      },
      {}, {});
  EXPECT_TRUE(st) << st.error().message;
  return samples;
}

std::string encoded(AudioFormat f, std::span<const int16_t> samples, int rate) {
  auto bytes = encode_audio(f, rate, samples);
  EXPECT_TRUE(bytes) << bytes.error().message;
  return bytes ? *bytes : std::string();
}

TEST(Speech, EspeakSpeechIsRecognisedWithinAWordErrorBound) {
  const std::string text = "this is a test of the speech system. please turn left and stop the car.";
  auto tts = Synthesizer::create();
  ASSERT_TRUE(tts);
  const auto samples = speak(text, "en", 0.75);
  TempDir dir;
  const auto wav = dir.file("speech.wav", encoded(AudioFormat::Wav, samples, (*tts)->sample_rate()));
  auto pcm = decode_audio_isolated(kDocent, wav, {});
  ASSERT_TRUE(pcm) << pcm.error().message;
  EXPECT_EQ(pcm->sample_rate, kSpeechSampleRate);
  EXPECT_NEAR(pcm->seconds(), static_cast<double>(samples.size()) / (*tts)->sample_rate(), 0.2);
  auto rec = Recognizer::create({});
  ASSERT_TRUE(rec) << rec.error().message;
  double last = -1;
  auto t = (*rec)->recognize(*pcm, [&](double f) { last = f; }, {});
  ASSERT_TRUE(t) << t.error().message;
  EXPECT_EQ(last, 1.0);
  const double wer = word_error_rate(text, t->text);
  EXPECT_LE(wer, 0.35) << "heard: " << t->text;
  ASSERT_FALSE(t->segments.empty());
  EXPECT_TRUE(t->has_words);
  for (const auto& seg : t->segments) {
    EXPECT_LE(seg.start, seg.end);
    EXPECT_LE(seg.end, pcm->seconds() + 0.5);
    for (const auto& w : seg.words) {
      EXPECT_LE(w.start, w.end);
      EXPECT_GE(w.confidence, 0.0);
      EXPECT_LE(w.confidence, 1.0);
    }
  }
}

TEST(Speech, EveryOutputFormatDecodesBackToTheSameDuration) {
  auto tts = Synthesizer::create();
  ASSERT_TRUE(tts);
  const auto samples = speak("The quick brown fox jumps over the lazy dog.");
  const double seconds = static_cast<double>(samples.size()) / (*tts)->sample_rate();
  for (auto f :
       {AudioFormat::Mp3, AudioFormat::Opus, AudioFormat::Aac, AudioFormat::Flac, AudioFormat::Wav, AudioFormat::Ogg}) {
    SCOPED_TRACE(std::string(audio_format_name(f)));
    const std::string bytes = encoded(f, samples, (*tts)->sample_rate());
    ASSERT_GT(bytes.size(), 100u);
    auto pcm = decode_audio_memory(bytes, {});
    ASSERT_TRUE(pcm) << pcm.error().message;
    EXPECT_NEAR(pcm->seconds(), seconds, 0.15);
  }
  // pcm is raw s16le at 24 kHz: two bytes a sample.
  const std::string raw = encoded(AudioFormat::Pcm, samples, (*tts)->sample_rate());
  EXPECT_NEAR(static_cast<double>(raw.size()) / 2 / kSpeechOutputRate, seconds, 0.05);
}

TEST(Speech, StreamingEncoderHandsOutBytesBeforeTheEnd) {
  auto tts = Synthesizer::create();
  ASSERT_TRUE(tts);
  auto enc = AudioEncoder::create(AudioFormat::Mp3, (*tts)->sample_rate(), true);
  ASSERT_TRUE(enc);
  const auto samples = speak("One sentence. Another sentence. And a third one here.");
  ASSERT_TRUE((*enc)->write(samples));
  const std::string early = (*enc)->take();
  EXPECT_GT(early.size(), 0u);
  ASSERT_TRUE((*enc)->finish());
  const std::string all = early + (*enc)->take();
  auto pcm = decode_audio_memory(all, {});
  ASSERT_TRUE(pcm) << pcm.error().message;
}

TEST(Speech, BrokenAudioIsInvalidFormat) {
  auto tts = Synthesizer::create();
  ASSERT_TRUE(tts);
  const std::string wav = encoded(AudioFormat::Wav, speak("testing one two three"), (*tts)->sample_rate());
  std::mt19937 rng(7);
  std::string random_bytes(20000, '\0');
  for (auto& c : random_bytes) c = static_cast<char>(rng());
  std::string garbage_wav = wav.substr(0, 44) + random_bytes;  // a WAV header over noise that is not PCM? it is.
  // A header claiming data far beyond what follows: truncated.
  std::string truncated = wav.substr(0, wav.size() / 3);
  // A RIFF/WAVE header whose fmt chunk is nonsense.
  std::string bad_fmt = "RIFF\x24\x00\x00\x00WAVEfmt \x66\x66\x66\x66" + random_bytes.substr(0, 64);
  TempDir dir;
  struct Case {
    std::string name;
    std::string bytes;
  };
  const std::vector<Case> cases = {
      {"truncated.wav", truncated},         {"badfmt.wav", bad_fmt}, {"random.mp3", random_bytes}, {"empty.wav", ""},
      {"text.ogg", std::string(5000, 'a')},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto pcm = decode_audio_isolated(kDocent, dir.file(c.name, c.bytes), {});
    ASSERT_FALSE(pcm);
    EXPECT_EQ(pcm.error().code, core::Code::InvalidFormat) << pcm.error().message;
    auto mem = decode_audio_memory(c.bytes, {});
    ASSERT_FALSE(mem);
    EXPECT_EQ(mem.error().code, core::Code::InvalidFormat) << mem.error().message;
  }
  (void)garbage_wav;
}

TEST(Speech, TheFirstBytesTellAudioFromEverythingElse) {
  auto tts = Synthesizer::create();
  ASSERT_TRUE(tts);
  const auto samples = speak("signature");
  TempDir dir;
  for (auto f :
       {AudioFormat::Mp3, AudioFormat::Opus, AudioFormat::Aac, AudioFormat::Flac, AudioFormat::Wav, AudioFormat::Ogg}) {
    SCOPED_TRACE(std::string(audio_format_name(f)));
    const auto file = dir.file("clip", encoded(f, samples, (*tts)->sample_rate()));
    EXPECT_TRUE(check_audio_signature(file));
  }
  const std::string webm_head = "\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\xf7\x81";
  EXPECT_TRUE(check_audio_signature(dir.file("a.webm", webm_head)));
  EXPECT_TRUE(check_audio_signature(dir.file("a.m4a", std::string("\0\0\0\x20"
                                                                  "ftypM4A ",
                                                                  12))));
  for (const std::string& bad : {std::string(""), std::string("plain text, not audio"), std::string("%PDF-1.7\n"),
                                 std::string("\x89PNG\r\n\x1a\n\0\0\0\r"), std::string("RIFF\0\0\0\0AVI LIST"),
                                 std::string("\xff\xe0\0\0", 4)}) {
    SCOPED_TRACE(bad);
    auto st = check_audio_signature(dir.file("bad", bad));
    ASSERT_FALSE(st);
    EXPECT_EQ(st.error().code, core::Code::InvalidFormat);
  }
}

TEST(Speech, AudioBeyondTheDurationLimitIsRefused) {
  auto tts = Synthesizer::create();
  ASSERT_TRUE(tts);
  const std::string wav = encoded(AudioFormat::Wav, speak("This sentence takes more than one second to say."),
                                  (*tts)->sample_rate());
  AudioLimits limits;
  limits.max_seconds = 1;
  auto pcm = decode_audio_memory(wav, limits);
  ASSERT_FALSE(pcm);
  EXPECT_EQ(pcm.error().code, core::Code::PayloadTooLarge);
  TempDir dir;
  auto iso = decode_audio_isolated(kDocent, dir.file("long.wav", wav), limits);
  ASSERT_FALSE(iso);
  EXPECT_EQ(iso.error().code, core::Code::PayloadTooLarge) << iso.error().message;
  limits = {};
  limits.max_bytes = 100;
  auto big = decode_audio_memory(wav, limits);
  ASSERT_FALSE(big);
  EXPECT_EQ(big.error().code, core::Code::PayloadTooLarge);
}

TEST(Speech, EverySeedLanguageHasAVoiceThatSpeaks) {
  const std::map<std::string, std::string> samples = {
      {"en", "Hello"}, {"es", "Hola"},   {"fr", "Bonjour"},    {"de", "Guten Tag"},  {"it", "Buongiorno"},
      {"pt", "Olá"},   {"ru", "Привет"}, {"ja", "こんにちは"}, {"ko", "안녕하세요"}, {"zh", "你好"},
      {"ar", "مرحبا"}, {"hi", "नमस्ते"},   {"ur", "ہیلو"},       {"th", "สวัสดี"},
  };
  ASSERT_EQ(samples.size(), speech_languages().size());
  for (auto lang : speech_languages()) {
    SCOPED_TRACE(std::string(lang));
    EXPECT_TRUE(is_speech_language(lang));
    EXPECT_FALSE(espeak_voice(lang).empty());
    EXPECT_GT(speak(samples.at(std::string(lang)), std::string(lang)).size(), 1000u);
  }
  EXPECT_FALSE(is_speech_language("xx"));
  EXPECT_FALSE(is_speech_language("EN"));
  auto tts = Synthesizer::create();
  ASSERT_TRUE(tts);
  auto st = (*tts)->synthesize("hi", {"xx", "", 1.0}, {}, {}, {});
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code, core::Code::InvalidInput);
}

TEST(Speech, TextLengthIsCountedInCharactersNotBytes) {
  std::string accented;
  for (int i = 0; i < 5000; ++i) accented += "\xC3\xA9";  // é: 2 bytes, 1 character
  EXPECT_TRUE(check_speech_text(accented, "text"));
  auto over = check_speech_text(accented + "e", "text");
  ASSERT_FALSE(over);
  EXPECT_EQ(over.error().code, core::Code::InvalidInput);
  EXPECT_EQ(over.error().details.at("characters").to_number<int64_t>(), 5001);
  EXPECT_FALSE(check_speech_text("", "text"));
  EXPECT_FALSE(check_speech_text("   \n", "text"));
  EXPECT_FALSE(check_speech_text("\xC3", "text"));      // cut in the middle of a character
  EXPECT_FALSE(check_speech_text("\xC0\xAF", "text"));  // overlong
  EXPECT_EQ(utf8_characters("日本語").value(), 3u);
}

TEST(Speech, SentencesAreCutAtTheirEnds) {
  auto s = speech_sentences("First one. Second one!  Third?\nFourth");
  ASSERT_EQ(s.size(), 4u);
  EXPECT_EQ(s[0], "First one.");
  EXPECT_EQ(s[3], "Fourth");
  EXPECT_EQ(speech_sentences("3.14 is pi").size(), 1u);
  EXPECT_EQ(speech_sentences("你好。再见。").size(), 2u);
}

TEST(Speech, WordErrorRateCountsEdits) {
  EXPECT_DOUBLE_EQ(word_error_rate("go forward ten meters", "go forward ten meters"), 0.0);
  EXPECT_DOUBLE_EQ(word_error_rate("Go forward, ten meters.", "go forward ten meters"), 0.0);
  EXPECT_DOUBLE_EQ(word_error_rate("go forward ten meters", "go forward two meters"), 0.25);
  EXPECT_DOUBLE_EQ(word_error_rate("go forward ten meters", "go forward"), 0.5);
  EXPECT_DOUBLE_EQ(word_error_rate("", ""), 0.0);
}

TEST(Speech, RecognitionStopsWhenAsked) {
  auto rec = Recognizer::create({});
  ASSERT_TRUE(rec);
  Pcm pcm;
  pcm.samples.assign(kSpeechSampleRate * 5, 0);
  auto t = (*rec)->recognize(pcm, {}, [] { return true; });
  ASSERT_FALSE(t);
  EXPECT_EQ(t.error().message, "cancelled");
}

TEST(Speech, AMissingModelIsServiceUnavailable) {
  auto rec = Recognizer::create({.model_dir = "/nonexistent/model"});
  ASSERT_FALSE(rec);
  EXPECT_EQ(rec.error().code, core::Code::ServiceUnavailable);
}

}  // namespace
}  // namespace docent::engines

namespace docent::engines {
namespace {

// A pooled decoder used to keep the cepstral mean it learnt on one request for the next, so the
// same audio could be heard differently depending on what came before it.
TEST(Speech, ADecoderReusedAfterOtherAudioHearsTheSameWords) {
  auto tts = Synthesizer::create();
  ASSERT_TRUE(tts);
  const std::string text = "this is a test of the speech system. please turn left and stop the car.";
  auto wav = encode_audio(AudioFormat::Wav, (*tts)->sample_rate(), speak(text, "en", 0.75));
  ASSERT_TRUE(wav);
  auto pcm = decode_audio_memory(*wav, {});
  ASSERT_TRUE(pcm);
  auto rec = Recognizer::create({.model_dir = "/usr/share/pocketsphinx/model/en-us", .max_idle_decoders = 1});
  ASSERT_TRUE(rec);
  auto first = (*rec)->recognize(*pcm, {}, {});
  ASSERT_TRUE(first);
  Pcm loud;  // something very unlike speech in between
  for (int i = 0; i < kSpeechSampleRate * 3; ++i)
    loud.samples.push_back(static_cast<int16_t>((i % 40) < 20 ? 12000 : -12000));
  ASSERT_TRUE((*rec)->recognize(loud, {}, {}));
  auto again = (*rec)->recognize(*pcm, {}, {});
  ASSERT_TRUE(again);
  EXPECT_EQ(first->text, again->text);
}

}  // namespace
}  // namespace docent::engines
