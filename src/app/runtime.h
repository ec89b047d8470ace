#pragma once
// Everything stateful that `serve` and the CLI share: the database, the master key's secrets and
// the services, built from the configuration in one place.

#include "api/context.h"
#include "core/config.h"
#include "core/metrics.h"
#include "engines/embedder.h"
#include "services/accounts.h"
#include "services/audit.h"
#include "services/auth.h"
#include "services/devices.h"
#include "services/extraction.h"
#include "services/generation.h"
#include "services/ingest.h"
#include "services/jobs.h"
#include "services/keys.h"
#include "services/documents.h"
#include "services/knowledge.h"
#include "services/media.h"
#include "services/models.h"
#include "services/quota.h"
#include "services/retention.h"
#include "services/robot_logs.h"
#include "services/search_index.h"
#include "services/secrets.h"
#include "services/speech.h"
#include "services/webhooks.h"
#include "store/blob_store.h"
#include "store/database.h"

#include <memory>

namespace docent::app {

struct Runtime {
  core::Config config;
  core::MetricsRegistry metrics;
  std::unique_ptr<store::Database> db;
  std::unique_ptr<store::BlobStore> blobs;
  std::unique_ptr<services::Secrets> secrets;
  // Resolved credentials; the services below invalidate it on every write that changes one.
  std::unique_ptr<services::AuthCache> auth_cache;
  std::unique_ptr<services::AccountService> accounts;
  std::unique_ptr<services::KeyService> keys;
  std::unique_ptr<services::DeviceService> devices;
  std::unique_ptr<services::QuotaService> quota;
  std::unique_ptr<services::Authenticator> auth;
  std::unique_ptr<engines::Embedder> embedder;
  std::unique_ptr<services::SearchIndex> index;
  std::unique_ptr<services::JobQueue> jobs;
  std::unique_ptr<services::KnowledgeService> knowledge;
  std::unique_ptr<services::Ingestor> ingestor;
  std::unique_ptr<services::VectorStoreService> vector_stores;
  std::unique_ptr<services::ModelService> models;
  std::unique_ptr<services::AnswerService> answers;
  std::unique_ptr<services::ConversationService> conversations;
  std::unique_ptr<services::ChatService> chat;
  std::unique_ptr<services::ExtractionService> extraction;
  std::unique_ptr<services::GenerationService> generation;
  std::unique_ptr<services::AuditTrail> audit;
  std::unique_ptr<services::RobotLogService> robot_logs;
  std::unique_ptr<services::RetentionSweeper> retention;
  std::unique_ptr<services::DocumentService> documents;
  std::unique_ptr<engines::LlmProvider> vision;  // vision.url's client; null without one
  std::unique_ptr<services::MediaJobs> media;
  std::unique_ptr<services::SpeechService> speech;
  std::unique_ptr<services::WebhookService> webhooks;  // last: destroyed (its workers stopped) first

  api::Context context() const {
    api::Context c{&config,         accounts.get(),  keys.get(),          devices.get(),
                   quota.get(),     knowledge.get(), jobs.get(),          vector_stores.get(),
                   models.get(),    answers.get(),   conversations.get(), chat.get(),
                   extraction.get()};
    c.audit = audit.get();
    c.robot_logs = robot_logs.get();
    c.webhooks = webhooks.get();
    c.generation = generation.get();
    c.documents = documents.get();
    c.media = media.get();
    c.vision = vision.get();
    c.speech = speech.get();
    return c;
  }
};

// Starts the vector index's thread (it opens the index, then checkpoints it), the job workers and
// the retention sweep (serve and `docent ingest`). Returns before the index is open: searches meanwhile are full text.
core::Status start_background_work(Runtime& rt);
// Stops the workers within the deadline, stops the index's thread (an open in progress stops
// promptly) and saves the vector index (what an interrupted open replayed is kept).
void stop_background_work(Runtime& rt, std::chrono::steady_clock::time_point deadline);

// The extraction service's options from the configuration (shared with `docent extract`).
services::ExtractionOptions extraction_options(const core::Config& config);

// Where images, video and music are generated, from the configuration (generation.*).
core::Result<services::MediaGenerationOptions> media_generation_options(const core::Config& config);

// The speech service's options from the configuration (stt.*, tts.*; docs/MEDIA-AUDIO.md).
core::Result<services::SpeechOptions> speech_options(const core::Config& config);

// Opens (creating on first use) the data folder, its database (migrated) and master key.
core::Result<std::unique_ptr<Runtime>> open_runtime(const core::Config& config);

// First start: when there is no account at all, creates the admin account and returns its API
// key (to be printed once); nullopt when accounts exist already.
core::Result<std::optional<std::string>> bootstrap_admin(Runtime& rt);

}  // namespace docent::app
