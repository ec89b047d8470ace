#include "services/extraction.h"

#include "core/id.h"
#include "core/log.h"
#include "core/thread_annotations.h"
#include "core/time.h"
#include "engines/layout.h"
#include "engines/sniff.h"
#include "engines/xlsx.h"
#include "store/extractions.h"

#include <boost/json.hpp>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <set>

namespace docent::services {

namespace json = boost::json;
using core::Code;
using core::Error;

namespace {

const Error kExtractionNotFound(Code::NotFound, "extraction not found");

const std::set<std::string_view> kAmountFields = {
    "subtotal",   "discount_total", "taxable_total", "cgst_total",  "sgst_total",
    "igst_total", "cess_total",     "round_off",     "grand_total",
};
const std::set<std::string_view> kDateFields = {
    "document_date", "due_date", "po_date", "transport_doc_date", "ewaybill_date", "ewaybill_valid_until",
};

// Lowercase letters and digits only: how a value is looked for in the document's text.
std::string squeeze(std::string_view s) {
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c)) out.push_back(static_cast<char>(std::tolower(c)));
  }
  return out;
}

bool iso_date(std::string_view s) {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return false;
  for (size_t i : {0, 1, 2, 3, 5, 6, 8, 9}) {
    if (!std::isdigit(static_cast<unsigned char>(s[i]))) return false;
  }
  int m = std::stoi(std::string(s.substr(5, 2))), d = std::stoi(std::string(s.substr(8, 2)));
  return m >= 1 && m <= 12 && d >= 1 && d <= 31;
}

// A model's answer for field `name` as a Field, or nullopt when it is empty, of the wrong type,
// or not borne out by the document's text (`text` squeezed).
std::optional<engines::Field> model_field(std::string_view name, const json::value& v, const std::string& text,
                                          const std::string& currency) {
  using Type = engines::TypedValue::Type;
  engines::Field f;
  f.name = std::string(name);
  f.origin = "model";
  f.confidence = kModelConfidence;
  const bool numeric = kAmountFields.count(name) || name == "distance_km";
  if (numeric) {
    double n = 0;
    if (v.is_number()) {
      n = v.to_number<double>();
    } else if (v.is_string()) {
      std::string s;
      for (char c : v.as_string()) {
        if (std::isdigit(static_cast<unsigned char>(c)) || c == '.' || c == '-') s.push_back(c);
      }
      try {
        n = std::stod(s);
      } catch (...) {
        return std::nullopt;
      }
    } else {
      return std::nullopt;
    }
    if (!std::isfinite(n)) return std::nullopt;
    // The whole units must be printed somewhere ("1,18,000.00" holds "118000").
    std::string whole = std::to_string(static_cast<long long>(std::llround(std::trunc(std::fabs(n)))));
    if (text.find(whole) == std::string::npos) return std::nullopt;
    f.value.type = name == "distance_km" ? Type::Number : Type::Amount;
    f.value.number = n;
    if (f.value.type == Type::Amount) f.value.currency = currency;
    json::value printed = v;
    f.raw = v.is_string() ? std::string(v.as_string()) : json::serialize(printed);
    f.value.text = f.raw;
    return f;
  }
  if (!v.is_string()) return std::nullopt;
  std::string s(v.as_string());
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.erase(s.begin());
  if (s.empty()) return std::nullopt;
  f.raw = s;
  if (kDateFields.count(name)) {
    // However the document prints it, its year is there.
    if (!iso_date(s) || text.find(s.substr(0, 4)) == std::string::npos) return std::nullopt;
    f.value.type = Type::Date;
  } else {
    std::string key = squeeze(s);
    if (key.empty() || text.find(key) == std::string::npos) return std::nullopt;
    f.value.type = Type::Text;
  }
  f.value.text = s;
  return f;
}

// The JSON object in a model's answer (which may wrap it in a code fence or prose).
std::optional<json::object> answer_object(std::string_view content) {
  size_t open = content.find('{');
  size_t close = content.rfind('}');
  if (open == std::string_view::npos || close == std::string_view::npos || close < open) return std::nullopt;
  boost::system::error_code ec;
  auto v = json::parse(content.substr(open, close - open + 1), ec);
  if (ec || !v.is_object()) return std::nullopt;
  return v.as_object();
}

std::string prefixed(std::string_view name, const std::string& message) { return std::string(name) + ": " + message; }

}  // namespace

bool ExtractionResult::found_fields() const {
  return std::any_of(documents.begin(), documents.end(),
                     [](const ExtractedDocument& d) { return !d.extraction.fields.empty(); });
}

std::string page_text(const std::vector<engines::PageWords>& pages) {
  std::string out;
  for (const auto& page : pages) {
    std::vector<const engines::PositionedWord*> words;
    for (const auto& w : page.words) words.push_back(&w);
    auto mid = [](const engines::PositionedWord* w) { return (w->box.y0 + w->box.y1) / 2; };
    std::stable_sort(words.begin(), words.end(), [&](auto* a, auto* b) { return mid(a) < mid(b); });
    // Words whose middles are within half a word's height share a line.
    std::vector<std::vector<const engines::PositionedWord*>> lines;
    for (auto* w : words) {
      double tolerance = std::max(1.0, (w->box.y1 - w->box.y0) / 2);
      if (!lines.empty() && std::fabs(mid(lines.back().front()) - mid(w)) <= tolerance) {
        lines.back().push_back(w);
      } else {
        lines.push_back({w});
      }
    }
    for (auto& line : lines) {
      std::stable_sort(line.begin(), line.end(), [](auto* a, auto* b) { return a->box.x0 < b->box.x0; });
      for (size_t i = 0; i < line.size(); ++i) out += (i ? " " : "") + line[i]->text;
      out += "\n";
    }
    out += "\n";
  }
  return out;
}

core::Result<int> fill_missing_fields(engines::Extraction& x, const std::vector<engines::PageWords>& pages,
                                      engines::LlmProvider& provider, const std::string& model) {
  std::vector<std::string_view> missing;
  for (auto name : engines::kFieldNames) {
    if (!x.field(name)) missing.push_back(name);
  }
  if (missing.empty()) return 0;
  std::string text = page_text(pages);
  constexpr size_t kMaxText = 24000;
  if (text.size() > kMaxText) text.resize(kMaxText);

  json::object properties;
  json::array required, names;
  for (auto name : missing) {
    json::array types{kAmountFields.count(name) || name == "distance_km" ? "number" : "string", "null"};
    properties[name] = json::object{{"type", std::move(types)}};
    required.emplace_back(name);
    names.emplace_back(name);
  }
  json::object schema{{"type", "object"},
                      {"properties", std::move(properties)},
                      {"required", std::move(required)},
                      {"additionalProperties", false}};
  std::string prompt = "Document kind: " + std::string(engines::kind_title(x.kind)) +
                       ".\nGive each of these fields as the document prints it, or null when the document does "
                       "not show it; never guess. Dates as YYYY-MM-DD, amounts as plain numbers.\nFields: " +
                       json::serialize(names) + "\n\nDocument text:\n" + text;
  engines::ChatRequest request;
  request.model = model;
  request.body = json::object{
      {"messages",
       json::array{json::object{{"role", "system"},
                                {"content",
                                 "You read Indian business documents (GST invoices, purchase orders, delivery "
                                 "challans, e-way bills) and answer with one JSON object only."}},
                   json::object{{"role", "user"}, {"content", prompt}}}},
      {"temperature", 0},
      {"response_format",
       json::object{{"type", "json_schema"},
                    {"json_schema", json::object{{"name", "extraction"}, {"strict", true}, {"schema", schema}}}}},
  };
  auto answer = provider.chat(request, [] { return false; });
  if (!answer) return answer.error();
  auto object = answer_object(answer->content);
  if (!object) return Error(Code::UpstreamError, "the model's answer is not a JSON object");

  const std::string squeezed = squeeze(text);
  std::string currency = "INR";
  if (const auto* c = x.field("currency"); c && !c->value.text.empty()) currency = c->value.text;
  int added = 0;
  for (auto name : missing) {
    auto it = object->find(name);
    if (it == object->end() || it->value().is_null()) continue;
    if (auto f = model_field(name, it->value(), squeezed, currency)) {
      x.fields.push_back(std::move(*f));
      ++added;
    }
  }
  if (added) engines::validate(x);
  return added;
}

core::Status check_pdf(const std::filesystem::path& path, std::string_view name) {
  std::error_code ec;
  auto size = std::filesystem::file_size(path, ec);
  if (ec) return Error(Code::NotFound, prefixed(name, "the file is missing"), "file");
  if (size == 0) return Error(Code::InvalidFormat, prefixed(name, "the file is empty"), "file");
  std::string mime = engines::sniff_mime(path);
  if (mime != "application/pdf") {
    return Error(Code::InvalidFormat, prefixed(name, "not a PDF (the file is " + mime + ")"), "file");
  }
  return {};
}

core::Result<engines::Extraction> read_document(const std::filesystem::path& docent_exe,
                                                const std::filesystem::path& pdf, std::string_view name,
                                                engines::DocKind kind, const engines::ParseLimits& limits,
                                                const engines::IsolateOptions& isolate,
                                                std::vector<engines::PageWords>* words) {
  if (auto st = check_pdf(pdf, name); !st) return st.error();
  auto pages = engines::words_isolated(docent_exe, pdf, limits, isolate);
  if (!pages) {
    Error e = pages.error();
    e.message = prefixed(name, e.message);
    if (e.field.empty()) e.field = "file";
    return e;
  }
  engines::Extraction x = engines::extract_fields(kind, *pages);
  if (words) *words = std::move(*pages);
  return x;
}

std::string workbook_name(engines::DocKind kind, const std::vector<std::string>& source_names) {
  const std::string fallback = std::string(engines::kind_name(kind)) + "_extracted.xlsx";
  if (source_names.size() != 1) return fallback;
  std::string stem = std::filesystem::path(source_names[0]).filename().stem().string();
  std::string safe;
  for (unsigned char c : stem) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.') {
      safe.push_back(static_cast<char>(c));
    } else if (c == ' ' && !safe.empty() && safe.back() != '_') {
      safe.push_back('_');
    }
  }
  if (safe.size() > 100) safe.resize(100);
  if (safe.empty() || safe.front() == '.') return fallback;
  return safe + "_extracted.xlsx";
}

// ---- the service ---------------------------------------------------------------------------

ExtractionService::ExtractionService(store::Database& db, store::BlobStore& blobs, KnowledgeService& knowledge,
                                     ModelService& models, QuotaService& quota, ExtractionOptions options)
    : db_(db), blobs_(blobs), knowledge_(knowledge), models_(models), quota_(quota), options_(std::move(options)) {}

ExtractionService::Slot::Slot(ExtractionService& service) : service_(service) {
  core::MutexLock lock(service_.mu_);
  service_.slot_free_.wait(lock, [&]() REQUIRES(service_.mu_) {
    return service_.running_ < std::max(1, service_.options_.concurrency);
  });
  ++service_.running_;
}

ExtractionService::Slot::~Slot() {
  {
    core::MutexLock lock(service_.mu_);
    --service_.running_;
  }
  service_.slot_free_.notify_one();
}

core::Result<ExtractionResult> ExtractionService::extract_uploads(const Principal& actor, engines::DocKind kind,
                                                                  const std::vector<ExtractionUpload>& uploads) {
  std::vector<Source> sources;
  for (const auto& u : uploads)
    sources.push_back(Source{u.name.empty() ? "upload.pdf" : u.name, std::nullopt, u.path, ""});
  return run(actor, kind, std::move(sources));
}

core::Result<ExtractionResult> ExtractionService::extract_files(const Principal& actor, engines::DocKind kind,
                                                                const std::vector<std::string>& file_ids) {
  std::vector<Source> sources;
  for (const auto& id : file_ids) {
    auto file = knowledge_.get_file(actor, id);
    if (!file) return Error(Code::NotFound, "file not found: " + id, "file_id");
    auto path = knowledge_.file_content(actor, id);
    if (!path) return path.error();
    sources.push_back(Source{file->name, file->id, *path, file->sha256});
  }
  return run(actor, kind, std::move(sources));
}

core::Result<engines::Extraction> ExtractionService::read(const Source& source, engines::DocKind kind) {
  std::vector<engines::PageWords> words;
  auto x = [&] {
    Slot slot(*this);
    return read_document(options_.docent_exe, source.path, source.name, kind, options_.limits, options_.isolate,
                         &words);
  }();
  if (!x) return x;
  if (!models_.has_upstream()) return x;
  // The model pass: only an upstream can fill JSON (the built-in engine quotes passages).
  auto route = model_route();
  if (!route) return x;
  auto added = fill_missing_fields(*x, words, *route->provider, route->model);
  if (!added) {
    x->warnings.push_back("the model pass failed: " + added.error().message);
  } else if (*added > 0) {
    x->warnings.push_back(std::to_string(*added) + " field(s) were filled by the model " + route->model);
  }
  return x;
}

std::optional<ModelRoute> ExtractionService::model_route() {
  const auto never = [] { return false; };
  auto route = models_.route_chat(options_.model, never);
  if (route && !route->builtin) return *route;
  if (!options_.model.empty()) return std::nullopt;  // the named model is not an upstream's
  // No model named anywhere: the first one an upstream serves.
  for (const auto& m : models_.list_models(never)) {
    auto r = models_.route_chat(m.id, never);
    if (r && !r->builtin) return *r;
  }
  return std::nullopt;
}

core::Result<ExtractionResult> ExtractionService::run(const Principal& actor, engines::DocKind kind,
                                                      std::vector<Source> sources) {
  if (sources.empty()) return Error(Code::MissingField, "send at least one PDF as a 'file' part", "file");
  if (static_cast<int>(sources.size()) > options_.max_files) {
    return Error(Code::InvalidInput, "at most " + std::to_string(options_.max_files) + " files per request", "file");
  }
  auto view = quota_.quota(actor);
  if (!view) return view.error();
  for (const auto& s : sources) {
    if (auto st = check_pdf(s.path, s.name); !st) return st.error();
    std::error_code ec;
    auto size = std::filesystem::file_size(s.path, ec);
    if (view->plan.file_size && size > view->plan.file_size) {
      Error e(Code::PayloadTooLarge,
              prefixed(s.name, "larger than your plan allows (" + std::to_string(view->plan.file_size) + " bytes)"),
              "file");
      e.details["limit"] = view->plan.file_size;
      return e;
    }
  }
  // Uploads are files of the plan like any other face's; files already in the knowledge base
  // were counted when they were uploaded.
  const auto uploads = static_cast<int64_t>(
      std::count_if(sources.begin(), sources.end(), [](const Source& s) { return !s.file_id; }));
  if (uploads) {
    if (auto st = quota_.check(actor, Metric::File, uploads); !st) return st.error();
  }
  if (auto st = quota_.check(actor, Metric::Page); !st) return st.error();
  const auto documents = static_cast<int64_t>(sources.size());
  if (auto st = quota_.check(actor, Metric::Extraction, documents); !st) return st.error();

  ExtractionResult result;
  result.id = core::new_id();
  result.account_id = actor.account_id;
  result.kind = kind;
  result.status = "completed";
  int64_t pages = 0;
  std::vector<std::string> names;
  for (const auto& s : sources) {
    auto x = read(s, kind);
    if (!x) return x.error();
    pages += x->pages;
    names.push_back(s.name);
    result.documents.push_back(ExtractedDocument{s.name, s.file_id, std::move(*x)});
  }
  result.file_name = workbook_name(kind, names);

  // The workbook, then the sources, into the blob store.
  std::vector<engines::WorkbookDocument> book;
  for (const auto& d : result.documents) book.push_back({d.file_name, &d.extraction});
  std::filesystem::path temp = options_.work_dir / (result.id + ".xlsx");
  if (auto st = engines::write_workbook(temp, book); !st) return st.error();
  auto xlsx = blobs_.put_file(temp);
  std::error_code ec;
  std::filesystem::remove(temp, ec);
  if (!xlsx) return xlsx.error();
  result.xlsx_size = static_cast<int64_t>(xlsx->size);
  for (auto& s : sources) {
    if (!s.sha256.empty()) continue;
    auto blob = blobs_.put_file(s.path);
    if (!blob) return blob.error();
    s.sha256 = blob->sha256;
  }

  store::ExtractionRecord r;
  r.id = result.id;
  r.account_id = actor.account_id;
  r.kind = std::string(engines::kind_name(kind));
  r.status = result.status;
  r.file_name = result.file_name;
  r.xlsx_sha256 = xlsx->sha256;
  r.xlsx_size = result.xlsx_size;
  r.created_at = result.created_at = core::rfc3339_now();
  for (size_t i = 0; i < result.documents.size(); ++i) {
    const auto& d = result.documents[i];
    r.documents.push_back(store::ExtractionDocumentRecord{static_cast<int64_t>(i), d.file_name, d.file_id,
                                                          sources[i].sha256, d.extraction.pages,
                                                          json::serialize(engines::to_json(d.extraction))});
  }
  // Checked again and recorded with the row: two requests racing for the last unit cannot both
  // pass, and a refused one leaves no extraction and no counts.
  auto st = db_.write([&](store::Tx& tx) -> core::Status {
    if (uploads) {
      if (auto s = quota_.check(tx, actor, Metric::File, uploads); !s) return s;
    }
    if (auto s = quota_.check(tx, actor, Metric::Extraction, documents); !s) return s;
    if (auto s = store::extractions::insert(tx, r); !s) return s;
    if (uploads) {
      if (auto s = quota_.record(tx, actor.account_id, Metric::File, uploads); !s) return s;
    }
    if (auto s = quota_.record(tx, actor.account_id, Metric::Extraction, documents); !s) return s;
    if (auto s = quota_.record(tx, actor.account_id, Metric::Page, pages); !s) return s;
    return emit_event(events_, tx, actor.account_id, events::kExtractionCompleted,
                      json::object{{"extraction_id", r.id},
                                   {"kind", r.kind},
                                   {"status", r.status},
                                   {"file_name", r.file_name},
                                   {"documents", static_cast<int64_t>(r.documents.size())}});
  });
  if (!st) return st.error();
  core::log::info("extraction done", {{"extraction", result.id},
                                      {"kind", r.kind},
                                      {"documents", static_cast<int64_t>(result.documents.size())},
                                      {"pages", pages}});
  return result;
}

namespace {

core::Result<ExtractionResult> from_record(const store::ExtractionRecord& r) {
  ExtractionResult out;
  out.id = r.id;
  out.account_id = r.account_id;
  auto kind = engines::parse_kind(r.kind);
  if (!kind) return Error(Code::Internal, "stored extraction " + r.id + " has an unknown kind " + r.kind);
  out.kind = *kind;
  out.status = r.status;
  out.file_name = r.file_name;
  out.xlsx_size = r.xlsx_size;
  out.created_at = r.created_at;
  for (const auto& d : r.documents) {
    boost::system::error_code ec;
    auto v = json::parse(d.result, ec);
    if (ec) return Error(Code::Internal, "stored extraction " + r.id + " has a malformed result");
    auto x = engines::extraction_from_json(v);
    if (!x) return Error(Code::Internal, "stored extraction " + r.id + ": " + x.error().message);
    out.documents.push_back(ExtractedDocument{d.file_name, d.file_id, std::move(*x)});
  }
  return out;
}

}  // namespace

core::Result<store::ExtractionRecord> ExtractionService::owned(const Principal& actor, std::string_view id) {
  std::optional<store::ExtractionRecord> found;
  auto st = db_.read([&](store::Tx& tx) -> core::Status {
    auto r = store::extractions::by_id(tx, id);
    if (!r) return r.error();
    found = std::move(*r);
    return {};
  });
  if (!st) return st.error();
  if (!found || !actor.may_access(found->account_id)) return kExtractionNotFound;
  return std::move(*found);
}

core::Result<ExtractionResult> ExtractionService::get(const Principal& actor, std::string_view id) {
  auto r = owned(actor, id);
  if (!r) return r.error();
  return from_record(*r);
}

core::Result<Page<ExtractionResult>> ExtractionService::list(const Principal& actor, std::string_view after,
                                                             int64_t limit) {
  limit = std::clamp<int64_t>(limit, 1, 1000);
  int64_t after_seq = 0;
  std::vector<store::ExtractionRecord> rows;
  auto st = db_.read([&](store::Tx& tx) -> core::Status {
    if (!after.empty()) {
      auto cursor = store::extractions::by_id(tx, after);
      if (!cursor) return cursor.error();
      if (!*cursor || (*cursor)->account_id != actor.account_id) {
        return Error(Code::InvalidInput, "after must be the id of an extraction from a previous page", "after");
      }
      after_seq = (*cursor)->seq;
    }
    auto r = store::extractions::list(tx, actor.account_id, after_seq, limit + 1);
    if (!r) return r.error();
    rows = std::move(*r);
    return {};
  });
  if (!st) return st.error();
  Page<ExtractionResult> page;
  for (const auto& r : rows) {
    auto e = from_record(r);
    if (!e) return e.error();
    page.items.push_back(std::move(*e));
  }
  if (static_cast<int64_t>(page.items.size()) > limit) {
    page.items.pop_back();
    page.has_more = true;
    page.next_cursor = page.items.back().id;
  }
  return page;
}

core::Result<ExtractionService::Workbook> ExtractionService::workbook(const Principal& actor, std::string_view id) {
  auto r = owned(actor, id);
  if (!r) return r.error();
  auto path = blobs_.path_of(r->xlsx_sha256);
  if (!path) return Error(Code::Internal, "the workbook is missing from the blob store");
  return Workbook{*path, r->file_name};
}

}  // namespace docent::services
