#include "services/generation.h"

#include "core/log.h"
#include "core/text.h"
#include "core/time.h"
#include "services/answers.h"

#include <boost/json.hpp>

#include <random>
#include <system_error>

namespace docent::services {

namespace json = boost::json;
using core::Code;
using core::Error;

namespace {

// The file name a presentation is downloaded as: its title's letters and digits, dashed.
std::string file_name_for(const std::string& title) {
  std::string out;
  for (char c : title) {
    auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u)) {
      out += static_cast<char>(std::tolower(u));
    } else if (!out.empty() && out.back() != '-') {
      out += '-';
    }
    if (out.size() >= 60) break;
  }
  while (!out.empty() && out.back() == '-') out.pop_back();
  return (out.empty() ? std::string("presentation") : out) + ".pptx";
}

std::string status_name(JobStatus s) {
  switch (s) {
    case JobStatus::Queued: return "queued";
    case JobStatus::Running: return "running";
    case JobStatus::Succeeded: return "completed";
    case JobStatus::Failed: return "failed";
    case JobStatus::Cancelled: return "cancelled";
  }
  return "queued";
}

core::Result<std::string> optional_string(const json::object& o, std::string_view key, size_t max_bytes) {
  const json::value* v = o.if_contains(key);
  if (v == nullptr || v->is_null()) return std::string();
  if (!v->is_string()) return Error(Code::InvalidInput, std::string(key) + " must be a string", std::string(key));
  if (v->as_string().size() > max_bytes) {
    return Error(Code::InvalidInput, std::string(key) + " is longer than " + std::to_string(max_bytes) + " bytes",
                 std::string(key));
  }
  return std::string(v->as_string());
}

json::value to_json_payload(const Principal& actor, const PresentationInput& in) {
  json::array files;
  for (const auto& f : in.file_ids) files.emplace_back(f);
  json::object o{{"title", in.title},           {"prompt", in.prompt}, {"file_ids", std::move(files)},
                 {"max_slides", in.max_slides}, {"model", in.model},   {"admin", actor.is_admin()},
                 {"plan", actor.plan}};
  if (in.outline) o["outline"] = *in.outline;
  return o;
}

PresentationInput from_json_payload(const json::value& payload, Principal& owner) {
  PresentationInput in;
  const json::object& o = payload.as_object();
  auto str = [&](std::string_view k) {
    const json::value* v = o.if_contains(k);
    return v != nullptr && v->is_string() ? std::string(v->as_string()) : std::string();
  };
  in.title = str("title");
  in.prompt = str("prompt");
  in.model = str("model");
  if (const json::value* v = o.if_contains("max_slides"); v != nullptr && v->is_int64()) in.max_slides = v->as_int64();
  if (const json::value* v = o.if_contains("file_ids"); v != nullptr && v->is_array()) {
    for (const auto& f : v->as_array()) {
      if (f.is_string()) in.file_ids.emplace_back(f.as_string());
    }
  }
  if (const json::value* v = o.if_contains("outline"); v != nullptr && !v->is_null()) in.outline = *v;
  if (const json::value* v = o.if_contains("admin"); v != nullptr && v->is_bool() && v->as_bool()) {
    owner.role = Role::Admin;
  }
  owner.plan = str("plan");
  return in;
}

bool is_generation_kind(std::string_view kind) {
  return kind == kPresentationJob || kind == kImageGenerationJob || kind == kVideoGenerationJob ||
         kind == kMusicGenerationJob || kind == kVoiceGenerationJob;
}

GenerationJob to_generation_job(const Job& job) {
  GenerationJob g;
  g.id = job.id;
  g.type = job.kind.starts_with("generate.") ? job.kind.substr(9) : job.kind;
  g.status = status_name(job.status);
  g.progress = job.progress;
  g.error = job.status == JobStatus::Failed ? job.error : std::string();
  g.created_at = job.created_at;
  if (is_terminal(job.status)) g.completed_at = job.finished_at;
  if (job.status == JobStatus::Succeeded && job.result.is_object()) {
    const json::object& r = job.result.as_object();
    auto str = [&](std::string_view k) {
      const json::value* v = r.if_contains(k);
      return v != nullptr && v->is_string() ? std::string(v->as_string()) : std::string();
    };
    auto num = [&](std::string_view k) {
      const json::value* v = r.if_contains(k);
      return v != nullptr && v->is_int64() ? v->as_int64() : int64_t{0};
    };
    g.file_name = str("file_name");
    g.file_size = num("file_size");
    g.slides = num("slides");
    g.engine = str("engine");
    g.model = str("model");
    if (const json::value* w = r.if_contains("warnings"); w != nullptr && w->is_array()) {
      for (const auto& x : w->as_array()) {
        if (x.is_string()) g.warnings.emplace_back(x.as_string());
      }
    }
    g.revised_prompt = str("revised_prompt");
    if (const json::value* f = r.if_contains("files"); f != nullptr && f->is_array()) {
      for (const auto& x : f->as_array()) {
        if (!x.is_object()) continue;
        const json::object& fo = x.as_object();
        GeneratedItem item;
        if (const auto* n = fo.if_contains("file_name"); n && n->is_string()) item.file_name = n->as_string();
        if (const auto* m = fo.if_contains("mime"); m && m->is_string()) item.mime = m->as_string();
        if (const auto* z = fo.if_contains("size"); z && z->is_int64()) item.size = z->as_int64();
        g.files.push_back(std::move(item));
      }
      if (!g.files.empty()) {
        g.file_name = g.files.front().file_name;
        g.file_size = g.files.front().size;
      }
    } else if (!g.file_name.empty()) {
      g.files.push_back({g.file_name, std::string(engines::kPptxMime), g.file_size});
    }
  }
  return g;
}

// The JSON object in a model's answer: the text from its first '{' to its last '}' (models wrap
// JSON in prose or code fences however they are asked).
std::optional<json::value> json_in(std::string_view text) {
  size_t open = text.find('{');
  size_t close = text.rfind('}');
  if (open == std::string_view::npos || close == std::string_view::npos || close < open) return std::nullopt;
  std::error_code ec;
  json::value v = json::parse(text.substr(open, close - open + 1), ec);
  if (ec) return std::nullopt;
  return v;
}

std::string where(const engines::OutlinePassage& p) {
  std::string out = p.file_name.empty() ? std::string("document") : p.file_name;
  if (p.page > 0) out += ", page " + std::to_string(p.page);
  if (!p.section.empty()) out += ", \u201c" + p.section + "\u201d";
  return out;
}

}  // namespace

core::Result<PresentationInput> presentation_input(const json::value& body) {
  if (!body.is_object()) return Error(Code::InvalidJson, "the body must be a JSON object");
  const json::object& o = body.as_object();
  PresentationInput in;
  auto title = optional_string(o, "title", engines::kMaxDeckTextBytes);
  if (!title) return title.error();
  in.title = *title;
  auto prompt = optional_string(o, "prompt", kMaxPromptBytes);
  if (!prompt) return prompt.error();
  in.prompt = *prompt;
  auto model = optional_string(o, "model", 256);
  if (!model) return model.error();
  in.model = *model;
  if (const json::value* v = o.if_contains("max_slides"); v != nullptr && !v->is_null()) {
    if (!v->is_int64() || v->as_int64() < 1 || v->as_int64() > kMaxGeneratedSlides) {
      return Error(Code::InvalidInput, "max_slides must be an integer from 1 to " + std::to_string(kMaxGeneratedSlides),
                   "max_slides");
    }
    in.max_slides = v->as_int64();
  }
  if (const json::value* v = o.if_contains("file_ids"); v != nullptr && !v->is_null()) {
    if (!v->is_array()) return Error(Code::InvalidInput, "file_ids must be an array of file ids", "file_ids");
    for (const auto& f : v->as_array()) {
      if (!f.is_string() || f.as_string().empty()) {
        return Error(Code::InvalidInput, "file_ids must be an array of file ids", "file_ids");
      }
      in.file_ids.emplace_back(f.as_string());
    }
    if (in.file_ids.size() > kMaxGenerationFiles) {
      return Error(Code::InvalidInput, "at most " + std::to_string(kMaxGenerationFiles) + " file_ids", "file_ids");
    }
  }
  if (const json::value* v = o.if_contains("outline"); v != nullptr && !v->is_null()) {
    auto deck = engines::deck_from_json(*v);
    if (!deck) return deck.error();
    in.outline = *v;
  }
  if (!in.outline && in.prompt.empty() && in.file_ids.empty()) {
    return Error(Code::MissingField, "give a prompt, file_ids or an outline", "prompt");
  }
  return in;
}

GenerationService::GenerationService(JobQueue& jobs, store::BlobStore& blobs, KnowledgeService& knowledge,
                                     ModelService& models, GenerationOptions options)
    : jobs_(jobs), blobs_(blobs), knowledge_(knowledge), models_(models), options_(std::move(options)) {}

core::Result<GenerationJob> GenerationService::start_presentation(const Principal& actor, const PresentationInput& in) {
  for (const auto& id : in.file_ids) {
    auto file = knowledge_.get_file(actor, id);
    if (!file) {
      Error e = file.error();
      if (e.field.empty()) e.field = "file_ids";
      return e;
    }
  }
  auto id = jobs_.enqueue(kPresentationJob, actor.account_id, to_json_payload(actor, in), {.max_attempts = 2});
  if (!id) return id.error();
  return get(actor, *id);
}

core::Result<GenerationJob> GenerationService::get(const Principal& actor, std::string_view id) {
  auto job = jobs_.get(id);
  if (!job) {
    if (job.error().code == Code::NotFound) return Error(Code::NotFound, "no such generation job", "jobId");
    return job.error();
  }
  if (!is_generation_kind(job->kind) || !job->account_id || !actor.may_access(*job->account_id)) {
    return Error(Code::NotFound, "no such generation job", "jobId");
  }
  return to_generation_job(*job);
}

core::Result<GeneratedFile> GenerationService::file(const Principal& actor, std::string_view id, size_t index) {
  auto job = jobs_.get(id);
  if (!job || !is_generation_kind(job->kind) || !job->account_id || !actor.may_access(*job->account_id)) {
    if (job || job.error().code == Code::NotFound) return Error(Code::NotFound, "no such generation job", "jobId");
    return job.error();
  }
  if (job->status == JobStatus::Failed || job->status == JobStatus::Cancelled) {
    return Error(Code::Conflict, "the job " + status_name(job->status) + " and made no file");
  }
  if (job->status != JobStatus::Succeeded) return Error(Code::NotReady, "the file is still being made");
  const json::object* r = job->result.if_object();
  const json::value* blob = nullptr;
  std::string name, mime;
  if (const json::value* files = r ? r->if_contains("files") : nullptr; files != nullptr && files->is_array()) {
    if (index >= files->as_array().size()) {
      return Error(Code::InvalidInput,
                   "index must be below " + std::to_string(files->as_array().size()) + ", the number of files made",
                   "index");
    }
    const json::value& f = files->as_array()[index];
    if (f.is_object()) {
      blob = f.as_object().if_contains("blob");
      if (const auto* n = f.as_object().if_contains("file_name"); n && n->is_string()) name = n->as_string();
      if (const auto* m = f.as_object().if_contains("mime"); m && m->is_string()) mime = m->as_string();
    }
  } else {
    if (index > 0) return Error(Code::InvalidInput, "index must be below 1, the number of files made", "index");
    blob = r ? r->if_contains("blob") : nullptr;
    name = to_generation_job(*job).file_name;
    mime = std::string(engines::kPptxMime);
  }
  if (blob == nullptr || !blob->is_string()) return Error(Code::Internal, "the job's result names no file");
  auto path = blobs_.path_of(blob->as_string());
  if (!path) return Error(Code::NotFound, "the file is no longer kept");
  return GeneratedFile{*path, name, mime};
}

core::Result<std::vector<engines::OutlinePassage>> GenerationService::gather(const Principal& owner,
                                                                             const PresentationInput& in) {
  std::vector<engines::OutlinePassage> out;
  if (!in.file_ids.empty()) {
    for (const auto& id : in.file_ids) {
      auto hits = knowledge_.file_passages(owner, id, options_.passage_chars_per_file, std::chrono::seconds(30));
      if (!hits) return hits.error();
      for (auto& h : *hits) out.push_back({std::move(h.text), std::move(h.file_name), std::move(h.section), h.page});
    }
    return out;
  }
  if (in.prompt.empty()) return out;
  SearchQuery q;
  q.text = in.prompt;
  q.limit = options_.search_results;
  auto hits = knowledge_.search(owner, q);
  if (!hits) return hits.error();
  // In document order, so sections read as the documents have them.
  std::stable_sort(hits->begin(), hits->end(), [](const SearchHit& a, const SearchHit& b) {
    return a.file_id != b.file_id ? a.file_id < b.file_id : a.position < b.position;
  });
  for (auto& h : *hits) out.push_back({std::move(h.text), std::move(h.file_name), std::move(h.section), h.page});
  return out;
}

core::Result<engines::Deck> GenerationService::outline(JobContext& job, const Principal& owner,
                                                       const PresentationInput& in, json::object& result) {
  if (in.outline) {
    result["engine"] = "outline";
    auto deck = engines::deck_from_json(*in.outline);
    if (deck && !in.title.empty()) deck->title = in.title;
    return deck;
  }
  job.progress(json::object{{"stage", "reading"}, {"percent", 10}});
  auto passages = gather(owner, in);
  if (!passages) return passages.error();
  if (job.cancelled()) return Error(Code::ServiceUnavailable, "cancelled");

  engines::CancelCheck cancel = [&job] { return job.cancelled(); };
  auto route = models_.route_chat(in.model, cancel);
  if (!route) return route.error();

  std::string title = in.title;
  if (title.empty() && !in.prompt.empty()) title = core::utf8_prefix(in.prompt, 120);
  if (title.empty() && !passages->empty()) title = passages->front().file_name;
  if (title.empty()) title = "Presentation";

  job.progress(json::object{{"stage", "outlining"}, {"percent", 40}});
  if (route->builtin) {
    if (passages->empty()) {
      return Error(Code::InvalidInput,
                   "no documents match the prompt, and the built-in engine writes only what documents say: "
                   "give file_ids or an outline, or set llm.url to a model that can write from a prompt");
    }
    result["engine"] = "built-in";
    engines::OutlineOptions o;
    o.max_slides = static_cast<size_t>(in.max_slides);
    std::string subtitle = in.prompt.empty() || in.title.empty() ? std::string() : core::utf8_prefix(in.prompt, 200);
    return engines::outline_from_passages(title, subtitle, *passages, o);
  }

  // The model outlines; passages are numbered so its notes can cite them.
  std::string context;
  size_t budget = 48000;
  size_t used = 0;
  std::vector<const engines::OutlinePassage*> numbered;
  for (const auto& p : *passages) {
    if (used + p.text.size() > budget) break;
    numbered.push_back(&p);
    context += "[" + std::to_string(numbered.size()) + "] (" + where(p) + ")\n" + p.text + "\n\n";
    used += p.text.size();
  }
  std::string ask = "Write the outline of a presentation of at most " + std::to_string(in.max_slides) +
                    " slides (not counting the title slide).";
  if (!in.prompt.empty()) ask += "\nIt is about: " + in.prompt;
  if (!in.title.empty()) ask += "\nIts title is: " + in.title;
  if (!numbered.empty()) {
    ask +=
        "\nBase every slide on the numbered passages below and nothing else; in each slide's notes cite the "
        "passages it uses as [n].\n\nPassages:\n" +
        context;
  }
  ask +=
      "\nAnswer with JSON only, no prose, in this form: {\"title\": string, \"subtitle\": string, \"slides\": "
      "[{\"title\": string, \"bullets\": [string, ...], \"notes\": string}]}";
  engines::ChatRequest request;
  request.model = route->model;
  request.body = json::object{
      {"messages", json::array{json::object{{"role", "system"},
                                            {"content", "You write clear, factual presentation outlines as JSON."}},
                               json::object{{"role", "user"}, {"content", ask}}}},
      {"temperature", 0.2}};
  auto answer = route->provider->chat(request, cancel);
  if (!answer) return answer.error();
  auto parsed = json_in(answer->content);
  core::Result<engines::Deck> deck = parsed ? engines::deck_from_json(*parsed)
                                            : core::Result<engines::Deck>(Error(Code::InvalidInput, "no JSON"));
  if (!deck) {
    if (passages->empty()) {
      return Error(Code::UpstreamError, "the model's answer was not a presentation outline: " + deck.error().message);
    }
    json::array warnings;
    warnings.emplace_back("the model's outline was not usable (" + deck.error().message +
                          "); the built-in engine outlined the documents instead");
    result["warnings"] = std::move(warnings);
    result["engine"] = "built-in";
    engines::OutlineOptions o;
    o.max_slides = static_cast<size_t>(in.max_slides);
    return engines::outline_from_passages(title, {}, *passages, o);
  }
  result["engine"] = "model";
  result["model"] = route->model;
  if (!in.title.empty()) deck->title = in.title;
  if (deck->slides.size() > static_cast<size_t>(in.max_slides)) deck->slides.resize(static_cast<size_t>(in.max_slides));
  // What the notes' [n] stand for, so a reader can check each slide against its sources.
  for (auto& slide : deck->slides) {
    auto cited = find_citations(
        slide.notes + " " +
            [&] {
      std::string all;
      for (const auto& b : slide.bullets) all += b + " ";
      return all;
        }(),
        numbered.size());
    std::vector<int> seen;
    for (const auto& c : cited) {
      if (std::find(seen.begin(), seen.end(), c.number) == seen.end()) seen.push_back(c.number);
    }
    std::sort(seen.begin(), seen.end());
    if (seen.empty()) continue;
    slide.notes += slide.notes.empty() ? "Sources:" : "\n\nSources:";
    for (int n : seen) {
      slide.notes += "\n[" + std::to_string(n) + "] " + where(*numbered[static_cast<size_t>(n - 1)]);
    }
  }
  return deck;
}

core::Status GenerationService::run_presentation(JobContext& job) {
  if (!job.payload().is_object() || !job.account_id()) {
    return Error(Code::InvalidInput, "the job's payload is not a presentation request");
  }
  Principal owner;
  owner.account_id = *job.account_id();
  PresentationInput in = from_json_payload(job.payload(), owner);

  json::object result;
  auto deck = outline(job, owner, in, result);
  if (!deck) return deck.error();
  if (job.cancelled()) return Error(Code::ServiceUnavailable, "cancelled");

  job.progress(json::object{{"stage", "writing"}, {"percent", 80}});
  std::random_device rd;
  std::filesystem::path temp = options_.work_dir / ("presentation-" + job.id() + "-" + std::to_string(rd()) + ".pptx");
  if (auto st = engines::write_presentation(temp, *deck); !st) return st;
  auto blob = blobs_.put_file(temp);
  std::error_code ec;
  std::filesystem::remove(temp, ec);
  if (!blob) return blob.error();

  result["blob"] = blob->sha256;
  result["file_name"] = file_name_for(deck->title);
  result["file_size"] = static_cast<int64_t>(blob->size);
  result["slides"] = static_cast<int64_t>(deck->slides.size());
  result["title"] = deck->title;
  if (!result.contains("warnings")) result["warnings"] = json::array();
  job.set_result(std::move(result));
  return {};
}

}  // namespace docent::services
