#include "services/knowledge.h"

#include "core/id.h"
#include "core/log.h"
#include "core/time.h"
#include "engines/fusion.h"
#include "engines/sniff.h"
#include "services/jobs.h"
#include "services/search_index.h"
#include "store/accounts.h"
#include "store/extractions.h"
#include "store/media_jobs.h"
#include "store/knowledge.h"

#include <boost/json.hpp>

#include <algorithm>
#include <fstream>
#include <set>
#include <thread>
#include <unordered_map>

namespace docent::services {

namespace json = boost::json;
using core::Code;
using core::Error;

namespace {

const Error kFolderNotFound(Code::NotFound, "folder not found");
const Error kFileNotFound(Code::NotFound, "file not found");

Folder to_folder(const store::FolderRecord& r) {
  return Folder{r.id, r.seq, r.account_id, 0, r.parent_id, r.name, r.description, r.created_at, r.updated_at};
}

core::Status check_name(std::string_view name, std::string_view field, size_t max = 255) {
  if (name.empty()) return Error(Code::MissingField, std::string(field) + " is required", std::string(field));
  if (name.size() > max) {
    return Error(Code::InvalidInput, std::string(field) + " must be at most " + std::to_string(max) + " bytes",
                 std::string(field));
  }
  for (unsigned char c : name) {
    if (c < 0x20 || c == 0x7f) {
      return Error(Code::InvalidInput, std::string(field) + " must not contain control characters", std::string(field));
    }
  }
  return {};
}

// The record `lookup` finds in a read transaction, if any.
template <class Record, class Lookup>
core::Result<std::optional<Record>> read_record(store::Database& db, Lookup lookup) {
  std::optional<Record> found;
  auto st = db.read([&](store::Tx& tx) -> core::Status {
    auto r = lookup(tx);
    if (!r) return r.error();
    found = std::move(*r);
    return {};
  });
  if (!st) return st.error();
  return found;
}

std::string tags_json(const std::vector<std::string>& tags) {
  json::array a;
  for (const auto& t : tags) a.emplace_back(t);
  return json::serialize(a);
}

}  // namespace

File to_file(const store::FileRecord& r) {
  File f;
  f.id = r.id;
  f.seq = r.seq;
  f.account_id = r.account_id;
  f.folder_id = r.folder_id;
  f.name = r.name;
  f.description = r.description;
  f.mime = r.mime;
  f.source_type = r.source_type;
  f.size = r.size;
  f.sha256 = r.sha256;
  f.purpose = r.purpose;
  boost::system::error_code ec;
  auto meta = json::parse(r.metadata, ec);
  if (!ec && meta.is_object()) f.metadata = meta.as_object();
  auto tags = json::parse(r.tags, ec);
  if (!ec && tags.is_array()) {
    for (const auto& t : tags.as_array()) {
      if (t.is_string()) f.tags.emplace_back(t.as_string());
    }
  }
  f.status = r.status;
  f.status_reason = r.status_reason;
  f.pages = r.pages;
  f.chunk_count = r.chunk_count;
  f.job_id = r.job_id;
  f.created_at = r.created_at;
  f.updated_at = r.updated_at;
  f.processed_at = r.processed_at;
  return f;
}

KnowledgeService::KnowledgeService(store::Database& db, store::BlobStore& blobs, JobQueue& jobs, SearchIndex& index,
                                   QuotaService& quota, const core::Config& config)
    : db_(db), blobs_(blobs), jobs_(jobs), index_(index), quota_(quota), config_(config) {}

// ---- folders ---------------------------------------------------------------------------------

core::Result<Folder> KnowledgeService::resolve_folder(const Principal& actor, std::string_view id_or_path) {
  std::optional<store::FolderRecord> found;
  auto st = db_.read([&](store::Tx& tx) -> core::Status {
    auto by_id = store::folders::by_id(tx, id_or_path);
    if (!by_id) return by_id.error();
    if (*by_id && actor.may_access((*by_id)->account_id)) {
      found = std::move(*by_id);
      return {};
    }
    // A path of names from the root: "Reports/2024".
    auto all = store::folders::list(tx, actor.account_id);
    if (!all) return all.error();
    std::optional<std::string> parent;
    size_t i = 0;
    std::string_view path = id_or_path;
    while (!path.empty() && path.front() == '/') path.remove_prefix(1);
    while (!path.empty() && path.back() == '/') path.remove_suffix(1);
    if (path.empty()) return {};
    while (i <= path.size()) {
      size_t j = path.find('/', i);
      if (j == std::string_view::npos) j = path.size();
      std::string_view name = path.substr(i, j - i);
      i = j + 1;
      auto it = std::find_if(all->begin(), all->end(),
                             [&](const store::FolderRecord& f) { return f.parent_id == parent && f.name == name; });
      if (it == all->end()) {
        found.reset();  // "a/missing" is not found, never "a"
        return {};
      }
      parent = it->id;
      found = *it;
    }
    return {};
  });
  if (!st) return st.error();
  if (!found) return kFolderNotFound;
  return to_folder(*found);
}

core::Result<Folder> KnowledgeService::create_folder(const Principal& actor, std::string_view name,
                                                     std::string_view description, std::optional<std::string> parent) {
  if (auto st = check_name(name, "name"); !st) return st.error();
  if (name.find('/') != std::string_view::npos) return Error(Code::InvalidInput, "name must not contain '/'", "name");
  if (auto st = check_name(description.empty() ? "-" : description, "description", 4000); !st) return st.error();
  std::optional<std::string> parent_id;
  if (parent && !parent->empty()) {
    auto p = resolve_folder(actor, *parent);
    if (!p) return p.error();
    parent_id = p->id;
  }
  store::FolderRecord r;
  r.id = core::new_id();
  r.account_id = actor.account_id;
  r.parent_id = parent_id;
  r.name = std::string(name);
  r.description = std::string(description);
  r.created_at = r.updated_at = core::rfc3339_now();
  auto st = db_.write([&](store::Tx& tx) { return store::folders::insert(tx, r); });
  if (!st) return st.error();
  return to_folder(r);
}

core::Result<Folder> KnowledgeService::get_folder(const Principal& actor, std::string_view id) {
  auto found = read_record<store::FolderRecord>(db_, [&](store::Tx& tx) { return store::folders::by_id(tx, id); });
  if (!found) return found.error();
  if (!*found || !actor.may_access((*found)->account_id)) return kFolderNotFound;
  return to_folder(**found);
}

core::Result<Folder> KnowledgeService::get_folder_by_seq(const Principal& actor, int64_t seq) {
  auto found = read_record<store::FolderRecord>(db_, [&](store::Tx& tx) { return store::folders::by_seq(tx, seq); });
  if (!found) return found.error();
  if (!*found || !actor.may_access((*found)->account_id)) return kFolderNotFound;
  return to_folder(**found);
}

core::Result<std::vector<Folder>> KnowledgeService::list_folders(const Principal& actor) {
  std::vector<Folder> out;
  auto st = db_.read([&](store::Tx& tx) -> core::Status {
    auto rows = store::folders::list(tx, actor.account_id);
    if (!rows) return rows.error();
    for (const auto& r : *rows) out.push_back(to_folder(r));
    return {};
  });
  if (!st) return st.error();
  return out;
}

core::Result<Folder> KnowledgeService::update_folder(const Principal& actor, std::string_view id,
                                                     std::optional<std::string> name,
                                                     std::optional<std::string> description) {
  if (name) {
    if (auto st = check_name(*name, "name"); !st) return st.error();
    if (name->find('/') != std::string::npos) return Error(Code::InvalidInput, "name must not contain '/'", "name");
  }
  store::FolderRecord r;
  auto st = db_.write([&](store::Tx& tx) -> core::Status {
    auto found = store::folders::by_id(tx, id);
    if (!found) return found.error();
    if (!*found || !actor.may_access((*found)->account_id)) return kFolderNotFound;
    r = **found;
    if (name) r.name = *name;
    if (description) r.description = *description;
    r.updated_at = core::rfc3339_now();
    return store::folders::update(tx, r);
  });
  if (!st) return st.error();
  return to_folder(r);
}

core::Status KnowledgeService::delete_folder(const Principal& actor, std::string_view id) {
  std::vector<std::string> shas, file_ids;
  auto st = db_.write([&](store::Tx& tx) -> core::Status {
    auto found = store::folders::by_id(tx, id);
    if (!found) return found.error();
    if (!*found || !actor.may_access((*found)->account_id)) return kFolderNotFound;
    auto sub = store::folders::subtree(tx, id);
    if (!sub) return sub.error();
    auto files = store::files::in_folders(tx, *sub);
    if (!files) return files.error();
    for (const auto& f : *files) {
      shas.push_back(f.sha256);
      file_ids.push_back(f.id);
    }
    return store::folders::remove(tx, id);
  });
  if (!st) return st;
  for (const auto& f : file_ids) index_.remove_file(f);
  collect_garbage(shas);
  return {};
}

// ---- files -----------------------------------------------------------------------------------

core::Result<File> KnowledgeService::add_file(const Principal& actor, const std::filesystem::path& content,
                                              NewFile info) {
  return admit(actor, content, true, {}, std::move(info));
}

core::Result<File> KnowledgeService::add_bytes(const Principal& actor, std::string_view bytes, NewFile info) {
  return admit(actor, {}, false, bytes, std::move(info));
}

core::Result<File> KnowledgeService::admit(const Principal& actor, const std::filesystem::path& source, bool from_path,
                                           std::string_view bytes, NewFile info) {
  if (auto st = check_name(info.name, "filename"); !st) return st.error();
  if (info.tags.size() > 50) return Error(Code::InvalidInput, "at most 50 tags", "tags");
  for (const auto& t : info.tags) {
    if (auto st = check_name(t, "tags", 100); !st) return st.error();
  }
  std::optional<std::string> folder_id;
  if (info.folder && !info.folder->empty()) {
    auto folder = resolve_folder(actor, *info.folder);
    if (!folder) return Error(Code::NotFound, "folder not found: " + *info.folder, "folder_id");
    folder_id = folder->id;
  }

  // The type comes from the bytes; the name only tells markdown and CSV from plain text.
  std::string mime;
  uint64_t size = 0;
  if (from_path) {
    std::error_code ec;
    size = std::filesystem::file_size(source, ec);
    if (ec) return Error(Code::Internal, "upload vanished before it could be stored");
    mime = size ? engines::sniff_mime(source) : "application/x-empty";
  } else {
    size = bytes.size();
    mime = size ? engines::sniff_mime_bytes(bytes) : "application/x-empty";
  }
  if (size == 0) return Error(Code::InvalidFormat, "the file is empty", "file");
  auto kind = engines::kind_of(mime, info.name);
  if (kind == engines::DocumentKind::Unsupported) {
    return Error(Code::InvalidFormat,
                 "unsupported file type " + mime +
                     "; docent reads PDF, DOCX, HTML, Markdown, CSV, plain text and images",
                 "file");
  }
  const std::string source_type(engines::kind_name(kind));
  if (!info.accept_types.empty() &&
      std::find(info.accept_types.begin(), info.accept_types.end(), source_type) == info.accept_types.end()) {
    std::string accepted;
    for (const auto& t : info.accept_types) accepted += (accepted.empty() ? "" : ", ") + t;
    return Error(Code::InvalidFormat, "this upload accepts only " + accepted + " files; the file is " + mime, "file");
  }

  // The plan: size and types. Counts are checked here to refuse early, before the bytes are
  // stored, and again inside the insert's transaction, where they are decided.
  auto view = quota_.quota(actor);
  if (!view) return view.error();
  const auto plan = view->plan;
  if (plan.file_size && size > plan.file_size) {
    Error e(Code::PayloadTooLarge,
            "the file is larger than your plan allows (" + std::to_string(plan.file_size) + " bytes)", "file");
    e.details["limit"] = plan.file_size;
    return e;
  }
  if (!plan.file_types.empty() &&
      std::find(plan.file_types.begin(), plan.file_types.end(), source_type) == plan.file_types.end()) {
    return Error(
        Code::InvalidFormat,
        "your plan accepts only these file types: " +
            [&] {
      std::string s;
      for (const auto& t : plan.file_types) s += (s.empty() ? "" : ", ") + t;
      return s;
        }(),
        "file");
  }
  if (auto st = QuotaService::check(*view, Metric::File); !st) return st.error();
  auto check_capacity = [&](store::Tx& tx) -> core::Status {
    if (!plan.file_capacity) return {};
    auto kept = store::files::count(tx, actor.account_id);
    if (!kept) return kept.error();
    if (*kept >= plan.file_capacity) {
      return Error(Code::QuotaExceeded,
                   "your plan keeps at most " + std::to_string(plan.file_capacity) + " files; delete some first");
    }
    return {};
  };
  if (auto st = db_.read(check_capacity); !st) return st.error();

  auto blob = from_path ? blobs_.put_file(source) : blobs_.put(bytes);
  if (!blob) return blob.error();
  if (from_path) {
    std::error_code ec;
    std::filesystem::remove(source, ec);
  }

  store::FileRecord r;
  r.id = core::new_id();
  r.account_id = actor.account_id;
  r.folder_id = folder_id;
  r.name = info.name;
  r.description = info.description;
  r.mime = mime;
  r.source_type = source_type;
  r.size = static_cast<int64_t>(blob->size);
  r.sha256 = blob->sha256;
  r.purpose = info.purpose.empty() ? "assistants" : info.purpose;
  r.metadata = json::serialize(info.metadata);
  r.tags = tags_json(info.tags);
  r.created_at = r.updated_at = core::rfc3339_now();
  // One transaction: the same bytes already in that folder are that file; otherwise the quota
  // is checked and recorded, the ingest job queued and the file inserted together, so a crash
  // leaves all or none of them and two uploads racing for the last unit cannot both pass.
  bool duplicate = false;
  auto st = db_.write([&](store::Tx& tx) -> core::Status {
    auto same = store::files::duplicate_of(tx, actor.account_id, folder_id, r.sha256);
    if (!same) return same.error();
    if (*same) {
      r = std::move(**same);
      duplicate = true;
      return {};
    }
    if (auto s = quota_.check(tx, actor, Metric::File); !s) return s;
    if (auto s = check_capacity(tx); !s) return s;
    auto job = jobs_.enqueue(tx, "ingest", actor.account_id, json::object{{"file_id", r.id}});
    if (!job) return job.error();
    r.job_id = *job;
    if (auto s = store::files::insert(tx, r); !s) return s;
    const json::object event{{"file_id", r.id}, {"filename", r.name}, {"size", r.size}, {"type", r.mime}};
    if (auto s = emit_event(events_, tx, actor.account_id, events::kFileUploaded, event); !s) return s;
    if (info.knowledge_entry) {
      if (auto s = emit_event(events_, tx, actor.account_id, events::kKnowledgeAdded, event); !s) return s;
    }
    return quota_.record(tx, actor.account_id, Metric::File);
  });
  // On failure the bytes stay in the blob store: removing them here could race an upload of the
  // same bytes that has stored them too and is about to commit its row.
  if (!st) return st.error();
  if (!duplicate) jobs_.wake();
  File out = to_file(r);
  out.duplicate = duplicate;
  return out;
}

core::Result<File> KnowledgeService::get_file(const Principal& actor, std::string_view id) {
  auto found = read_record<store::FileRecord>(db_, [&](store::Tx& tx) { return store::files::by_id(tx, id); });
  if (!found) return found.error();
  if (!*found || !actor.may_access((*found)->account_id)) return kFileNotFound;
  return to_file(**found);
}

core::Result<File> KnowledgeService::get_file_by_seq(const Principal& actor, int64_t seq) {
  auto found = read_record<store::FileRecord>(db_, [&](store::Tx& tx) { return store::files::by_seq(tx, seq); });
  if (!found) return found.error();
  if (!*found || !actor.may_access((*found)->account_id)) return kFileNotFound;
  return to_file(**found);
}

core::Result<Page<File>> KnowledgeService::list_files(const Principal& actor, std::optional<std::string> folder,
                                                      std::string_view after, int64_t limit) {
  limit = std::clamp<int64_t>(limit, 1, 1000);
  std::optional<std::string> folder_id;
  if (folder && !folder->empty()) {
    auto f = resolve_folder(actor, *folder);
    if (!f) return f.error();
    folder_id = f->id;
  }
  int64_t after_seq = 0;
  if (!after.empty()) {
    auto file = get_file(actor, after);  // cursors are file ids
    if (!file) return Error(Code::InvalidInput, "after must be the id of a file from a previous page", "after");
    after_seq = file->seq;
  }
  Page<File> page;
  auto st = db_.read([&](store::Tx& tx) -> core::Status {
    auto rows = store::files::list(tx, actor.account_id, folder_id, after_seq, limit + 1);
    if (!rows) return rows.error();
    for (const auto& r : *rows) page.items.push_back(to_file(r));
    return {};
  });
  if (!st) return st.error();
  if (static_cast<int64_t>(page.items.size()) > limit) {
    page.items.pop_back();
    page.has_more = true;
    page.next_cursor = page.items.back().id;
  }
  return page;
}

core::Result<File> KnowledgeService::update_file(const Principal& actor, std::string_view id, const FilePatch& patch) {
  if (patch.name) {
    if (auto st = check_name(*patch.name, "name"); !st) return st.error();
  }
  std::optional<std::optional<std::string>> folder_id;
  if (patch.folder) {
    if (!*patch.folder || (*patch.folder)->empty()) {
      folder_id = std::optional<std::string>();
    } else {
      auto f = resolve_folder(actor, **patch.folder);
      if (!f) return Error(Code::NotFound, "folder not found", "folder_id");
      folder_id = f->id;
    }
  }
  store::FileRecord r;
  auto st = db_.write([&](store::Tx& tx) -> core::Status {
    auto found = store::files::by_id(tx, id);
    if (!found) return found.error();
    if (!*found || !actor.may_access((*found)->account_id)) return kFileNotFound;
    r = **found;
    if (patch.name) r.name = *patch.name;
    if (patch.description) r.description = *patch.description;
    if (folder_id) r.folder_id = *folder_id;
    if (patch.metadata) r.metadata = json::serialize(*patch.metadata);
    if (patch.tags) r.tags = tags_json(*patch.tags);
    r.updated_at = core::rfc3339_now();
    return store::files::update(tx, r);
  });
  if (!st) return st.error();
  return to_file(r);
}

core::Status KnowledgeService::delete_file(const Principal& actor, std::string_view id) {
  std::string sha;
  auto st = db_.write([&](store::Tx& tx) -> core::Status {
    auto found = store::files::by_id(tx, id);
    if (!found) return found.error();
    if (!*found || !actor.may_access((*found)->account_id)) return kFileNotFound;
    sha = (*found)->sha256;
    return store::files::remove(tx, id);
  });
  if (!st) return st;
  index_.remove_file(std::string(id));
  collect_garbage({sha});
  return {};
}

void KnowledgeService::forget_files(const std::vector<std::string>& file_ids, const std::vector<std::string>& shas) {
  for (const auto& f : file_ids) index_.remove_file(f);
  collect_garbage(shas);
}

void KnowledgeService::collect_garbage(const std::vector<std::string>& shas) {
  std::set<std::string> unique(shas.begin(), shas.end());
  for (const auto& sha : unique) {
    int64_t users = 1;
    auto st = db_.read([&](store::Tx& tx) -> core::Status {
      auto n = store::files::count_sha(tx, sha);
      if (!n) return n.error();
      auto extracted = store::extractions::count_sha(tx, sha);  // a source or workbook of an extraction
      if (!extracted) return extracted.error();
      auto media = store::media_jobs::count_sha(tx, sha);  // a media job's upload or result
      if (!media) return media.error();
      users = *n + *extracted + *media;
      return {};
    });
    if (st && users == 0) {
      if (auto removed = blobs_.remove(sha); !removed) {
        core::log::warn("blob not removed", {{"sha256", sha}, {"error", removed.error().message}});
      }
    }
  }
}

core::Result<std::filesystem::path> KnowledgeService::file_content(const Principal& actor, std::string_view id) {
  auto file = get_file(actor, id);
  if (!file) return file.error();
  auto path = blobs_.path_of(file->sha256);
  if (!path) return Error(Code::Internal, "the file's bytes are missing from the blob store");
  return *path;
}

core::Result<int64_t> KnowledgeService::add_chunk(const Principal& actor, std::string_view file_id,
                                                  std::string_view text, int64_t page) {
  if (text.empty()) return Error(Code::MissingField, "text is required", "text");
  if (text.size() > 100000) return Error(Code::InvalidInput, "a chunk is at most 100000 bytes", "text");
  auto file = get_file(actor, file_id);
  if (!file) return file.error();
  auto vectors = index_.embedder().embed({std::string(text)});
  if (!vectors) return vectors.error();
  std::vector<store::ChunkRecord> rows(1);
  rows[0].file_id = file->id;
  rows[0].account_id = file->account_id;
  rows[0].page = std::max<int64_t>(page, 1);
  rows[0].text = std::string(text);
  rows[0].embedding = SearchIndex::to_bytes(vectors->front());
  auto st = db_.write([&](store::Tx& tx) { return store::chunks::append(tx, rows[0]); });
  if (!st) return st.error();
  if (auto s = index_.add(rows); !s) return s.error();
  return rows[0].id;
}

// ---- search ----------------------------------------------------------------------------------

core::Result<std::optional<std::vector<std::string>>> KnowledgeService::allowed_files(const Principal& actor,
                                                                                      const SearchQuery& q) {
  if (q.file_ids.empty() && q.folder_ids.empty() && q.tags.empty() && q.source_types.empty()) {
    return std::optional<std::vector<std::string>>();
  }
  std::vector<std::string> folder_ids;
  for (const auto& f : q.folder_ids) {
    auto folder = resolve_folder(actor, f);
    if (!folder) return Error(Code::NotFound, "folder not found: " + f, "folder_ids");
    folder_ids.push_back(folder->id);
  }
  std::vector<std::string> allowed;
  bool everything = false;
  auto st = db_.read([&](store::Tx& tx) -> core::Status {
    for (const auto& id : q.file_ids) {
      auto f = store::files::by_id(tx, id);
      if (!f) return f.error();
      if (!*f || (*f)->account_id != actor.account_id)
        return Error(Code::NotFound, "file not found: " + id, "file_ids");
    }
    store::files::FileFilter filter{q.file_ids, {}, q.source_types, q.tags};
    for (const auto& id : folder_ids) {
      if (!q.include_subfolders) {
        filter.folder_ids.push_back(id);
        continue;
      }
      auto sub = store::folders::subtree(tx, id);
      if (!sub) return sub.error();
      filter.folder_ids.insert(filter.folder_ids.end(), sub->begin(), sub->end());
    }
    // A type or tag filter every file passes (most files are PDFs) is no filter: searched as
    // one, it spares both halves a list of thousands of files to check each match against.
    const bool wide = q.file_ids.empty() && folder_ids.empty();
    int64_t all = 0;
    if (wide) {
      auto n = store::files::count(tx, actor.account_id);
      if (!n) return n.error();
      all = *n;
    }
    if (wide && q.tags.empty()) {
      // Types only: counted from the index first, the ids read only when some file fails.
      auto passing = store::files::count_matching(tx, actor.account_id, filter);
      if (!passing) return passing.error();
      if (*passing == all) {
        everything = true;
        return {};
      }
    }
    auto ids = store::files::matching(tx, actor.account_id, filter);
    if (!ids) return ids.error();
    allowed = std::move(*ids);
    everything = wide && static_cast<int64_t>(allowed.size()) == all;
    return {};
  });
  if (!st) return st.error();
  if (everything) return std::optional<std::vector<std::string>>();
  return std::optional<std::vector<std::string>>(std::move(allowed));
}

core::Status KnowledgeService::wait_until_ready(const Principal& actor, const SearchQuery& q) {
  const auto deadline = std::chrono::steady_clock::now() + q.wait_for_files;
  while (true) {
    std::vector<std::string> pending;
    for (const auto& id : q.file_ids) {
      auto f = get_file(actor, id);
      if (!f) return Error(Code::NotFound, "file not found: " + id, "file_ids");
      if (f->status == "failed") {
        return Error(Code::NotReady, "file " + id + " could not be processed: " + f->status_reason, "file_ids");
      }
      if (f->status != "processed") pending.push_back(id);
    }
    if (pending.empty()) return {};
    if (std::chrono::steady_clock::now() >= deadline) {
      std::string list;
      for (const auto& id : pending) list += (list.empty() ? "" : ", ") + id;
      Error e(Code::NotReady, "still processing, not searchable yet: " + list + "; try again shortly", "file_ids");
      json::array ids;
      for (const auto& id : pending) ids.emplace_back(id);
      e.details["pending"] = std::move(ids);
      return e;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

core::Result<std::vector<std::string>> KnowledgeService::pending_files(const Principal& actor, const SearchQuery& q) {
  std::vector<std::string> pending;
  auto st = db_.read([&](store::Tx& tx) -> core::Status {
    auto ids = store::files::pending(tx, actor.account_id);
    if (!ids) return ids.error();
    pending = std::move(*ids);
    return {};
  });
  if (!st) return st.error();
  if (pending.empty()) return pending;
  auto allowed = allowed_files(actor, q);
  if (!allowed) return allowed.error();
  if (!*allowed) return pending;  // no filters: every pending file of the caller's is in scope
  const std::set<std::string> in_scope((*allowed)->begin(), (*allowed)->end());
  std::erase_if(pending, [&](const std::string& id) { return !in_scope.count(id); });
  return pending;
}

void KnowledgeService::wait_for_pending(const Principal& actor, const SearchQuery& q) {
  const auto deadline = std::chrono::steady_clock::now() + q.wait_for_files;
  while (std::chrono::steady_clock::now() < deadline) {
    auto pending = pending_files(actor, q);
    if (!pending || pending->empty()) return;  // an error: the search itself reports it
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

core::Result<std::vector<SearchHit>> KnowledgeService::file_passages(const Principal& actor, std::string_view file_id,
                                                                     size_t max_chars, std::chrono::milliseconds wait) {
  SearchQuery q;
  q.file_ids.emplace_back(file_id);
  q.wait_for_files = wait;
  if (auto st = wait_until_ready(actor, q); !st) return st.error();
  auto file = get_file(actor, file_id);
  if (!file) return file.error();
  std::vector<store::ChunkRecord> chunks;
  auto st = db_.read([&](store::Tx& tx) -> core::Status {
    auto r = store::chunks::of_file(tx, file->id);
    if (!r) return r.error();
    chunks = std::move(*r);
    return {};
  });
  if (!st) return st.error();
  std::sort(chunks.begin(), chunks.end(), [](const auto& a, const auto& b) { return a.ordinal < b.ordinal; });
  size_t total = 0;
  for (const auto& c : chunks) total += c.text.size();
  std::vector<size_t> picked;
  if (total <= max_chars) {
    for (size_t i = 0; i < chunks.size(); ++i) picked.push_back(i);
  } else if (!chunks.empty()) {
    // Evenly spaced picks: as many average-sized chunks as fit, first and last included.
    const size_t average = std::max<size_t>(1, total / chunks.size());
    const size_t n = std::clamp<size_t>(max_chars / average, 1, chunks.size());
    size_t used = 0;
    for (size_t k = 0; k < n; ++k) {
      const size_t i = n == 1 ? 0 : k * (chunks.size() - 1) / (n - 1);
      if (!picked.empty() && picked.back() == i) continue;
      if (used + chunks[i].text.size() > max_chars && !picked.empty()) break;
      used += chunks[i].text.size();
      picked.push_back(i);
    }
  }
  std::vector<SearchHit> out;
  for (size_t i : picked) {
    auto& c = chunks[i];
    out.push_back(SearchHit{.chunk_id = c.id,
                            .text = std::move(c.text),
                            .score = 0,
                            .file_id = file->id,
                            .file_name = file->name,
                            .page = c.page,
                            .section = std::move(c.section),
                            .position = c.ordinal});
  }
  return out;
}

bool KnowledgeService::vector_search_ready() const { return index_.ready(); }

core::Result<std::vector<SearchHit>> KnowledgeService::search(const Principal& actor, const SearchQuery& q) {
  if (q.text.empty()) return Error(Code::MissingField, "the search text is required", "query");
  if (q.text.size() > 10000) return Error(Code::InvalidInput, "the search text is at most 10000 bytes", "query");
  if (!q.file_ids.empty()) {
    if (auto st = wait_until_ready(actor, q); !st) return st.error();
  } else if (q.wait_for_pending) {
    wait_for_pending(actor, q);
  }
  const int64_t limit = std::clamp<int64_t>(q.limit, 1, 100);
  auto allowed = allowed_files(actor, q);
  if (!allowed) return allowed.error();
  std::vector<SearchHit> hits;
  if (*allowed && (*allowed)->empty()) return hits;  // filters exclude everything
  const std::vector<std::string> no_files;
  const std::vector<std::string>& file_filter = *allowed ? **allowed : no_files;
  const int64_t depth = std::max<int64_t>(limit * 4, 40);
  // While the vector index opens (after a crash it replays what changed since its checkpoint),
  // every search is a full-text one; vector_search_ready() lets a face say so.
  const auto mode = index_.ready() ? q.mode : SearchQuery::Mode::Text;

  // Hybrid search runs its full-text half on a helper while this thread embeds the query and
  // walks the vector index. A helper that has not answered by the time this thread is done (plus
  // as long again: its core may have been taken away) is overtaken: this thread runs the
  // full-text query itself (core::ForkJoinPool::hedge), so a stalled core costs a query the
  // full-text time, not the stall.
  // A single-user server's full-text search skips the owner check per match; the rows read
  // below are still checked, so a chunk another account adds meanwhile never shows.
  using TextHits = core::Result<std::vector<store::chunks::TextHit>>;
  std::function<TextHits()> search_text =
      [&db = db_, text = q.text, owner = index_.owns_every_chunk(actor.account_id) ? std::string() : actor.account_id,
       files = file_filter, depth]() -> TextHits {
    std::vector<store::chunks::TextHit> hits;
    auto st = db.read([&](store::Tx& tx) -> core::Status {
      auto r = store::chunks::search_text(tx, text, owner, files, depth);
      if (!r) return r.error();
      hits = std::move(*r);
      return {};
    });
    if (!st) return st.error();
    return hits;
  };
  std::shared_ptr<core::ForkJoinPool::Hedged<TextHits>> text_task;
  std::vector<store::chunks::TextHit> text_hits;
  // Within a few files the vector half is a few hundred exact scores (SearchIndex::search), far
  // shorter than the full-text half: forked, the caller would be done first and overtake the
  // helper, running the text twice. Both halves run here instead, one after the other.
  const bool few_files = *allowed && (*allowed)->size() <= kFewFiles;
  if (mode == SearchQuery::Mode::Hybrid && !few_files) {
    text_task = helpers_.hedge(search_text);
  } else if (mode != SearchQuery::Mode::Semantic) {
    auto r = search_text();
    if (!r) return r.error();
    text_hits = std::move(*r);
  }
  const auto vector_started = std::chrono::steady_clock::now();
  std::vector<std::pair<int64_t, float>> found;
  core::Status vector_status;
  if (mode != SearchQuery::Mode::Text) {
    auto vectors = index_.embedder().embed({q.text});
    if (vectors) {
      found = index_.search(vectors->front(), static_cast<size_t>(depth), actor.account_id,
                            *allowed ? &**allowed : nullptr);
    } else {
      vector_status = vectors.error();
    }
  }
  if (text_task) {
    const auto spent = std::chrono::steady_clock::now() - vector_started;
    auto r = text_task->get(std::max<std::chrono::nanoseconds>(spent, std::chrono::milliseconds(1)));
    if (!r) return r.error();
    text_hits = std::move(*r);
  }
  if (!vector_status) return vector_status.error();

  std::vector<std::vector<uint64_t>> rankings;
  std::unordered_map<int64_t, double> text_scores, vector_scores;
  if (mode != SearchQuery::Mode::Semantic) {
    std::vector<uint64_t> ranking;
    for (const auto& h : text_hits) {
      ranking.push_back(static_cast<uint64_t>(h.id));
      text_scores[h.id] = h.score;
    }
    rankings.push_back(std::move(ranking));
  }
  if (mode != SearchQuery::Mode::Text) {
    std::vector<uint64_t> ranking;
    for (const auto& [id, score] : found) {
      ranking.push_back(static_cast<uint64_t>(id));
      vector_scores[id] = score;
    }
    rankings.push_back(std::move(ranking));
  }

  std::vector<int64_t> ids;
  std::unordered_map<int64_t, double> fused_score;
  if (rankings.size() == 1) {
    for (size_t i = 0; i < rankings[0].size() && static_cast<int64_t>(i) < limit; ++i) {
      int64_t id = static_cast<int64_t>(rankings[0][i]);
      ids.push_back(id);
      fused_score[id] = mode == SearchQuery::Mode::Text ? text_scores[id] : vector_scores[id];
    }
  } else {
    for (const auto& f : engines::reciprocal_rank_fusion(rankings, 60, static_cast<size_t>(limit))) {
      ids.push_back(static_cast<int64_t>(f.id));
      fused_score[static_cast<int64_t>(f.id)] = f.score;
    }
  }
  if (ids.empty()) return hits;

  std::vector<store::ChunkRecord> rows;
  std::unordered_map<std::string, std::string> names;
  auto st = db_.read([&](store::Tx& tx) -> core::Status {
    auto r = store::chunks::by_ids(tx, ids);
    if (!r) return r.error();
    rows = std::move(*r);
    for (const auto& c : rows) {
      if (names.count(c.file_id)) continue;
      auto f = store::files::by_id(tx, c.file_id);
      if (!f) return f.error();
      names[c.file_id] = *f ? (*f)->name : "";
    }
    return {};
  });
  if (!st) return st.error();
  std::unordered_map<int64_t, const store::ChunkRecord*> by_id;
  for (const auto& c : rows) by_id[c.id] = &c;
  for (int64_t id : ids) {
    auto it = by_id.find(id);
    // Gone meanwhile, or another account's (a single-user full-text search does not check owners).
    if (it == by_id.end() || it->second->account_id != actor.account_id) continue;
    const auto& c = *it->second;
    hits.push_back(SearchHit{c.id, c.text, fused_score[id], c.file_id, names[c.file_id], c.page, c.section, c.ordinal});
  }
  return hits;
}

}  // namespace docent::services
