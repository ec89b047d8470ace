#pragma once
// Encoding synthesised speech with FFmpeg's encoders and muxers: MP3 (libmp3lame), Opus in Ogg
// (libopus), Vorbis in Ogg (libvorbis), AAC in ADTS, FLAC, WAV and raw PCM (s16le), always mono
// at 24 kHz (what OpenAI's /v1/audio/speech returns).
//
//   auto enc = AudioEncoder::create(AudioFormat::Mp3, 22050, /*streaming=*/true);
//   enc->write(samples); send(enc->take()); ... enc->finish(); send(enc->take());
//
// Streaming encoders write to a non-seekable buffer, so take() may hand bytes out as they are
// made (WAV then carries 0xFFFFFFFF sizes and FLAC no sample count, as streamed files do); a
// non-streaming encoder's output is complete and exact only after finish(). The input is ours
// (espeak-ng's samples), never a user's file, so it runs in process. One encoder per thread.

#include "core/error.h"

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace docent::engines {

enum class AudioFormat { Mp3, Opus, Aac, Flac, Wav, Pcm, Ogg };

inline constexpr int kSpeechOutputRate = 24000;

// "mp3", "opus", "aac", "flac", "wav", "pcm", "ogg" (Vorbis); nullopt for anything else.
std::optional<AudioFormat> parse_audio_format(std::string_view name);
std::string_view audio_format_name(AudioFormat f);
std::string_view audio_mime_type(AudioFormat f);

class AudioEncoder {
 public:
  // Code::ServiceUnavailable when this FFmpeg lacks the encoder (named in the message).
  static core::Result<std::unique_ptr<AudioEncoder>> create(AudioFormat format, int input_rate, bool streaming);
  ~AudioEncoder();
  AudioEncoder(const AudioEncoder&) = delete;
  AudioEncoder& operator=(const AudioEncoder&) = delete;

  // Mono signed 16-bit samples at input_rate.
  core::Status write(std::span<const int16_t> samples);
  // Flushes the encoder and writes the container's trailer. Call once.
  core::Status finish();
  // The bytes made since the last take() (streaming), or all of them after finish().
  std::string take();

 private:
  struct Impl;
  explicit AudioEncoder(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Encodes a whole buffer (non-streaming): write, finish, take.
core::Result<std::string> encode_audio(AudioFormat format, int input_rate, std::span<const int16_t> samples);

}  // namespace docent::engines
