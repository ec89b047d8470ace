#pragma once
// Content generation (the SphereChat face's "generate presentations"), run as jobs on the job
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

#include "core/error.h"
#include "engines/llm.h"
#include "engines/outline.h"
#include "engines/pptx.h"
#include "services/jobs.h"
#include "services/knowledge.h"
#include "services/models.h"
#include "services/principal.h"
#include "store/blob_store.h"

#include <boost/json/value.hpp>

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

// A generation job as its owner sees it.
struct GenerationJob {
  std::string id;
  std::string type;             // "presentation"
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

  // Checks the request (InvalidInput naming the field; NotFound for a file the caller cannot
  // read) and queues the job.
  core::Result<GenerationJob> start_presentation(const Principal& actor, const PresentationInput& in);
  // NotFound for no such generation job, or another account's.
  core::Result<GenerationJob> get(const Principal& actor, std::string_view id);
  // The file a completed job made. NotFound as get; NotReady while the job has not completed
  // (Conflict once it failed or was cancelled).
  core::Result<GeneratedFile> file(const Principal& actor, std::string_view id);

  // The job handler for kPresentationJob (registered by the composition root).
  core::Status run_presentation(JobContext& job);

 private:
  core::Result<engines::Deck> outline(JobContext& job, const Principal& owner, const PresentationInput& in,
                                      boost::json::object& result);
  core::Result<std::vector<engines::OutlinePassage>> gather(const Principal& owner, const PresentationInput& in);

  JobQueue& jobs_;
  store::BlobStore& blobs_;
  KnowledgeService& knowledge_;
  ModelService& models_;
  GenerationOptions options_;
};

// Reads a presentation request's JSON body (title, prompt, file_ids, outline, max_slides, model).
core::Result<PresentationInput> presentation_input(const boost::json::value& body);

}  // namespace docent::services
