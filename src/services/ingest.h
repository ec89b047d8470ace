#pragma once
// The "ingest" job: parse a stored file in an isolated process, chunk it, embed the chunks, store
// them and index them, reporting progress as it goes. A file never stays "processing": it ends
// processed, or failed with the reason.

#include "services/events.h"
#include "engines/chunker.h"
#include "core/metrics.h"
#include "engines/document.h"
#include "services/jobs.h"
#include "services/quota.h"
#include "services/search_index.h"
#include "store/blob_store.h"
#include "store/database.h"

#include <filesystem>

namespace docent::services {

struct IngestOptions {
  std::filesystem::path docent_exe;  // the binary whose `__extract` mode parses in isolation
  engines::ParseLimits limits;
  engines::ChunkOptions chunking;
  size_t embed_batch = 64;
};

class Ingestor {
 public:
  // Where webhook events go (services/events.h); none: no events.
  void set_events(EventSink* events) { events_ = events; }
  Ingestor(store::Database& db, store::BlobStore& blobs, SearchIndex& index, QuotaService& quota,
           core::MetricsRegistry& metrics, IngestOptions options);

  // The job handler: payload {"file_id": "..."}.
  core::Status run(JobContext& ctx);

 private:
  core::Status mark_failed(const store::FileRecord& file, const std::string& reason);

  store::Database& db_;
  store::BlobStore& blobs_;
  SearchIndex& index_;
  QuotaService& quota_;
  IngestOptions options_;
  core::Family<core::Histogram>& parse_seconds_per_page_;  // by source type
  core::Counter& chunks_indexed_;
  core::Family<core::Counter>& files_;  // by source type and outcome
  EventSink* events_ = nullptr;
};

}  // namespace docent::services
