#pragma once
// Extraction of business documents into Excel (issue 7), transport-free. For every PDF of a
// request: its positioned words in an isolated child process (engines/layout.h), the fields,
// lines and taxes by rule (engines/extraction.h), then — only when an OpenAI-compatible upstream
// is configured — a schema-guided model pass that fills fields the rules missed (origin "model",
// lower confidence, and only values the document's text shows), and the checks again. All the
// request's documents make one workbook (engines/xlsx.h), kept in the blob store with the sources.
//
// Calls block for as long as the parsing takes (seconds per document): make them from a worker
// pool, never a network thread. At most `concurrency` documents are parsed at once; other calls
// wait their turn.

#include "services/events.h"
#include "core/thread_annotations.h"
#include "engines/extraction.h"
#include "engines/isolate.h"
#include "services/accounts.h"
#include "services/knowledge.h"
#include "services/models.h"
#include "services/principal.h"
#include "services/quota.h"
#include "store/blob_store.h"
#include "store/database.h"
#include "store/extractions.h"

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace docent::services {

struct ExtractionOptions {
  std::filesystem::path docent_exe;  // the binary whose `__words` mode reads PDFs in isolation
  engines::ParseLimits limits;       // max_pages is the per-document page limit
  engines::IsolateOptions isolate;
  int max_files = 20;              // documents per request
  int concurrency = 2;             // documents parsed at once, across requests
  std::filesystem::path work_dir;  // where workbooks are written before the blob store takes them
  std::string model;               // the model pass's model; empty: llm.model, else an upstream's first
};

// One document to read: an upload spooled to disk.
struct ExtractionUpload {
  std::string name;  // as the client named it; data, never a path
  std::filesystem::path path;
};

struct ExtractedDocument {
  std::string file_name;
  std::optional<std::string> file_id;  // when it was a file of the knowledge base
  engines::Extraction extraction;
};

struct ExtractionResult {
  std::string id;
  std::string account_id;
  engines::DocKind kind = engines::DocKind::Invoice;
  std::string status;     // "completed"
  std::string file_name;  // the workbook's download name, e.g. "invoice_extracted.xlsx"
  int64_t xlsx_size = 0;
  std::string created_at;
  std::vector<ExtractedDocument> documents;

  // Whether any document had a recognisable field.
  bool found_fields() const;
};

class ExtractionService {
 public:
  // Where webhook events go (services/events.h); none: no events.
  void set_events(EventSink* events) { events_ = events; }
  ExtractionService(store::Database& db, store::BlobStore& blobs, KnowledgeService& knowledge, ModelService& models,
                    QuotaService& quota, ExtractionOptions options);

  // Reads every upload as `kind` (one workbook for all). Errors, each naming the file:
  // InvalidFormat for an empty file, one that is not a PDF, a password-protected or unreadable
  // PDF, or more pages than the limit; PayloadTooLarge past the plan's file size; QuotaExceeded
  // when the uploads would pass the plan's files per day or month (each upload counts as one file,
  // as on every other face) or its pages; InvalidInput for no document or more than max_files;
  // ProcessingError when the parser crashed or timed out.
  // A document with no recognisable field is no error: it has empty fields and a warning.
  core::Result<ExtractionResult> extract_uploads(const Principal& actor, engines::DocKind kind,
                                                 const std::vector<ExtractionUpload>& uploads);
  // The same for files already uploaded to the knowledge base (NotFound for another account's).
  core::Result<ExtractionResult> extract_files(const Principal& actor, engines::DocKind kind,
                                               const std::vector<std::string>& file_ids);

  // NotFound for an unknown id or another account's extraction.
  core::Result<ExtractionResult> get(const Principal& actor, std::string_view id);
  // The caller's extractions, oldest first; `after` is the id of the last one of the previous page.
  core::Result<Page<ExtractionResult>> list(const Principal& actor, std::string_view after, int64_t limit);
  // Where the workbook of extraction `id` is, and its download name (NotFound as get).
  struct Workbook {
    std::filesystem::path path;
    std::string file_name;
  };
  core::Result<Workbook> workbook(const Principal& actor, std::string_view id);

 private:
  struct Source {
    std::string name;
    std::optional<std::string> file_id;
    std::filesystem::path path;  // readable now
    std::string sha256;          // set once the bytes are in the blob store
  };

  core::Result<ExtractionResult> run(const Principal& actor, engines::DocKind kind, std::vector<Source> sources);
  core::Result<engines::Extraction> read(const Source& source, engines::DocKind kind);
  // The upstream model of the model pass: options.model's, else the first an upstream serves;
  // nullopt when no upstream model can take it.
  std::optional<ModelRoute> model_route();
  core::Result<store::ExtractionRecord> owned(const Principal& actor, std::string_view id);

  // One of the `concurrency` parsing slots, held for its lifetime.
  class Slot {
   public:
    explicit Slot(ExtractionService& service);
    ~Slot();
    Slot(const Slot&) = delete;
    Slot& operator=(const Slot&) = delete;

   private:
    ExtractionService& service_;
  };

  store::Database& db_;
  store::BlobStore& blobs_;
  KnowledgeService& knowledge_;
  ModelService& models_;
  QuotaService& quota_;
  const ExtractionOptions options_;

  core::Mutex mu_;
  core::CondVar slot_free_;
  int running_ GUARDED_BY(mu_) = 0;  // documents being parsed now
  EventSink* events_ = nullptr;
};

// The checks every PDF gets before it is parsed: not empty and a PDF by its bytes.
// InvalidFormat naming `name` otherwise.
core::Status check_pdf(const std::filesystem::path& path, std::string_view name);

// Reads one PDF as `kind` by rule: words in a child process, then engines::extract_fields.
// Errors as words_isolated, their message prefixed with `name`.
core::Result<engines::Extraction> read_document(const std::filesystem::path& docent_exe,
                                                const std::filesystem::path& pdf, std::string_view name,
                                                engines::DocKind kind, const engines::ParseLimits& limits,
                                                const engines::IsolateOptions& isolate,
                                                std::vector<engines::PageWords>* words = nullptr);

// The model pass: asks `provider` (model `model`) for the fields `x` lacks, with a JSON schema
// and the document's text, and adds each answer the text bears out (origin "model", confidence
// kModelConfidence), then re-runs engines::validate. Returns how many fields it added; an
// upstream failure is an error and leaves `x` as it was.
inline constexpr double kModelConfidence = 0.5;
core::Result<int> fill_missing_fields(engines::Extraction& x, const std::vector<engines::PageWords>& pages,
                                      engines::LlmProvider& provider, const std::string& model);

// The words of `pages` as lines of text, top to bottom (the model pass's view of a document).
std::string page_text(const std::vector<engines::PageWords>& pages);

// "invoice-7.pdf" -> "invoice-7_extracted.xlsx"; several files or an unusable name ->
// "<kind>_extracted.xlsx" (the seed's example name).
std::string workbook_name(engines::DocKind kind, const std::vector<std::string>& source_names);

}  // namespace docent::services
