#include "services/ingest.h"

#include "core/log.h"
#include "engines/isolate.h"
#include "store/knowledge.h"

#include <boost/json.hpp>

#include <chrono>

namespace docent::services {

namespace json = boost::json;
using core::Code;
using core::Error;

Ingestor::Ingestor(store::Database& db, store::BlobStore& blobs, SearchIndex& index, QuotaService& quota,
                   core::MetricsRegistry& metrics, IngestOptions options)
    : db_(db),
      blobs_(blobs),
      index_(index),
      quota_(quota),
      options_(std::move(options)),
      parse_seconds_per_page_(metrics.histogram("docent_ingest_parse_seconds_per_page",
                                                "Parsing time of a file divided by its pages, by source type.",
                                                {"source_type"},
                                                {0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10})),
      chunks_indexed_(metrics.counter("docent_ingest_chunks_indexed_total", "Chunks stored and indexed.").with({})),
      files_(metrics.counter("docent_ingest_files_total", "Files ingested, by source type and outcome.",
                             {"source_type", "outcome"})) {}

core::Status Ingestor::mark_failed(const store::FileRecord& file, const std::string& reason) {
  return db_.write([&](store::Tx& tx) -> core::Status {
    if (auto s = store::files::set_status(tx, file.id, "failed", reason, 0, 0); !s) return s;
    return emit_event(events_, tx, file.account_id, events::kFileFailed,
                      json::object{{"file_id", file.id}, {"filename", file.name}, {"error", reason}});
  });
}

core::Status Ingestor::run(JobContext& ctx) {
  const auto& payload = ctx.payload();
  if (!payload.is_object() || !payload.as_object().contains("file_id") || !payload.at("file_id").is_string()) {
    return Error(Code::InvalidInput, "ingest job without a file_id");
  }
  const std::string file_id(payload.at("file_id").as_string());
  std::optional<store::FileRecord> file;
  auto st = db_.read([&](store::Tx& tx) -> core::Status {
    auto r = store::files::by_id(tx, file_id);
    if (!r) return r.error();
    file = std::move(*r);
    return {};
  });
  if (!st) return st;
  if (!file) return {};  // deleted before we got to it: nothing to do

  st = db_.write([&](store::Tx& tx) { return store::files::set_status(tx, file_id, "processing", "", 0, 0); });
  if (!st) return st;
  ctx.progress(json::object{{"stage", "parsing"}, {"pages_parsed", 0}, {"chunks_indexed", 0}});

  // Everything past here that fails for good leaves the file "failed" with the reason.
  auto fail = [&](const Error& e) -> core::Status {
    bool final = e.code == Code::InvalidFormat || e.code == Code::InvalidInput || ctx.attempt() >= ctx.max_attempts();
    if (final) {
      files_.with({file->source_type, "failed"}).inc();
      if (auto m = mark_failed(*file, e.message); !m) return m;
    }
    return e;
  };

  auto path = blobs_.path_of(file->sha256);
  if (!path) return fail(Error(Code::InvalidFormat, "the file's bytes are missing from the blob store"));

  auto parse_started = std::chrono::steady_clock::now();
  auto doc = engines::extract_isolated(options_.docent_exe, *path, file->name, options_.limits);
  if (!doc) return fail(doc.error());
  double parse_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - parse_started).count();
  parse_seconds_per_page_.with({file->source_type})
      .observe(parse_seconds / static_cast<double>(std::max<size_t>(1, doc->pages.size())));
  if (ctx.cancelled()) return Error(Code::ServiceUnavailable, "shutting down");
  const int64_t pages = static_cast<int64_t>(doc->pages.size());
  ctx.progress(
      json::object{{"stage", "indexing"}, {"pages_parsed", pages}, {"pages_total", pages}, {"chunks_indexed", 0}});

  auto chunks = engines::chunk_document(*doc, options_.chunking);
  std::vector<store::ChunkRecord> rows;
  rows.reserve(chunks.size());
  for (size_t i = 0; i < chunks.size(); ++i) {
    store::ChunkRecord r;
    r.file_id = file_id;
    r.account_id = file->account_id;
    r.ordinal = static_cast<int64_t>(i);
    r.page = chunks[i].page;
    r.section = chunks[i].section;
    r.text = std::move(chunks[i].text);
    rows.push_back(std::move(r));
  }
  for (size_t start = 0; start < rows.size(); start += options_.embed_batch) {
    size_t end = std::min(rows.size(), start + options_.embed_batch);
    std::vector<std::string> texts;
    for (size_t i = start; i < end; ++i) texts.push_back(rows[i].text);
    auto vectors = index_.embedder().embed(texts);
    if (!vectors) return fail(vectors.error());
    for (size_t i = start; i < end; ++i) rows[i].embedding = SearchIndex::to_bytes((*vectors)[i - start]);
    ctx.progress(json::object{{"stage", "indexing"},
                              {"pages_parsed", pages},
                              {"pages_total", pages},
                              {"chunks_indexed", static_cast<int64_t>(end)},
                              {"chunks_total", static_cast<int64_t>(rows.size())}});
    if (ctx.cancelled()) return Error(Code::ServiceUnavailable, "shutting down");
  }

  bool still_there = true;
  st = db_.write([&](store::Tx& tx) -> core::Status {
    auto again = store::files::by_id(tx, file_id);
    if (!again) return again.error();
    if (!*again) {
      still_there = false;  // deleted while we parsed
      return {};
    }
    if (auto s = store::chunks::remove_for_file(tx, file_id); !s) return s;
    if (auto s = store::chunks::insert(tx, rows); !s) return s;
    if (auto s = store::files::set_status(tx, file_id, "processed", "", pages, static_cast<int64_t>(rows.size())); !s)
      return s;
    return emit_event(events_, tx, file->account_id, events::kFileProcessed,
                      json::object{{"file_id", file_id},
                                   {"filename", file->name},
                                   {"pages", pages},
                                   {"chunks_created", static_cast<int64_t>(rows.size())}});
  });
  if (!st) return fail(st.error());
  if (!still_there) return {};
  chunks_indexed_.inc(rows.size());
  files_.with({file->source_type, "processed"}).inc();
  index_.remove_file(file_id);
  if (auto s = index_.add(rows); !s)
    core::log::warn("indexing failed", {{"file", file_id}, {"error", s.error().message}});
  if (auto s = quota_.record(file->account_id, Metric::Page, pages); !s) {
    core::log::warn("page usage not recorded", {{"error", s.error().message}});
  }
  ctx.set_result(json::object{{"pages", pages}, {"chunks", static_cast<int64_t>(rows.size())}});
  core::log::info("file ingested",
                  {{"file", file_id}, {"pages", pages}, {"chunks", static_cast<int64_t>(rows.size())}});
  return {};
}

}  // namespace docent::services
