#pragma once
// Content generation (the SphereChat face's "generate images, videos, voice, music, and
// presentations"), run as jobs on the job
// queue: a request is checked and queued at once, a worker builds the result, the caller polls
// the job and downloads what it made.
//
// Presentations (kind "generate.presentation") come from one of
//   - an outline the caller gives (title, slides with bullets and notes): written as given;
//   - documents (file ids) or a prompt, outlined by the routed model when one is configured
//     (it gets the documents' passages numbered and cites them; its slides' notes list what the
//     numbers stand for), or else by the built-in engine (engines/outline.h: the documents'
//     sections and key sentences, with citations in the notes). A prompt with no file ids is
//     searched for in the caller's documents. The built-in engine writes nothing the documents do
//     not say, so with neither documents that match nor a model the job fails saying so.
// The .pptx is kept in the blob store; the job's result names it.
//
// Images ("generate.image"), video ("generate.video") and music ("generate.music") come from the
// operator's upstreams (generation.*_url: OpenAI's /images/generations and /videos, docent's
// /audio/music contract), voice ("generate.voice") from the speech service; every file made is
// checked to be what it claims (an image by its header, audio and video by their first bytes)
// before it is kept. docs/GENERATION.md is the contract.

#include "core/error.h"
#include "engines/llm.h"
#include "engines/outline.h"
#include "engines/pptx.h"
#include "engines/upstream_http.h"
#include "services/jobs.h"
#include "services/knowledge.h"
#include "services/models.h"
#include "services/principal.h"
#include "services/speech.h"
#include "store/blob_store.h"

#include <boost/json/value.hpp>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace docent::services {

inline constexpr std::string_view kPresentationJob = "generate.presentation";

struct PresentationInput {
  std::string title;                          // empty: the outline's, the model's, or from the prompt or documents
  std::string prompt;                         // what the presentation is about
  std::vector<std::string> file_ids;          // documents to build it from
  std::optional<boost::json::value> outline;  // a ready outline (engines::deck_from_json's form)
  int64_t max_slides = 10;                    // content slides, 1..kMaxGeneratedSlides
  std::string model;                          // empty: the default model
};

inline constexpr int64_t kMaxGeneratedSlides = 50;
inline constexpr size_t kMaxPromptBytes = 8192;
inline constexpr size_t kMaxGenerationFiles = 20;

// ---- media generation (docs/GENERATION.md "Images, video, music, voice") ----

inline constexpr std::string_view kImageGenerationJob = "generate.image";
inline constexpr std::string_view kVideoGenerationJob = "generate.video";
inline constexpr std::string_view kMusicGenerationJob = "generate.music";
inline constexpr std::string_view kVoiceGenerationJob = "generate.voice";

enum class GeneratedMedia { Image, Video, Music, Voice };

// One generation request for media. Read from a JSON body by media_generation_input.
struct MediaGenerationInput {
  GeneratedMedia kind = GeneratedMedia::Image;
  std::string prompt;    // what to make (image, video, music); for voice: the text to speak
  std::string model;     // empty: the setting's model, or the upstream's default
  int64_t n = 1;         // images: 1..4
  std::string size;      // images and video: "WIDTHxHEIGHT"; empty: the upstream's default
  std::string quality;   // images: passed on as given
  std::string style;     // images: passed on as given
  int64_t seconds = 0;   // video (1..60) and music (1..300); 0: the upstream's default
  std::string language;  // voice: a seed language (default en)
  std::string voice;     // voice: passed to tts.url; the built-in speaks `language`
  std::string format;    // voice and music: mp3 (default), wav, ogg, flac, opus, aac
};

inline constexpr size_t kMaxMediaPromptChars = 4000;

// Reads and checks a request (InvalidInput or MissingField naming the field).
core::Result<MediaGenerationInput> media_generation_input(GeneratedMedia kind, const boost::json::value& body);

// An OpenAI-compatible generator the operator names (generation.image_url, video_url, music_url).
struct MediaUpstream {
  engines::UpstreamHttpOptions http;  // http.setting names the URL's setting
  std::string model;                  // sent when a request names none
};

struct MediaGenerationOptions {
  std::optional<MediaUpstream> image, video, music;
  std::chrono::seconds timeout{600};  // generation.timeout: one job, polling included
  std::chrono::milliseconds video_poll{2000};
  int64_t max_image_pixels = 40'000'000;  // a generated image is checked as an upload is
};

// A file a generation job made.
struct GeneratedItem {
  std::string file_name;
  std::string mime;
  int64_t size = 0;
};

// A generation job as its owner sees it.
struct GenerationJob {
  std::string id;
  std::string type;             // "presentation", "image", "video", "music", "voice"
  std::string status;           // queued, running, completed, failed, cancelled
  boost::json::value progress;  // {"stage", "percent"} once a worker reported some
  std::string error;            // when failed
  std::string created_at;
  std::optional<std::string> completed_at;
  // When completed:
  std::string file_name;
  int64_t file_size = 0;
  int64_t slides = 0;  // content slides, the title slide not counted
  std::string engine;  // "outline" (as given), "built-in", or "model" (with model set)
  std::string model;
  std::vector<std::string> warnings;
  std::vector<GeneratedItem> files;  // media: what was made, in order (a presentation: its one file)
  std::string revised_prompt;        // images: the prompt as the upstream rewrote it, when it says
};

struct GeneratedFile {
  std::filesystem::path path;
  std::string file_name;
  std::string mime;
};

struct GenerationOptions {
  std::filesystem::path work_dir;         // temporary files while writing (the data folder's tmp)
  size_t passage_chars_per_file = 60000;  // how much of each document the outline reads
  int64_t search_results = 40;            // passages read for a prompt without file ids
};

class GenerationService {
 public:
  GenerationService(JobQueue& jobs, store::BlobStore& blobs, KnowledgeService& knowledge, ModelService& models,
                    GenerationOptions options);

  // Where images, video and music are made, and the speech service that speaks voice; without
  // them those requests are Code::ServiceUnavailable naming the setting. Call before the queue starts.
  void set_media(MediaGenerationOptions options, SpeechService* speech);

  // Queues a media generation (checked by media_generation_input). ServiceUnavailable naming the
  // setting when nothing here can make it.
  core::Result<GenerationJob> start_media(const Principal& actor, const MediaGenerationInput& in);
  // The job handler of the four media kinds (registered by the composition root).
  core::Status run_media(JobContext& job);

  // Checks the request (InvalidInput naming the field; NotFound for a file the caller cannot
  // read) and queues the job.
  core::Result<GenerationJob> start_presentation(const Principal& actor, const PresentationInput& in);
  // NotFound for no such generation job, or another account's.
  core::Result<GenerationJob> get(const Principal& actor, std::string_view id);
  // The file a completed job made (`index` of several images; InvalidInput past the last). NotFound
  // as get; NotReady while the job has not completed (Conflict once it failed or was cancelled).
  core::Result<GeneratedFile> file(const Principal& actor, std::string_view id, size_t index = 0);

  // The job handler for kPresentationJob (registered by the composition root).
  core::Status run_presentation(JobContext& job);

 private:
  core::Result<engines::Deck> outline(JobContext& job, const Principal& owner, const PresentationInput& in,
                                      boost::json::object& result);
  core::Result<std::vector<engines::OutlinePassage>> gather(const Principal& owner, const PresentationInput& in);
  core::Status generate_image(JobContext& job, const MediaGenerationInput& in, const std::function<bool()>& stop,
                              boost::json::object& result, boost::json::array& files);
  core::Status generate_video(JobContext& job, const MediaGenerationInput& in, const std::function<bool()>& stop,
                              boost::json::object& result, boost::json::array& files);
  core::Status generate_music(JobContext& job, const MediaGenerationInput& in, const std::function<bool()>& stop,
                              boost::json::object& result, boost::json::array& files);
  core::Status generate_voice(JobContext& job, const MediaGenerationInput& in, const std::function<bool()>& stop,
                              boost::json::object& result, boost::json::array& files);

  JobQueue& jobs_;
  store::BlobStore& blobs_;
  KnowledgeService& knowledge_;
  ModelService& models_;
  GenerationOptions options_;
  MediaGenerationOptions media_;
  SpeechService* speech_ = nullptr;
};

// Reads a presentation request's JSON body (title, prompt, file_ids, outline, max_slides, model).
core::Result<PresentationInput> presentation_input(const boost::json::value& body);

}  // namespace docent::services
