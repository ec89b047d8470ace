#include "app/runtime.h"

#include "core/crypto.h"
#include "core/id.h"
#include "core/log.h"
#include "engines/builtin_llm.h"
#include "engines/isolate.h"
#include "engines/openai_client.h"
#include "engines/outbound_url.h"
#include "services/image_jobs.h"
#include "services/voice_jobs.h"

#include <sys/stat.h>

#include <thread>

namespace docent::app {

namespace {

// The upstream client for `url`, or null when it is empty. InvalidInput when the URL is refused
// by the outbound rule (DESIGN.md §4).
core::Result<std::unique_ptr<engines::LlmProvider>> upstream_client(const core::Config& config, const std::string& url,
                                                                    const std::string& key, std::string_view setting) {
  if (url.empty()) return std::unique_ptr<engines::LlmProvider>();
  if (auto st = engines::check_outbound_url(url, config.llm.allow_private, setting); !st) return st.error();
  engines::OpenAiClientOptions o;
  o.base_url = url;
  o.api_key = key;
  o.connect_timeout = config.llm.connect_timeout;
  o.read_timeout = config.llm.read_timeout;
  o.retries = config.llm.retries;
  o.allow_private = config.llm.allow_private;
  return std::unique_ptr<engines::LlmProvider>(std::make_unique<engines::OpenAiClient>(std::move(o)));
}

core::Result<services::WebhookOptions> webhook_options(const core::Config& config) {
  services::WebhookOptions o;
  o.allow_http = config.webhooks.allow_http;
  o.allow_private = config.webhooks.allow_private;
  o.timeout = config.webhooks.timeout;
  o.workers = config.webhooks.workers;
  o.max_failures = config.webhooks.max_failures;
  auto schedule = services::parse_retry_schedule(config.webhooks.retry_schedule);
  if (!schedule) {
    return core::Error(core::Code::InvalidInput,
                       "webhooks.retry_schedule must be a comma-separated list of durations such as 5s,5m,2h",
                       "webhooks.retry_schedule");
  }
  o.retry_schedule = std::move(*schedule);
  return o;
}

}  // namespace

core::Result<services::MediaGenerationOptions> media_generation_options(const core::Config& config) {
  services::MediaGenerationOptions o;
  o.timeout = config.generation.timeout;
  o.max_image_pixels = config.media.image_max_pixels;
  auto upstream = [&](const std::string& url, const std::string& key, const std::string& model, std::string setting,
                      std::string what) -> core::Result<std::optional<services::MediaUpstream>> {
    if (url.empty()) return std::optional<services::MediaUpstream>();
    if (auto st = engines::check_outbound_url(url, config.llm.allow_private, setting); !st) return st.error();
    services::MediaUpstream u;
    u.http.base_url = url;
    u.http.api_key = key;
    u.http.connect_timeout = config.llm.connect_timeout;
    u.http.read_timeout = config.generation.timeout;
    u.http.allow_private = config.llm.allow_private;
    u.http.setting = std::move(setting);
    u.http.what = std::move(what);
    u.http.max_body = size_t{512} << 20;  // a video; images and music are far smaller
    u.model = model;
    return std::optional<services::MediaUpstream>(std::move(u));
  };
  const auto& g = config.generation;
  auto image = upstream(g.image_url, g.image_key, g.image_model, "generation.image_url", "image upstream");
  if (!image) return image.error();
  o.image = std::move(*image);
  auto video = upstream(g.video_url, g.video_key, g.video_model, "generation.video_url", "video upstream");
  if (!video) return video.error();
  o.video = std::move(*video);
  auto music = upstream(g.music_url, g.music_key, g.music_model, "generation.music_url", "music upstream");
  if (!music) return music.error();
  o.music = std::move(*music);
  return o;
}

core::Result<services::SpeechOptions> speech_options(const core::Config& config) {
  services::SpeechOptions o;
  o.limits.max_bytes = config.server.max_upload_bytes;
  o.limits.max_seconds = config.stt.max_seconds;
  o.limits.timeout = config.stt.timeout;
  auto upstream = [&](const std::string& url, const std::string& key, const std::string& model,
                      std::string setting) -> core::Result<std::optional<engines::SpeechUpstreamOptions>> {
    if (url.empty()) return std::optional<engines::SpeechUpstreamOptions>();
    if (auto st = engines::check_outbound_url(url, config.llm.allow_private, setting); !st) return st.error();
    engines::SpeechUpstreamOptions u;
    u.base_url = url;
    u.api_key = key;
    u.model = model;
    u.connect_timeout = config.llm.connect_timeout;
    u.read_timeout = config.stt.timeout;
    u.allow_private = config.llm.allow_private;
    u.setting = std::move(setting);
    return std::optional<engines::SpeechUpstreamOptions>(std::move(u));
  };
  auto stt = upstream(config.stt.url, config.stt.key, config.stt.model, "stt.url");
  if (!stt) return stt.error();
  o.stt = std::move(*stt);
  auto tts = upstream(config.tts.url, config.tts.key, config.tts.model, "tts.url");
  if (!tts) return tts.error();
  o.tts = std::move(*tts);
  return o;
}

services::ExtractionOptions extraction_options(const core::Config& config) {
  services::ExtractionOptions o;
  o.docent_exe = engines::self_executable();
  o.limits.max_pages = config.extraction.max_pages;
  o.limits.timeout = config.extraction.timeout;
  o.max_files = config.extraction.max_files;
  o.concurrency = config.extraction.concurrency;
  o.work_dir = std::filesystem::path(config.data.dir) / "tmp";
  o.model = config.extraction.model.empty() ? config.llm.model : config.extraction.model;
  return o;
}

core::Result<std::unique_ptr<Runtime>> open_runtime(const core::Config& config) {
  auto rt = std::make_unique<Runtime>();
  rt->config = config;
  const std::filesystem::path dir = config.data.dir;
  std::error_code ec;
  std::filesystem::create_directories(dir / "tmp", ec);
  if (ec) return core::Error(core::Code::Internal, "cannot create data folder " + dir.string() + ": " + ec.message());
  ::chmod(dir.c_str(), 0700);

  auto master = core::crypto::load_or_create_master_key(config.security.master_key, dir);
  if (!master) return master.error();
  rt->secrets = std::make_unique<services::Secrets>(std::move(*master));

  auto db = store::open_sqlite(dir / "docent.db");
  if (!db) return db.error();
  rt->db = std::move(*db);
  auto blobs = store::BlobStore::open(dir / "blobs");
  if (!blobs) return blobs.error();
  rt->blobs = std::make_unique<store::BlobStore>(std::move(*blobs));

  rt->auth_cache = std::make_unique<services::AuthCache>(rt->db.get());
  rt->audit = std::make_unique<services::AuditTrail>(*rt->db);
  rt->accounts = std::make_unique<services::AccountService>(*rt->db, rt->config);
  rt->accounts->set_auth_cache(rt->auth_cache.get());
  rt->accounts->set_audit(rt->audit.get());
  rt->keys = std::make_unique<services::KeyService>(*rt->db, *rt->secrets);
  rt->keys->set_auth_cache(rt->auth_cache.get());
  rt->keys->set_audit(rt->audit.get());
  rt->devices = std::make_unique<services::DeviceService>(*rt->db, *rt->secrets, rt->config);
  rt->devices->set_audit(rt->audit.get());
  rt->robot_logs = std::make_unique<services::RobotLogService>(
      *rt->db, services::RobotLogRetention{config.logs.retention_days, config.logs.max_per_account});
  rt->retention = std::make_unique<services::RetentionSweeper>(*rt->robot_logs, *rt->audit, config.audit.retention_days,
                                                               config.logs.sweep_interval);
  rt->quota = std::make_unique<services::QuotaService>(*rt->db, rt->config, *rt->accounts);
  rt->quota->set_audit(rt->audit.get());
  rt->quota->set_auth_cache(rt->auth_cache.get());
  // The configured plans become rows before anything reads a plan (docs/CONFIGURATION.md, plans).
  if (auto st = rt->quota->sync_config_plans(); !st) return st.error();
  rt->auth = std::make_unique<services::Authenticator>(*rt->keys, *rt->devices, rt->auth_cache.get());

  rt->embedder = std::make_unique<engines::HashedEmbedder>();
  rt->index = std::make_unique<services::SearchIndex>(*rt->db, *rt->embedder, dir / "index");
  rt->jobs = std::make_unique<services::JobQueue>(*rt->db, rt->metrics);
  rt->knowledge = std::make_unique<services::KnowledgeService>(*rt->db, *rt->blobs, *rt->jobs, *rt->index, *rt->quota,
                                                               rt->config);
  rt->vector_stores = std::make_unique<services::VectorStoreService>(*rt->db, *rt->knowledge);
  rt->documents = std::make_unique<services::DocumentService>(*rt->db, *rt->blobs, *rt->jobs, *rt->knowledge);
  rt->conversations = std::make_unique<services::ConversationService>(*rt->db, *rt->knowledge);
  // Chat upstreams in routing order: llm.url ("default"), then each [llm.upstreams.NAME].
  std::vector<services::Upstream> upstreams;
  auto llm = upstream_client(config, config.llm.url, config.llm.key, "llm.url");
  if (!llm) return llm.error();
  if (*llm) upstreams.push_back(services::Upstream{"default", std::move(*llm), std::nullopt});
  for (const auto& named : config.llm.upstreams) {
    auto client = upstream_client(config, named.url, named.key, "llm.upstreams." + named.name + ".url");
    if (!client) return client.error();
    upstreams.push_back(services::Upstream{named.name, std::move(*client), named.models});
  }
  auto embeddings = upstream_client(config, config.embeddings.url, config.embeddings.key, "embeddings.url");
  if (!embeddings) return embeddings.error();
  rt->models = std::make_unique<services::ModelService>(
      std::make_unique<engines::BuiltinLlm>(), std::move(upstreams), *rt->embedder, std::move(*embeddings),
      services::ModelServiceOptions{config.llm.model, config.embeddings.model, config.llm.models_cache});
  rt->answers = std::make_unique<services::AnswerService>(*rt->models, *rt->vector_stores, *rt->knowledge);
  rt->chat = std::make_unique<services::ChatService>(*rt->db, *rt->conversations, *rt->answers, *rt->knowledge,
                                                     *rt->quota);
  services::IngestOptions ingest;
  std::error_code ec2;
  ingest.docent_exe = std::filesystem::read_symlink("/proc/self/exe", ec2);
  rt->ingestor = std::make_unique<services::Ingestor>(*rt->db, *rt->blobs, *rt->index, *rt->quota, rt->metrics, ingest);
  rt->extraction = std::make_unique<services::ExtractionService>(*rt->db, *rt->blobs, *rt->knowledge, *rt->models,
                                                                 *rt->quota, extraction_options(config));
  services::GenerationOptions generation;
  generation.work_dir = std::filesystem::path(config.data.dir) / "tmp";
  rt->generation = std::make_unique<services::GenerationService>(*rt->jobs, *rt->blobs, *rt->knowledge, *rt->models,
                                                                 std::move(generation));
  auto speech = speech_options(config);
  if (!speech) return speech.error();
  speech->docent_exe = ingest.docent_exe;
  rt->speech = std::make_unique<services::SpeechService>(std::move(*speech));
  auto media_generation = media_generation_options(config);
  if (!media_generation) return media_generation.error();
  rt->generation->set_media(std::move(*media_generation), rt->speech.get());
  auto webhooks = webhook_options(config);
  if (!webhooks) return webhooks.error();
  rt->webhooks = std::make_unique<services::WebhookService>(*rt->db, *rt->secrets, std::move(*webhooks));
  rt->webhooks->set_audit(rt->audit.get());
  auto vision = upstream_client(config, config.vision.url, config.vision.key, "vision.url");
  if (!vision) return vision.error();
  rt->vision = std::move(*vision);
  rt->media = std::make_unique<services::MediaJobs>(*rt->db, *rt->blobs, *rt->jobs, *rt->quota,
                                                    services::MediaOptions{config.media.retention});
  services::ImageJobOptions image;
  image.docent_exe = engines::self_executable();
  image.timeout = config.media.image_timeout;
  image.max_pixels = config.media.image_max_pixels;
  image.vision = rt->vision.get();
  image.vision_model = config.vision.model;
  services::register_image_kind(*rt->media, std::move(image));
  services::register_voice_kinds(*rt->media, *rt->speech, *rt->chat,
                                 services::VoiceJobOptions{config.media.voice_timeout});
  rt->retention->add_task("media jobs",
                          [media = rt->media.get()] { return media->sweep_expired(std::chrono::system_clock::now()); });
  services::EventSink* events = rt->webhooks.get();
  rt->jobs->set_events(events);
  rt->knowledge->set_events(events);
  rt->documents->set_events(events);
  rt->ingestor->set_events(events);
  rt->chat->set_events(events);
  rt->extraction->set_events(events);
  return rt;
}

core::Status start_background_work(Runtime& rt) {
  // The index opens on its own thread: the server answers meanwhile, searching full text only.
  services::SearchIndexOptions index;
  index.checkpoint_interval = rt.config.index.checkpoint_interval;
  index.replay_pause = std::chrono::milliseconds(rt.config.index.test_replay_pause_ms);
  rt.index->start(index);
  rt.retention->start();
  rt.jobs->register_handler("ingest", [&rt](services::JobContext& ctx) { return rt.ingestor->run(ctx); });
  rt.jobs->register_handler(std::string(services::kPresentationJob),
                            [&rt](services::JobContext& ctx) { return rt.generation->run_presentation(ctx); });
  for (std::string_view kind : {services::kImageGenerationJob, services::kVideoGenerationJob,
                                services::kMusicGenerationJob, services::kVoiceGenerationJob}) {
    rt.jobs->register_handler(std::string(kind),
                              [&rt](services::JobContext& ctx) { return rt.generation->run_media(ctx); });
  }
  // Parsing runs in child processes; two workers keep both cores busy without starving requests.
  if (auto st = rt.webhooks->start(); !st) return st;
  return rt.jobs->start(std::max(2u, std::thread::hardware_concurrency()));
}

void stop_background_work(Runtime& rt, std::chrono::steady_clock::time_point deadline) {
  rt.jobs->stop(deadline);
  rt.webhooks->stop(deadline);
  rt.retention->stop();
  rt.index->stop();
  if (auto st = rt.index->save(); !st) core::log::warn("vector index not saved", {{"error", st.error().message}});
}

core::Result<std::optional<std::string>> bootstrap_admin(Runtime& rt) {
  auto count = rt.accounts->count();
  if (!count) return count.error();
  if (*count > 0) return std::optional<std::string>();
  services::AccountInput admin;
  admin.login = "admin";
  // No password: the admin signs in with the printed key and may set one later (hashing a
  // random password nobody is told took a tenth of a second of every first start).
  admin.role = "admin";
  admin.plan = "unlimited";
  auto account = rt.accounts->create_key_only(admin);
  if (!account) return account.error();
  auto key = rt.keys->create_unchecked(account->id, "first start", services::cli_origin());
  if (!key) return key.error();
  return std::optional<std::string>(key->plain);
}

}  // namespace docent::app
