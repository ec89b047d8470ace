#pragma once
// The image analysis media kind ("media.image", ids "img_...", type "image_analysis"): the nexus
// seed's /api/process/image and /api/process/image-with-text. The built-in analysis runs in a
// child process (engines/image_analysis.h); a vision model, when configured (vision.url), adds
// objects, scene, emotions and the answer to a question. docs/MEDIA.md has the result's fields.
//
// Params of a job: {"question": "..."} (optional), {"filename": "..."} (for the log).

#include "engines/document.h"
#include "engines/llm.h"
#include "services/media.h"

#include <boost/json/object.hpp>

#include <filesystem>
#include <string>

namespace docent::services {

inline constexpr std::string_view kImageKind = "media.image";

struct ImageJobOptions {
  std::filesystem::path docent_exe;   // whose `__image` mode analyses in isolation
  std::chrono::seconds timeout{120};  // media.image_timeout
  uint64_t max_memory_bytes = 2ull << 30;
  int64_t max_pixels = 40'000'000;  // media.image_max_pixels
  bool ocr = true;
  // An OpenAI-compatible chat endpoint that takes image_url parts (vision.url); null: none.
  engines::LlmProvider* vision = nullptr;
  std::string vision_model;  // vision.model; empty: the upstream's default
};

// Registers the kind on `media`. `options.vision` must outlive `media`.
void register_image_kind(MediaJobs& media, ImageJobOptions options);

// What the vision model said, merged into the analysis (exposed for tests).
struct VisionAnswer {
  std::vector<std::string> objects;
  std::string scene_type;
  std::vector<std::string> emotions;
  std::string answer;
};
// Reads the model's reply: a JSON object {objects, scene_type, emotions, answer}, possibly inside
// prose or a code fence; a reply that is not JSON becomes the answer as it stands.
VisionAnswer parse_vision_reply(std::string_view reply);

// The answer to `question` from the built-in analysis alone (no vision model): what was
// measured and read, and plainly what cannot be seen without one.
std::string builtin_answer(const boost::json::object& report, std::string_view question);

// The seed's formatted_html for an analysis (every value HTML-escaped).
std::string analysis_html(const boost::json::object& analysis, std::string_view question, std::string_view answer);

}  // namespace docent::services
