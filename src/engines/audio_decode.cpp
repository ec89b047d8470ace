#include "engines/audio_decode.h"

#include "engines/isolate.h"

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/avutil.h>
#include <libavutil/channel_layout.h>
#include <libavutil/log.h>
#include <libavutil/opt.h>
#include <libswresample/swresample.h>
}

#include <boost/json.hpp>

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <memory>
#include <random>
#include <system_error>

namespace docent::engines {

namespace {

using core::Code;
using core::Error;

// The containers a user may send (libavformat's demuxer names, matched element by element).
constexpr const char* kFormatWhitelist = "wav,mp3,ogg,matroska,webm,mov,mp4,m4a,flac,aac";
constexpr int kMaxSourceRate = 384000;
constexpr int kMaxChannels = 16;
constexpr size_t kAvioBufferBytes = 64 * 1024;

Error invalid(std::string message) { return Error(Code::InvalidFormat, std::move(message)); }

std::string av_error_text(int err) {
  char buf[AV_ERROR_MAX_STRING_SIZE] = {0};
  av_strerror(err, buf, sizeof buf);
  return buf;
}

struct FormatCloser {
  void operator()(AVFormatContext* f) const { avformat_close_input(&f); }
};
struct CodecCloser {
  void operator()(AVCodecContext* c) const { avcodec_free_context(&c); }
};
struct PacketFree {
  void operator()(AVPacket* p) const { av_packet_free(&p); }
};
struct FrameFree {
  void operator()(AVFrame* f) const { av_frame_free(&f); }
};
struct SwrFree {
  void operator()(SwrContext* s) const { swr_free(&s); }
};
struct AvioFree {
  void operator()(AVIOContext* io) const {
    if (io == nullptr) return;
    av_freep(&io->buffer);
    avio_context_free(&io);
  }
};

// FFmpeg logs to stderr by default; only errors are worth a line (in a worker, stderr is the
// parent's log tail).
void quiet_ffmpeg() {
  static const bool once = [] {
    av_log_set_level(AV_LOG_ERROR);
    return true;
  }();
  (void)once;
}

// Bytes in memory read through a custom AVIOContext.
struct MemoryReader {
  std::string_view bytes;
  size_t pos = 0;

  static int read(void* opaque, uint8_t* buf, int size) {
    auto* r = static_cast<MemoryReader*>(opaque);
    if (r->pos >= r->bytes.size()) return AVERROR_EOF;
    const size_t n = std::min(static_cast<size_t>(size), r->bytes.size() - r->pos);
    std::memcpy(buf, r->bytes.data() + r->pos, n);
    r->pos += n;
    return static_cast<int>(n);
  }
  static int64_t seek(void* opaque, int64_t offset, int whence) {
    auto* r = static_cast<MemoryReader*>(opaque);
    const auto size = static_cast<int64_t>(r->bytes.size());
    if (whence == AVSEEK_SIZE) return size;
    int64_t target = 0;
    switch (whence & ~AVSEEK_FORCE) {
      case SEEK_SET: target = offset; break;
      case SEEK_CUR: target = static_cast<int64_t>(r->pos) + offset; break;
      case SEEK_END: target = size + offset; break;
      default: return AVERROR(EINVAL);
    }
    if (target < 0 || target > size) return AVERROR(EINVAL);
    r->pos = static_cast<size_t>(target);
    return target;
  }
};

// Everything after the container is open: find the audio, decode, resample, check.
core::Result<Pcm> decode_opened(AVFormatContext* fmt, const AudioLimits& limits) {
  if (int err = avformat_find_stream_info(fmt, nullptr); err < 0) {
    return invalid("the audio could not be read: " + av_error_text(err));
  }
  const AVCodec* codec = nullptr;
  const int index = av_find_best_stream(fmt, AVMEDIA_TYPE_AUDIO, -1, -1, &codec, 0);
  if (index < 0 || codec == nullptr) {
    return invalid(index == AVERROR_DECODER_NOT_FOUND ? "the audio's codec is not supported"
                                                      : "the file has no audio stream");
  }
  AVStream* stream = fmt->streams[index];
  const AVCodecParameters* par = stream->codecpar;
  if (par->sample_rate <= 0 || par->sample_rate > kMaxSourceRate) {
    return invalid("the audio declares an implausible sample rate (" + std::to_string(par->sample_rate) + " Hz)");
  }
  if (par->ch_layout.nb_channels <= 0 || par->ch_layout.nb_channels > kMaxChannels) {
    return invalid("the audio declares an implausible number of channels (" +
                   std::to_string(par->ch_layout.nb_channels) + ")");
  }
  std::unique_ptr<AVCodecContext, CodecCloser> dec(avcodec_alloc_context3(codec));
  if (!dec) return Error(Code::Internal, "out of memory opening the audio decoder");
  if (avcodec_parameters_to_context(dec.get(), par) < 0) return invalid("the audio's codec parameters are invalid");
  dec->thread_count = 1;
  if (int err = avcodec_open2(dec.get(), codec, nullptr); err < 0) {
    return invalid("the audio decoder rejected the stream: " + av_error_text(err));
  }

  Pcm pcm;
  pcm.container = fmt->iformat->name;
  pcm.codec = codec->name;
  const uint64_t max_samples = static_cast<uint64_t>(limits.max_seconds) * kSpeechSampleRate;

  std::unique_ptr<SwrContext, SwrFree> swr;
  AVChannelLayout mono = AV_CHANNEL_LAYOUT_MONO;
  int swr_in_rate = 0;
  int swr_in_format = -1;
  auto make_resampler = [&](AVFrame* f) -> core::Status {
    SwrContext* s = nullptr;
    if (swr_alloc_set_opts2(&s, &mono, AV_SAMPLE_FMT_S16, kSpeechSampleRate, &f->ch_layout,
                            static_cast<AVSampleFormat>(f->format), f->sample_rate, 0, nullptr) < 0 ||
        swr_init(s) < 0) {
      swr_free(&s);
      return invalid("the audio's sample layout cannot be converted");
    }
    swr.reset(s);
    swr_in_rate = f->sample_rate;
    swr_in_format = f->format;
    return {};
  };

  std::unique_ptr<AVPacket, PacketFree> pkt(av_packet_alloc());
  std::unique_ptr<AVFrame, FrameFree> frame(av_frame_alloc());
  if (!pkt || !frame) return Error(Code::Internal, "out of memory decoding audio");
  int64_t packets = 0;
  int64_t bad_packets = 0;
  bool too_long = false;

  auto take_frames = [&]() -> core::Status {
    for (;;) {
      int r = avcodec_receive_frame(dec.get(), frame.get());
      if (r == AVERROR(EAGAIN) || r == AVERROR_EOF) return {};
      if (r < 0) {
        ++bad_packets;
        return {};
      }
      if (frame->sample_rate <= 0 || frame->sample_rate > kMaxSourceRate || frame->ch_layout.nb_channels <= 0 ||
          frame->ch_layout.nb_channels > kMaxChannels) {
        return invalid("the audio changes to an implausible format mid-stream");
      }
      if (!swr || frame->sample_rate != swr_in_rate || frame->format != swr_in_format) {
        if (auto st = make_resampler(frame.get()); !st) return st;
      }
      const int out_room = swr_get_out_samples(swr.get(), frame->nb_samples);
      if (out_room > 0) {
        const size_t at = pcm.samples.size();
        pcm.samples.resize(at + static_cast<size_t>(out_room));
        uint8_t* out = reinterpret_cast<uint8_t*>(pcm.samples.data() + at);
        int got = swr_convert(swr.get(), &out, out_room, const_cast<const uint8_t**>(frame->extended_data),
                              frame->nb_samples);
        if (got < 0) return invalid("the audio's samples cannot be converted");
        pcm.samples.resize(at + static_cast<size_t>(got));
      }
      av_frame_unref(frame.get());
      if (pcm.samples.size() > max_samples) {
        too_long = true;
        return {};
      }
    }
  };

  for (;;) {
    int r = av_read_frame(fmt, pkt.get());
    if (r == AVERROR_EOF) break;
    if (r < 0) {
      // A read error after good audio is a truncated or damaged tail.
      if (pcm.samples.empty()) return invalid("the audio could not be read: " + av_error_text(r));
      return invalid("the audio is damaged or truncated (" + av_error_text(r) + ")");
    }
    if (pkt->stream_index != index) {
      av_packet_unref(pkt.get());
      continue;
    }
    ++packets;
    r = avcodec_send_packet(dec.get(), pkt.get());
    av_packet_unref(pkt.get());
    if (r < 0 && r != AVERROR(EAGAIN)) ++bad_packets;
    if (auto st = take_frames(); !st) return st.error();
    if (too_long) break;
  }
  if (!too_long) {
    avcodec_send_packet(dec.get(), nullptr);
    if (auto st = take_frames(); !st) return st.error();
  }
  if (swr && !too_long) {
    // What the resampler still holds.
    for (;;) {
      const size_t at = pcm.samples.size();
      pcm.samples.resize(at + 4096);
      uint8_t* out = reinterpret_cast<uint8_t*>(pcm.samples.data() + at);
      int got = swr_convert(swr.get(), &out, 4096, nullptr, 0);
      pcm.samples.resize(at + static_cast<size_t>(std::max(got, 0)));
      if (got <= 0) break;
    }
  }
  if (too_long || pcm.samples.size() > max_samples) {
    Error e(Code::PayloadTooLarge, "the audio is longer than " + std::to_string(limits.max_seconds) + " seconds");
    e.details["max_seconds"] = limits.max_seconds;
    return e;
  }
  if (bad_packets > 0 && (pcm.samples.empty() || bad_packets * 10 > packets)) {
    return invalid("the audio is damaged: the decoder rejected " + std::to_string(bad_packets) + " of " +
                   std::to_string(packets) + " packets");
  }
  if (pcm.samples.empty()) return invalid("the file holds no audio samples");
  // A header that promises more than the file holds: a truncated upload. Durations estimated
  // from the bit rate (MP3 without a Xing header, ADTS) are too rough to judge by.
  if (fmt->duration_estimation_method != AVFMT_DURATION_FROM_BITRATE && stream->duration != AV_NOPTS_VALUE &&
      stream->duration > 0) {
    const double declared = static_cast<double>(stream->duration) * av_q2d(stream->time_base);
    if (declared > 0 && pcm.seconds() < 0.9 * declared - 0.1) {
      return invalid("the audio is truncated: its header declares " + std::to_string(declared).substr(0, 6) +
                     " s, the file holds " + std::to_string(pcm.seconds()).substr(0, 6) + " s");
    }
  }
  return pcm;
}

// A RIFF/WAVE file whose data chunk declares more bytes than the file holds: cut off in transit.
// libavformat decodes what is there without a word, so the header is read here. `head` is the
// file's first bytes (64 KiB is plenty for the chunks before "data").
bool wav_truncated(std::string_view head, uint64_t file_size) {
  auto le32 = [&](size_t at) {
    return static_cast<uint32_t>(static_cast<unsigned char>(head[at])) |
           static_cast<uint32_t>(static_cast<unsigned char>(head[at + 1])) << 8 |
           static_cast<uint32_t>(static_cast<unsigned char>(head[at + 2])) << 16 |
           static_cast<uint32_t>(static_cast<unsigned char>(head[at + 3])) << 24;
  };
  if (head.size() < 12 || head.substr(0, 4) != "RIFF" || head.substr(8, 4) != "WAVE") return false;
  size_t at = 12;
  while (at + 8 <= head.size()) {
    const uint32_t size = le32(at + 4);
    if (head.substr(at, 4) == "data") {
      // 0 and 0xFFFFFFFF are what streaming writers put there: unknown, not a promise.
      return size != 0 && size != 0xFFFFFFFFu && at + 8 + static_cast<uint64_t>(size) > file_size;
    }
    at += 8 + static_cast<size_t>(size) + (size & 1);
  }
  return false;
}

core::Status check_wav(std::string_view head, uint64_t file_size) {
  if (wav_truncated(head, file_size))
    return invalid("the audio is truncated: its WAV header declares more data than the file holds");
  return {};
}

AVDictionary* open_options() {
  AVDictionary* opts = nullptr;
  av_dict_set(&opts, "format_whitelist", kFormatWhitelist, 0);
  av_dict_set(&opts, "protocol_whitelist", "file", 0);
  return opts;
}

core::Status check_size(uint64_t size, const AudioLimits& limits) {
  if (size == 0) return invalid("the audio file is empty");
  if (limits.max_bytes > 0 && size > limits.max_bytes) {
    Error e(Code::PayloadTooLarge, "the audio file is larger than " + std::to_string(limits.max_bytes) + " bytes");
    e.details["limit"] = limits.max_bytes;
    return e;
  }
  return {};
}

bool known_signature(std::string_view b) {
  auto at = [&](size_t i) { return static_cast<unsigned char>(b[i]); };
  if (b.size() >= 12 && b.starts_with("RIFF") && b.substr(8, 4) == "WAVE") return true;
  if (b.starts_with("ID3") || b.starts_with("OggS") || b.starts_with("fLaC")) return true;
  if (b.size() >= 4 && at(0) == 0x1A && at(1) == 0x45 && at(2) == 0xDF && at(3) == 0xA3) return true;  // EBML
  if (b.size() >= 8 && b.substr(4, 4) == "ftyp") return true;
  // An MPEG audio frame or an ADTS (AAC) header: eleven set sync bits, then a layer that is not
  // the reserved 00 (for ADTS, layer is always 00 with the MPEG-4/2 id bit: FFF1 or FFF9).
  if (b.size() >= 2 && at(0) == 0xFF && (at(1) & 0xE0) == 0xE0) {
    const int layer = (at(1) >> 1) & 3;
    return layer != 0 || (at(1) & 0xF6) == 0xF0;
  }
  return false;
}

}  // namespace

core::Status check_audio_signature(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  char head[12] = {};
  in.read(head, sizeof head);
  const auto got = static_cast<size_t>(in.gcount());
  if (got == 0) return invalid("the audio file is empty");
  if (!known_signature(std::string_view(head, got))) {
    return invalid("the file is not audio docent reads: send WebM, WAV, MP3, OGG, M4A or FLAC");
  }
  return {};
}

core::Result<Pcm> decode_audio(const std::filesystem::path& file, const AudioLimits& limits) {
  quiet_ffmpeg();
  std::error_code ec;
  const auto size = std::filesystem::file_size(file, ec);
  if (ec) return Error(Code::Internal, "cannot read the audio file: " + ec.message());
  if (auto st = check_size(size, limits); !st) return st.error();
  {
    std::string head(64 * 1024, '\0');
    std::ifstream in(file, std::ios::binary);
    in.read(head.data(), static_cast<std::streamsize>(head.size()));
    head.resize(static_cast<size_t>(in.gcount()));
    if (auto st = check_wav(head, size); !st) return st.error();
  }
  AVFormatContext* raw = avformat_alloc_context();
  if (raw == nullptr) return Error(Code::Internal, "out of memory opening the audio");
  raw->format_whitelist = av_strdup(kFormatWhitelist);
  raw->protocol_whitelist = av_strdup("file");
  AVDictionary* opts = open_options();
  int err = avformat_open_input(&raw, file.c_str(), nullptr, &opts);
  av_dict_free(&opts);
  if (err < 0) {
    return invalid(err == AVERROR_INVALIDDATA ? "the file is not audio in a supported format (WebM, WAV, MP3, OGG, "
                                                "M4A, FLAC)"
                                              : "the audio could not be opened: " + av_error_text(err));
  }
  std::unique_ptr<AVFormatContext, FormatCloser> fmt(raw);
  return decode_opened(fmt.get(), limits);
}

core::Result<Pcm> decode_audio_memory(std::string_view bytes, const AudioLimits& limits) {
  quiet_ffmpeg();
  if (auto st = check_size(bytes.size(), limits); !st) return st.error();
  if (auto st = check_wav(bytes.substr(0, 64 * 1024), bytes.size()); !st) return st.error();
  MemoryReader reader{bytes, 0};
  auto* buffer = static_cast<unsigned char*>(av_malloc(kAvioBufferBytes));
  if (buffer == nullptr) return Error(Code::Internal, "out of memory reading audio");
  std::unique_ptr<AVIOContext, AvioFree> io(avio_alloc_context(buffer, static_cast<int>(kAvioBufferBytes), 0, &reader,
                                                               &MemoryReader::read, nullptr, &MemoryReader::seek));
  if (!io) {
    av_free(buffer);
    return Error(Code::Internal, "out of memory reading audio");
  }
  AVFormatContext* raw = avformat_alloc_context();
  if (raw == nullptr) return Error(Code::Internal, "out of memory opening the audio");
  raw->pb = io.get();
  raw->flags |= AVFMT_FLAG_CUSTOM_IO;
  raw->format_whitelist = av_strdup(kFormatWhitelist);
  AVDictionary* opts = open_options();
  int err = avformat_open_input(&raw, nullptr, nullptr, &opts);
  av_dict_free(&opts);
  if (err < 0) {
    return invalid(err == AVERROR_INVALIDDATA ? "the file is not audio in a supported format (WebM, WAV, MP3, OGG, "
                                                "M4A, FLAC)"
                                              : "the audio could not be opened: " + av_error_text(err));
  }
  std::unique_ptr<AVFormatContext, FormatCloser> fmt(raw);
  return decode_opened(fmt.get(), limits);
}

core::Result<Pcm> decode_audio_isolated(const std::filesystem::path& docent_exe, const std::filesystem::path& file,
                                        const AudioLimits& limits) {
  std::error_code ec;
  const auto size = std::filesystem::file_size(file, ec);
  if (ec) return Error(Code::Internal, "cannot read the audio file: " + ec.message());
  if (auto st = check_size(size, limits); !st) return st.error();
  std::random_device rd;
  const auto out = std::filesystem::path(file.string() + "." + std::to_string(rd()) + ".pcm");
  struct Remove {
    std::filesystem::path p;
    ~Remove() {
      std::error_code e;
      std::filesystem::remove(p, e);
    }
  } remove_out{out};
  ParseLimits bounds;
  bounds.timeout = limits.timeout;
  bounds.max_memory_bytes = limits.max_memory_bytes;
  std::vector<std::string> args = {"--file",        file.string(),
                                   "--out",         out.string(),
                                   "--max-seconds", std::to_string(limits.max_seconds),
                                   "--timeout",     std::to_string(limits.timeout.count()),
                                   "--max-memory",  std::to_string(limits.max_memory_bytes)};
  auto summary = run_isolated_worker(docent_exe, kAudioDecodeCommand, std::move(args), bounds, file.filename().string(),
                                     1 << 20);
  if (!summary) {
    core::Error e = std::move(summary).error();
    if (e.code == Code::PayloadTooLarge) e.details["max_seconds"] = limits.max_seconds;
    return e;
  }
  Pcm pcm;
  if (const auto* o = summary->if_object()) {
    if (const auto* c = o->if_contains("container"); c && c->is_string()) pcm.container = c->get_string();
    if (const auto* c = o->if_contains("codec"); c && c->is_string()) pcm.codec = c->get_string();
  }
  const auto bytes = std::filesystem::file_size(out, ec);
  if (ec || bytes % 2 != 0) return Error(Code::ProcessingError, "the audio decoder returned malformed output");
  pcm.samples.resize(bytes / 2);
  std::ifstream in(out, std::ios::binary);
  in.read(reinterpret_cast<char*>(pcm.samples.data()), static_cast<std::streamsize>(bytes));
  if (!in) return Error(Code::ProcessingError, "the audio decoder returned malformed output");
  return pcm;
}

int audio_decode_worker_main(int argc, char** argv) {
  return run_worker_main(
      argc, argv, "usage: docent __audio --file PATH --out PATH [--max-seconds N] [--timeout S] [--max-memory B]",
      [](const WorkerArgs& args) -> core::Result<boost::json::value> {
        if (args.out.empty()) return Error(Code::InvalidInput, "--out is required");
        AudioLimits limits;
        limits.max_bytes = 0;
        if (args.max_seconds > 0) limits.max_seconds = args.max_seconds;
        auto pcm = decode_audio(args.file, limits);
        if (!pcm) return std::move(pcm).error();
        std::ofstream out(args.out, std::ios::binary | std::ios::trunc);
        out.write(reinterpret_cast<const char*>(pcm->samples.data()),
                  static_cast<std::streamsize>(pcm->samples.size() * sizeof(int16_t)));
        out.close();
        if (!out) return Error(Code::Internal, "cannot write the decoded audio");
        return boost::json::value(boost::json::object{{"samples", pcm->samples.size()},
                                                      {"sample_rate", pcm->sample_rate},
                                                      {"container", pcm->container},
                                                      {"codec", pcm->codec}});
      });
}

}  // namespace docent::engines
