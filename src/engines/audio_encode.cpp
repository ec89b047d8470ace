#include "engines/audio_encode.h"

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/audio_fifo.h>
#include <libavutil/channel_layout.h>
#include <libavutil/opt.h>
#include <libswresample/swresample.h>
}

#include <algorithm>
#include <cstring>
#include <vector>

namespace docent::engines {

namespace {

using core::Code;
using core::Error;

struct Spec {
  AudioFormat format;
  const char* name;
  const char* mime;
  const char* muxer;
  const char* encoder;
  int64_t bit_rate;
};

constexpr Spec kSpecs[] = {
    {AudioFormat::Mp3, "mp3", "audio/mpeg", "mp3", "libmp3lame", 64000},
    {AudioFormat::Opus, "opus", "audio/ogg; codecs=opus", "ogg", "libopus", 32000},
    {AudioFormat::Aac, "aac", "audio/aac", "adts", "aac", 64000},
    {AudioFormat::Flac, "flac", "audio/flac", "flac", "flac", 0},
    {AudioFormat::Wav, "wav", "audio/wav", "wav", "pcm_s16le", 0},
    {AudioFormat::Pcm, "pcm", "audio/pcm", "s16le", "pcm_s16le", 0},
    {AudioFormat::Ogg, "ogg", "audio/ogg; codecs=vorbis", "ogg", "libvorbis", 48000},
};

const Spec& spec(AudioFormat f) {
  for (const auto& s : kSpecs) {
    if (s.format == f) return s;
  }
  return kSpecs[0];
}

std::string av_error_text(int err) {
  char buf[AV_ERROR_MAX_STRING_SIZE] = {0};
  av_strerror(err, buf, sizeof buf);
  return buf;
}

Error internal(std::string what, int err) { return Error(Code::Internal, what + ": " + av_error_text(err)); }

}  // namespace

std::optional<AudioFormat> parse_audio_format(std::string_view name) {
  for (const auto& s : kSpecs) {
    if (name == s.name) return s.format;
  }
  return std::nullopt;
}

std::string_view audio_format_name(AudioFormat f) { return spec(f).name; }
std::string_view audio_mime_type(AudioFormat f) { return spec(f).mime; }

struct AudioEncoder::Impl {
  Spec spec{};
  bool streaming = false;
  AVFormatContext* mux = nullptr;
  AVIOContext* io = nullptr;
  AVCodecContext* enc = nullptr;
  AVStream* stream = nullptr;
  SwrContext* swr = nullptr;
  AVAudioFifo* fifo = nullptr;
  AVFrame* frame = nullptr;
  AVPacket* pkt = nullptr;
  int64_t pts = 0;
  bool finished = false;
  // The output buffer and the write position (a seekable muxer moves back to patch its header).
  std::string data;
  size_t pos = 0;
  size_t handed_out = 0;

  ~Impl() {
    if (mux != nullptr) avformat_free_context(mux);
    if (io != nullptr) {
      av_freep(&io->buffer);
      avio_context_free(&io);
    }
    avcodec_free_context(&enc);
    swr_free(&swr);
    if (fifo != nullptr) av_audio_fifo_free(fifo);
    av_frame_free(&frame);
    av_packet_free(&pkt);
  }

  static int write_packet(void* opaque, uint8_t* buf, int size) {
    auto* self = static_cast<Impl*>(opaque);
    const auto n = static_cast<size_t>(size);
    if (self->pos + n > self->data.size()) self->data.resize(self->pos + n);
    std::memcpy(self->data.data() + self->pos, buf, n);
    self->pos += n;
    return size;
  }
  static int64_t seek(void* opaque, int64_t offset, int whence) {
    auto* self = static_cast<Impl*>(opaque);
    if (whence == AVSEEK_SIZE) return static_cast<int64_t>(self->data.size());
    int64_t target = 0;
    switch (whence & ~AVSEEK_FORCE) {
      case SEEK_SET: target = offset; break;
      case SEEK_CUR: target = static_cast<int64_t>(self->pos) + offset; break;
      case SEEK_END: target = static_cast<int64_t>(self->data.size()) + offset; break;
      default: return AVERROR(EINVAL);
    }
    if (target < 0) return AVERROR(EINVAL);
    self->pos = static_cast<size_t>(target);
    return target;
  }

  core::Status drain_packets() {
    for (;;) {
      int r = avcodec_receive_packet(enc, pkt);
      if (r == AVERROR(EAGAIN) || r == AVERROR_EOF) return {};
      if (r < 0) return internal("encoding audio", r);
      av_packet_rescale_ts(pkt, enc->time_base, stream->time_base);
      pkt->stream_index = 0;
      r = av_interleaved_write_frame(mux, pkt);
      if (r < 0) return internal("writing audio", r);
    }
  }

  core::Status send_frames(bool flush) {
    const int frame_size = enc->frame_size > 0 ? enc->frame_size : 1024;
    while (av_audio_fifo_size(fifo) >= frame_size || (flush && av_audio_fifo_size(fifo) > 0)) {
      const int n = std::min(frame_size, av_audio_fifo_size(fifo));
      av_frame_unref(frame);
      frame->nb_samples = n;
      frame->format = enc->sample_fmt;
      frame->sample_rate = enc->sample_rate;
      av_channel_layout_copy(&frame->ch_layout, &enc->ch_layout);
      if (int r = av_frame_get_buffer(frame, 0); r < 0) return internal("allocating a frame", r);
      if (av_audio_fifo_read(fifo, reinterpret_cast<void**>(frame->data), n) < n) {
        return Error(Code::Internal, "reading the sample queue");
      }
      // Encoders with a fixed frame size want the last frame padded with silence.
      if (n < frame_size && !(enc->codec->capabilities & AV_CODEC_CAP_VARIABLE_FRAME_SIZE) && enc->frame_size > 0) {
        AVFrame* padded = av_frame_alloc();
        padded->nb_samples = frame_size;
        padded->format = enc->sample_fmt;
        padded->sample_rate = enc->sample_rate;
        av_channel_layout_copy(&padded->ch_layout, &enc->ch_layout);
        if (av_frame_get_buffer(padded, 0) < 0) {
          av_frame_free(&padded);
          return Error(Code::Internal, "allocating a frame");
        }
        av_samples_set_silence(padded->data, 0, frame_size, 1, enc->sample_fmt);
        av_samples_copy(padded->data, frame->data, 0, 0, n, 1, enc->sample_fmt);
        av_frame_unref(frame);
        av_frame_move_ref(frame, padded);
        av_frame_free(&padded);
      }
      frame->pts = pts;
      pts += frame->nb_samples;
      if (int r = avcodec_send_frame(enc, frame); r < 0) return internal("encoding audio", r);
      if (auto st = drain_packets(); !st) return st;
    }
    return {};
  }
};

AudioEncoder::AudioEncoder(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
AudioEncoder::~AudioEncoder() = default;

core::Result<std::unique_ptr<AudioEncoder>> AudioEncoder::create(AudioFormat format, int input_rate, bool streaming) {
  auto m = std::make_unique<Impl>();
  m->spec = spec(format);
  m->streaming = streaming;
  const AVCodec* codec = avcodec_find_encoder_by_name(m->spec.encoder);
  if (codec == nullptr) {
    return Error(Code::ServiceUnavailable,
                 std::string("this FFmpeg has no ") + m->spec.encoder + " encoder for " + m->spec.name + " output");
  }
  if (int r = avformat_alloc_output_context2(&m->mux, nullptr, m->spec.muxer, nullptr); r < 0 || m->mux == nullptr) {
    return Error(Code::ServiceUnavailable, std::string("this FFmpeg has no ") + m->spec.muxer + " muxer");
  }
  constexpr int kIoBuffer = 32 * 1024;
  auto* buffer = static_cast<unsigned char*>(av_malloc(kIoBuffer));
  m->io = avio_alloc_context(buffer, kIoBuffer, 1, m.get(), nullptr, &Impl::write_packet,
                             streaming ? nullptr : &Impl::seek);
  if (m->io == nullptr) {
    av_free(buffer);
    return Error(Code::Internal, "out of memory making an encoder");
  }
  if (streaming) m->io->seekable = 0;
  m->mux->pb = m->io;
  m->mux->flags |= AVFMT_FLAG_CUSTOM_IO;

  m->enc = avcodec_alloc_context3(codec);
  AVChannelLayout mono = AV_CHANNEL_LAYOUT_MONO;
  av_channel_layout_copy(&m->enc->ch_layout, &mono);
  m->enc->sample_rate = kSpeechOutputRate;
  m->enc->sample_fmt = codec->sample_fmts != nullptr ? codec->sample_fmts[0] : AV_SAMPLE_FMT_S16;
  if (codec->sample_fmts != nullptr) {
    for (const AVSampleFormat* f = codec->sample_fmts; *f != AV_SAMPLE_FMT_NONE; ++f) {
      if (*f == AV_SAMPLE_FMT_S16) m->enc->sample_fmt = AV_SAMPLE_FMT_S16;
    }
  }
  if (m->spec.bit_rate > 0) m->enc->bit_rate = m->spec.bit_rate;
  m->enc->time_base = AVRational{1, kSpeechOutputRate};
  if (m->mux->oformat->flags & AVFMT_GLOBALHEADER) m->enc->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
  if (int r = avcodec_open2(m->enc, codec, nullptr); r < 0) return internal("opening the encoder", r);
  m->stream = avformat_new_stream(m->mux, nullptr);
  if (m->stream == nullptr) return Error(Code::Internal, "out of memory making an encoder");
  m->stream->time_base = m->enc->time_base;
  if (int r = avcodec_parameters_from_context(m->stream->codecpar, m->enc); r < 0) {
    return internal("configuring the muxer", r);
  }
  if (int r = avformat_write_header(m->mux, nullptr); r < 0) return internal("writing the header", r);

  AVChannelLayout in_layout = AV_CHANNEL_LAYOUT_MONO;
  if (swr_alloc_set_opts2(&m->swr, &m->enc->ch_layout, m->enc->sample_fmt, kSpeechOutputRate, &in_layout,
                          AV_SAMPLE_FMT_S16, input_rate, 0, nullptr) < 0 ||
      swr_init(m->swr) < 0) {
    return Error(Code::Internal, "cannot make the resampler");
  }
  m->fifo = av_audio_fifo_alloc(m->enc->sample_fmt, 1, 4096);
  m->frame = av_frame_alloc();
  m->pkt = av_packet_alloc();
  if (m->fifo == nullptr || m->frame == nullptr || m->pkt == nullptr) {
    return Error(Code::Internal, "out of memory making an encoder");
  }
  return std::unique_ptr<AudioEncoder>(new AudioEncoder(std::move(m)));
}

core::Status AudioEncoder::write(std::span<const int16_t> samples) {
  Impl& m = *impl_;
  if (m.finished) return Error(Code::Internal, "the encoder has finished");
  const int room = swr_get_out_samples(m.swr, static_cast<int>(samples.size()));
  if (room <= 0) return {};
  std::vector<uint8_t> converted(static_cast<size_t>(room) * av_get_bytes_per_sample(m.enc->sample_fmt));
  uint8_t* out = converted.data();
  const auto* in = reinterpret_cast<const uint8_t*>(samples.data());
  const int got = swr_convert(m.swr, &out, room, samples.empty() ? nullptr : &in, static_cast<int>(samples.size()));
  if (got < 0) return Error(Code::Internal, "resampling speech failed");
  void* planes[1] = {converted.data()};
  if (got > 0 && av_audio_fifo_write(m.fifo, planes, got) < got) return Error(Code::Internal, "queueing samples");
  return m.send_frames(false);
}

core::Status AudioEncoder::finish() {
  Impl& m = *impl_;
  if (m.finished) return {};
  // What the resampler still holds, then the last (padded) frame, then the encoder's delay.
  std::vector<uint8_t> tail(8192 * static_cast<size_t>(av_get_bytes_per_sample(m.enc->sample_fmt)));
  uint8_t* out = tail.data();
  const int got = swr_convert(m.swr, &out, 8192, nullptr, 0);
  void* planes[1] = {tail.data()};
  if (got > 0) av_audio_fifo_write(m.fifo, planes, got);
  if (auto st = m.send_frames(true); !st) return st;
  if (int r = avcodec_send_frame(m.enc, nullptr); r < 0) return internal("flushing the encoder", r);
  if (auto st = m.drain_packets(); !st) return st;
  if (int r = av_write_trailer(m.mux); r < 0) return internal("writing the trailer", r);
  avio_flush(m.io);
  m.finished = true;
  return {};
}

std::string AudioEncoder::take() {
  Impl& m = *impl_;
  if (!m.streaming && !m.finished) return {};
  avio_flush(m.io);
  std::string out = m.data.substr(m.handed_out);
  m.handed_out = m.data.size();
  return out;
}

core::Result<std::string> encode_audio(AudioFormat format, int input_rate, std::span<const int16_t> samples) {
  auto enc = AudioEncoder::create(format, input_rate, false);
  if (!enc) return std::move(enc).error();
  if (auto st = (*enc)->write(samples); !st) return st.error();
  if (auto st = (*enc)->finish(); !st) return st.error();
  return (*enc)->take();
}

}  // namespace docent::engines
