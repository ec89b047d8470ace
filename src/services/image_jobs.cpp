#include "services/image_jobs.h"

#include "core/log.h"
#include "core/text.h"
#include "engines/image_analysis.h"

#include <boost/json.hpp>

#include <chrono>
#include <cmath>
#include <set>

namespace docent::services {

namespace json = boost::json;
using core::Code;
using core::Error;

namespace {

constexpr std::string_view kVisionSetting = "vision.url";

std::string str(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v && v->is_string() ? std::string(v->as_string()) : std::string();
}

std::vector<std::string> strings(const json::value* v) {
  std::vector<std::string> out;
  if (v == nullptr || !v->is_array()) return out;
  for (const auto& e : v->as_array()) {
    if (e.is_string() && !e.as_string().empty()) out.emplace_back(e.as_string());
  }
  return out;
}

std::string join(const json::value* v, std::string_view sep) {
  std::string out;
  for (const auto& s : strings(v)) {
    if (!out.empty()) out += sep;
    out += s;
  }
  return out;
}

int64_t count_of(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v && v->is_array() ? static_cast<int64_t>(v->as_array().size()) : 0;
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

constexpr std::string_view kVisionPrompt =
    "Look at the image and reply with one JSON object only, no prose: "
    "{\"objects\": [the main objects you see, as short lowercase nouns], "
    "\"scene_type\": \"one or two words for the kind of scene (e.g. urban, indoor, nature, document)\", "
    "\"emotions\": [emotions shown by people in it, lowercase; empty when there are none], "
    "\"answer\": \"the answer to the question below, or an empty string when there is none\"}.";

core::Result<VisionAnswer> ask_vision(engines::LlmProvider& vision, const std::string& model,
                                      const std::string& data_url, std::string_view question,
                                      const engines::CancelCheck& cancel) {
  std::string prompt(kVisionPrompt);
  if (!question.empty()) prompt += "\nQuestion: " + std::string(question);
  engines::ChatRequest req;
  req.model = model;
  json::array content{json::object{{"type", "text"}, {"text", prompt}},
                      json::object{{"type", "image_url"}, {"image_url", json::object{{"url", data_url}}}}};
  req.body["messages"] = json::array{json::object{{"role", "user"}, {"content", std::move(content)}}};
  req.body["temperature"] = 0;
  auto reply = vision.chat(req, cancel);
  if (!reply) return reply.error();
  return parse_vision_reply(reply->content);
}

}  // namespace

VisionAnswer parse_vision_reply(std::string_view reply) {
  VisionAnswer a;
  const auto open = reply.find('{');
  const auto close = reply.rfind('}');
  if (open != std::string_view::npos && close != std::string_view::npos && close > open) {
    boost::system::error_code ec;
    json::value v = json::parse(reply.substr(open, close - open + 1), ec);
    if (!ec && v.is_object()) {
      const auto& o = v.as_object();
      for (auto& s : strings(o.if_contains("objects"))) a.objects.push_back(lower(std::move(s)));
      a.scene_type = str(o, "scene_type");
      for (auto& s : strings(o.if_contains("emotions"))) a.emotions.push_back(lower(std::move(s)));
      a.answer = str(o, "answer");
      return a;
    }
  }
  a.answer = std::string(reply);
  return a;
}

std::string builtin_answer(const json::object& report, std::string_view question) {
  std::string text = str(report, "text_content");
  std::string answer = "No vision model is configured (set " + std::string(kVisionSetting) +
                       "), so I cannot see what this image shows or answer \"" + std::string(question) +
                       "\" from its content. What I measured: a " +
                       std::to_string(report.at("width").to_number<int64_t>()) + " x " +
                       std::to_string(report.at("height").to_number<int64_t>()) + " " + str(report, "format") +
                       " image";
  const std::string colors = join(report.if_contains("dominant_colors"), ", ");
  if (!colors.empty()) answer += "; dominant colours: " + colors;
  const int64_t faces = count_of(report, "faces");
  answer += "; faces detected: " + std::to_string(faces);
  if (!text.empty()) {
    answer += "; text read in it: \"" + text + "\"";
  } else {
    answer += "; no text could be read in it";
  }
  answer += ".";
  return answer;
}

std::string analysis_html(const json::object& a, std::string_view question, std::string_view answer) {
  std::string h = "<div class='image-analysis-result'>";
  h += "<h3>Image analysis</h3>";
  h += "<p><strong>Image:</strong> " + core::html_escape(std::to_string(a.at("width").to_number<int64_t>())) + " x " +
       core::html_escape(std::to_string(a.at("height").to_number<int64_t>())) + " " +
       core::html_escape(str(a, "format")) + "</p>";
  if (!question.empty()) {
    h += "<p><strong>Question:</strong> " + core::html_escape(question) + "</p>";
    h += "<p><strong>Answer:</strong> " + core::html_escape(answer) + "</p>";
  }
  auto row = [&](std::string_view label, const std::string& value) {
    if (!value.empty()) h += "<p><strong>" + std::string(label) + ":</strong> " + core::html_escape(value) + "</p>";
  };
  row("Objects", join(a.if_contains("objects"), ", "));
  row("Scene", str(a, "scene_type"));
  row("Dominant colours", join(a.if_contains("dominant_colors"), ", "));
  row("Emotions", join(a.if_contains("emotions"), ", "));
  row("Text", str(a, "text_content"));
  const auto suggestions = strings(a.if_contains("suggestions"));
  if (!suggestions.empty()) {
    h += "<ul class='suggestions'>";
    for (const auto& s : suggestions) h += "<li>" + core::html_escape(s) + "</li>";
    h += "</ul>";
  }
  h += "</div>";
  return h;
}

void register_image_kind(MediaJobs& media, ImageJobOptions options) {
  MediaKind kind;
  kind.name = std::string(kImageKind);
  kind.prefix = "img_";
  kind.type = "image_analysis";
  kind.timeout = options.timeout;
  kind.max_attempts = 2;
  kind.run = [options](MediaJobContext& job) -> core::Status {
    const auto started = std::chrono::steady_clock::now();
    if (!job.input()) return Error(Code::InvalidInput, "image job without an image");
    const std::string question = job.params().contains("question") && job.params().at("question").is_string()
                                     ? std::string(job.params().at("question").as_string())
                                     : std::string();
    job.stage("decode", 10);
    engines::ParseLimits limits;
    limits.timeout = job.timeout();
    limits.max_memory_bytes = options.max_memory_bytes;
    limits.max_uncompressed_bytes = static_cast<uint64_t>(options.max_pixels) * 4;
    auto report_value = engines::analyse_image_isolated(options.docent_exe, *job.input(), limits, options.ocr);
    if (!report_value) {
      Error e = report_value.error();
      // A transient failure (the child crashed or ran out of time) may be retried; anything the
      // decoder said about the bytes fails the job at once.
      if (e.code != Code::ProcessingError && e.code != Code::Internal) e.code = Code::InvalidFormat;
      e.message = "Failed to process image: " + e.message;
      return e;
    }
    if (job.cancelled()) return Error(Code::ServiceUnavailable, "shutting down");
    json::object report = report_value->is_object() ? report_value->as_object() : json::object();
    job.stage("analyse", 60);

    json::object analysis;
    std::vector<std::string> objects = strings(report.if_contains("objects"));
    std::string scene_type;
    std::vector<std::string> emotions;
    std::string answer;
    json::object engines_used{{"text_content", "tesseract"},
                              {"dominant_colors", "k-means"},
                              {"faces", "opencv haar cascade"}};
    if (options.vision != nullptr) {
      job.stage("vision", 70);
      auto reply = ask_vision(*options.vision, options.vision_model, str(report, "enhanced_image_base64"), question,
                              [&job] { return job.cancelled(); });
      if (!reply) {
        Error e = reply.error();
        e.message = "the vision model (" + std::string(kVisionSetting) + ") failed: " + e.message;
        if (e.code != Code::ServiceUnavailable) e.code = Code::UpstreamError;
        return e;
      }
      std::set<std::string> seen(objects.begin(), objects.end());
      for (auto& o : reply->objects) {
        if (seen.insert(o).second) objects.push_back(std::move(o));
      }
      scene_type = reply->scene_type;
      emotions = std::move(reply->emotions);
      answer = std::move(reply->answer);
      engines_used["objects"] = std::string(kVisionSetting);
      engines_used["scene_type"] = std::string(kVisionSetting);
      engines_used["emotions"] = std::string(kVisionSetting);
    } else {
      analysis["vision"] =
          json::object{{"available", false},
                       {"setting", std::string(kVisionSetting)},
                       {"message",
                        "objects other than faces (person), scene_type, emotions and answers about what the image "
                        "shows need a vision model: set " +
                            std::string(kVisionSetting)}};
      if (!question.empty()) answer = builtin_answer(report, question);
    }
    job.stage("encode", 90);

    json::array objects_json, emotions_json;
    for (const auto& o : objects) objects_json.emplace_back(o);
    for (const auto& e : emotions) emotions_json.emplace_back(e);
    analysis["objects"] = std::move(objects_json);
    analysis["scene_type"] = scene_type;
    analysis["dominant_colors"] = report["dominant_colors"];
    analysis["emotions"] = std::move(emotions_json);
    analysis["text_content"] = report["text_content"];
    analysis["confidence_score"] = nullptr;  // nothing here measures one (docs/MEDIA.md)
    analysis["suggestions"] = report["suggestions"];
    analysis["width"] = report["width"];
    analysis["height"] = report["height"];
    analysis["format"] = report["format"];
    analysis["faces"] = count_of(report, "faces");
    analysis["face_boxes"] = report["faces"];
    analysis["colors"] = report["colors"];
    analysis["measures"] = report["measures"];
    analysis["engines"] = std::move(engines_used);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    analysis["processing_time"] = std::round(seconds * 100) / 100;

    json::object result;
    result["formatted_html"] = analysis_html(analysis, question, answer);
    result["analysis"] = std::move(analysis);
    if (!question.empty()) {
      result["question"] = question;
      result["answer"] = answer;
    }
    result["enhanced_image_base64"] = report["enhanced_image_base64"];
    result["type"] = "image_analysis";
    job.set_result(std::move(result));
    return {};
  };
  media.register_kind(std::move(kind));
}

}  // namespace docent::services
