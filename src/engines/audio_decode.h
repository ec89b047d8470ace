#pragma once
// Decoding untrusted audio (WebM/Opus, WAV, MP3, OGG Vorbis/Opus, M4A/AAC, FLAC) into the 16 kHz
// mono 16-bit PCM that speech recognisers take, with FFmpeg's libavformat, libavcodec and
// libswresample.
//
//   auto pcm = decode_audio_isolated(self_executable(), spooled_upload, limits);
//
// Only the containers above are probed (libavformat's format whitelist: wav, mp3, ogg,
// matroska/webm, mov/mp4/m4a, flac, aac) and only the "file" protocol is allowed, so a hostile
// file cannot make the demuxer open URLs or other files (HLS playlists, concat lists).
//
// Broken input is Code::InvalidFormat with a message a user can act on: no audio stream, a
// container or codec that is not one of the above, data the decoder rejects, a file whose header
// promises more audio than it holds (truncated), an implausible sample rate or channel count, no
// samples at all. Audio longer than limits.max_seconds is Code::PayloadTooLarge (details:
// max_seconds) and decoding stops there; a file above limits.max_bytes is refused before it is
// opened (Code::PayloadTooLarge, details: limit).
//
// Threads: decode_audio and decode_audio_memory are reentrant (FFmpeg's decoders keep no global
// state) and block their thread; decode_audio_isolated blocks until its child process is done
// (isolate.h), so call all of them from a worker pool or a job, never from a network thread.

#include "core/error.h"

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace docent::engines {

// The rate every decode produces: what pocketsphinx's en-us model and whisper expect.
inline constexpr int kSpeechSampleRate = 16000;

// argv[1] of the docent binary that makes main() call audio_decode_worker_main.
inline constexpr std::string_view kAudioDecodeCommand = "__audio";

struct AudioLimits {
  std::uint64_t max_bytes = 25ull << 20;        // the encoded file (OpenAI's own limit is 25 MB)
  int max_seconds = 600;                        // decoded duration
  std::chrono::seconds timeout{60};             // wall clock of an isolated decode (its child is killed after)
  std::uint64_t max_memory_bytes = 1ull << 30;  // address space of an isolated decode
};

// Decoded speech: 16 kHz, mono, signed 16-bit samples.
struct Pcm {
  std::vector<int16_t> samples;
  int sample_rate = kSpeechSampleRate;
  std::string container;  // libavformat's name for what was read, e.g. "wav", "matroska,webm"
  std::string codec;      // e.g. "opus", "mp3", "pcm_s16le"
  double seconds() const { return static_cast<double>(samples.size()) / sample_rate; }
};

// A cheap look at the file's first bytes, for a request handler: Code::InvalidFormat unless they
// begin one of the containers above (RIFF/WAVE, an ID3 tag or an MPEG/ADTS frame, OggS, EBML for
// WebM/Matroska, an ISO-BMFF `ftyp` box for M4A, fLaC). It proves nothing about the rest: the
// decode still checks everything. Reads at most 12 bytes; never decodes.
core::Status check_audio_signature(const std::filesystem::path& file);

// Decodes the file at `file` in this process. Errors as described at the top.
core::Result<Pcm> decode_audio(const std::filesystem::path& file, const AudioLimits& limits);

// Decodes bytes held in memory (read through a custom AVIOContext; nothing touches the disk).
core::Result<Pcm> decode_audio_memory(std::string_view bytes, const AudioLimits& limits);

// decode_audio in a child process (`docent __audio`, isolate.h's bounds: limits.timeout of wall
// clock, limits.max_memory_bytes of address space). The child writes the samples to a temporary
// file beside `file` that this call reads and removes. A crash, hang or memory balloon in a
// decoder is Code::ProcessingError ("the parser crashed (signal 11)", ...); the decoder's own
// errors arrive as above.
core::Result<Pcm> decode_audio_isolated(const std::filesystem::path& docent_exe, const std::filesystem::path& file,
                                        const AudioLimits& limits);

// The child's main: argv[0] is kAudioDecodeCommand, then --file F --out O --max-seconds N
// --max-bytes N --timeout S --max-memory B. Writes the samples (s16le) to O and a JSON summary
// on stdout; returns a kWorkerExit* status (isolate.h).
int audio_decode_worker_main(int argc, char** argv);

}  // namespace docent::engines
