#include "core/config.h"

#include "core/rate.h"

#include <fmt/format.h>
#include <toml++/toml.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cstdlib>
#include <limits>
#include <system_error>
#include <utility>

extern char** environ;  // POSIX

namespace docent::core {

namespace {

namespace fs = std::filesystem;
using std::chrono::seconds;

// Binds a row to `config.*Section.*Member`.
template <auto Section, auto Member>
SettingRef field(Config& config) {
  return &((config.*Section).*Member);
}

constexpr std::string_view kConfigEnv = "DOCENT_CONFIG";
constexpr std::string_view kDefaultFile = "docent.toml";
constexpr size_t kMaxEcho = 64;   // longest value quoted back in an error message
constexpr size_t kMaxAlign = 40;  // render_config aligns comments after lines up to this long

// Rows name only what differs from SettingInfo's member defaults; GCC 12 would warn on every
// omitted designated member.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
std::vector<SettingInfo> build_table() {
  // clang-format off
  std::vector<SettingInfo> rows = {
    {.key = "server.host", .env = "DOCENT_HOST", .ref = field<&Config::server, &ServerConfig::host>,
     .help = "Address to listen on"},
    {.key = "server.port", .env = "DOCENT_PORT", .ref = field<&Config::server, &ServerConfig::port>,
     .help = "TCP port to listen on; 0 picks a free port", .max = 65535},
    {.key = "server.threads", .env = "DOCENT_THREADS", .ref = field<&Config::server, &ServerConfig::threads>,
     .help = "Network threads; 0 = one per core", .max = 1024},
    {.key = "server.workers", .env = "DOCENT_WORKERS", .ref = field<&Config::server, &ServerConfig::workers>,
     .help = "Request handler pool size; 0 = automatic", .max = 1024},
    {.key = "server.max_header_bytes", .env = "DOCENT_MAX_HEADER_BYTES",
     .ref = field<&Config::server, &ServerConfig::max_header_bytes>,
     .help = "Largest request line plus headers", .min = 1},
    {.key = "server.max_body_bytes", .env = "DOCENT_MAX_BODY_BYTES",
     .ref = field<&Config::server, &ServerConfig::max_body_bytes>,
     .help = "Largest JSON or other non-upload request body", .min = 1},
    {.key = "server.max_upload_bytes", .env = "DOCENT_MAX_UPLOAD_BYTES",
     .ref = field<&Config::server, &ServerConfig::max_upload_bytes>,
     .help = "Largest uploaded file", .min = 1},
    {.key = "server.json_max_depth", .env = "DOCENT_JSON_MAX_DEPTH",
     .ref = field<&Config::server, &ServerConfig::json_max_depth>,
     .help = "Deepest nesting accepted in a JSON body", .min = 1, .max = 10000},
    {.key = "server.request_timeout", .env = "DOCENT_REQUEST_TIMEOUT",
     .ref = field<&Config::server, &ServerConfig::request_timeout>,
     .help = "Time allowed to receive a request", .min = 1},
    {.key = "server.idle_timeout", .env = "DOCENT_IDLE_TIMEOUT",
     .ref = field<&Config::server, &ServerConfig::idle_timeout>,
     .help = "Idle keep-alive connections are closed after this", .min = 1},
    {.key = "server.shutdown_grace", .env = "DOCENT_SHUTDOWN_GRACE",
     .ref = field<&Config::server, &ServerConfig::shutdown_grace>,
     .help = "On shutdown, time given to requests and jobs to finish"},
    {.key = "server.sse_heartbeat", .env = "DOCENT_SSE_HEARTBEAT",
     .ref = field<&Config::server, &ServerConfig::sse_heartbeat>,
     .help = "Interval of keep-alive comments on event streams", .min = 1},
    {.key = "server.max_streams", .env = "DOCENT_MAX_STREAMS",
     .ref = field<&Config::server, &ServerConfig::max_streams>,
     .help = "Event streams open at once; 503 beyond", .min = 1, .max = 100000},
    {.key = "server.cors_origins", .env = "DOCENT_CORS_ORIGINS",
     .ref = field<&Config::server, &ServerConfig::cors_origins>,
     .help = "Allowed CORS origins, comma-separated; * = any"},
    {.key = "server.web_dir", .env = "DOCENT_WEB_DIR", .ref = field<&Config::server, &ServerConfig::web_dir>,
     .help = "Directory of the web UI; empty = found next to the binary"},
    {.key = "data.dir", .env = "DOCENT_DATA", .ref = field<&Config::data, &DataConfig::dir>,
     .help = "Directory for the database and stored files"},
    {.key = "log.level", .env = "DOCENT_LOG_LEVEL", .ref = field<&Config::log, &LogConfig::level>,
     .help = "Least severe level logged",
     .choices = {"trace", "debug", "info", "warn", "error", "off"}},
    {.key = "log.format", .env = "DOCENT_LOG_FORMAT", .ref = field<&Config::log, &LogConfig::format>,
     .help = "Log line format on stderr: text, or json (one object per line)",
     .choices = {"text", "json"}},
    {.key = "security.master_key", .env = "DOCENT_MASTER_KEY",
     .ref = field<&Config::security, &SecurityConfig::master_key>,
     .help = "Key encrypting stored secrets; empty = <data.dir>/master.key, made on first start",
     .secret = true},
    {.key = "security.encryption_window", .env = "DOCENT_ENCRYPTION_WINDOW",
     .ref = field<&Config::security, &SecurityConfig::encryption_window>,
     .help = "Encrypted payloads (docs/ENCRYPTION.md): largest age or clock skew of an envelope's timestamp",
     .min = 1, .max = 86400},
    {.key = "llm.url", .env = "DOCENT_LLM_URL", .ref = field<&Config::llm, &LlmConfig::url>,
     .help = "Base URL of the upstream OpenAI-compatible model server; empty = none"},
    {.key = "llm.key", .env = "DOCENT_LLM_KEY", .ref = field<&Config::llm, &LlmConfig::key>,
     .help = "API key sent to the upstream model server", .secret = true},
    {.key = "llm.model", .env = "DOCENT_LLM_MODEL", .ref = field<&Config::llm, &LlmConfig::model>,
     .help = "Upstream model used when a request names none; empty = the first the upstream lists"},
    {.key = "llm.allow_private", .env = "DOCENT_LLM_ALLOW_PRIVATE",
     .ref = field<&Config::llm, &LlmConfig::allow_private>,
     .help = "Allow upstreams at private or loopback addresses (on: the operator's own URLs are trusted, "
             "DESIGN.md §4; false refuses them)"},
    {.key = "llm.connect_timeout", .env = "DOCENT_LLM_CONNECT_TIMEOUT",
     .ref = field<&Config::llm, &LlmConfig::connect_timeout>,
     .help = "Time allowed to connect to an upstream", .min = 1},
    {.key = "llm.read_timeout", .env = "DOCENT_LLM_READ_TIMEOUT",
     .ref = field<&Config::llm, &LlmConfig::read_timeout>,
     .help = "An upstream that sends nothing for this long fails the request", .min = 1},
    {.key = "llm.retries", .env = "DOCENT_LLM_RETRIES", .ref = field<&Config::llm, &LlmConfig::retries>,
     .help = "Extra attempts when connecting to an upstream fails (never once it answered)", .max = 10},
    {.key = "llm.models_cache", .env = "DOCENT_LLM_MODELS_CACHE",
     .ref = field<&Config::llm, &LlmConfig::models_cache>,
     .help = "How long the upstream's model list is reused"},
    {.key = "embeddings.url", .env = "DOCENT_EMBEDDINGS_URL",
     .ref = field<&Config::embeddings, &EmbeddingsConfig::url>,
     .help = "Base URL of an OpenAI-compatible embeddings server; empty = the built-in embedder"},
    {.key = "embeddings.key", .env = "DOCENT_EMBEDDINGS_KEY",
     .ref = field<&Config::embeddings, &EmbeddingsConfig::key>,
     .help = "API key sent to the embeddings server", .secret = true},
    {.key = "embeddings.model", .env = "DOCENT_EMBEDDINGS_MODEL",
     .ref = field<&Config::embeddings, &EmbeddingsConfig::model>,
     .help = "Embeddings model used when a request names none"},
    {.key = "stt.url", .env = "DOCENT_STT_URL", .ref = field<&Config::stt, &SttConfig::url>,
     .help = "Base URL of an OpenAI-compatible speech-to-text server (/v1/audio/transcriptions); empty = "
             "the built-in recogniser (English) only"},
    {.key = "stt.key", .env = "DOCENT_STT_KEY", .ref = field<&Config::stt, &SttConfig::key>,
     .help = "API key sent to the speech-to-text server", .secret = true},
    {.key = "stt.model", .env = "DOCENT_STT_MODEL", .ref = field<&Config::stt, &SttConfig::model>,
     .help = "Speech-to-text model sent to the server when a request names none"},
    {.key = "stt.max_seconds", .env = "DOCENT_STT_MAX_SECONDS", .ref = field<&Config::stt, &SttConfig::max_seconds>,
     .help = "Longest audio accepted for transcription, in seconds of sound", .min = 1, .max = 86400},
    {.key = "stt.timeout", .env = "DOCENT_STT_TIMEOUT", .ref = field<&Config::stt, &SttConfig::timeout>,
     .help = "Time allowed to decode one audio file (its child process is killed after) and for each upstream read",
     .min = 1},
    {.key = "tts.url", .env = "DOCENT_TTS_URL", .ref = field<&Config::tts, &TtsConfig::url>,
     .help = "Base URL of an OpenAI-compatible text-to-speech server (/v1/audio/speech); empty = espeak-ng"},
    {.key = "tts.key", .env = "DOCENT_TTS_KEY", .ref = field<&Config::tts, &TtsConfig::key>,
     .help = "API key sent to the text-to-speech server", .secret = true},
    {.key = "tts.model", .env = "DOCENT_TTS_MODEL", .ref = field<&Config::tts, &TtsConfig::model>,
     .help = "Text-to-speech model sent to the server when a request names none"},
    {.key = "accounts.default_plan", .env = "DOCENT_DEFAULT_PLAN",
     .ref = field<&Config::accounts, &AccountsConfig::default_plan>,
     .help = "Plan of accounts created by an admin or the CLI (a [plans.NAME] name)"},
    {.key = "accounts.device_plan", .env = "DOCENT_DEVICE_PLAN",
     .ref = field<&Config::accounts, &AccountsConfig::device_plan>,
     .help = "Plan of anonymous accounts made by /auth/register-device"},
    {.key = "accounts.self_upgrade", .env = "DOCENT_SELF_UPGRADE",
     .ref = field<&Config::accounts, &AccountsConfig::self_upgrade>,
     .help = "Let users change their own plan with PUT /user/upgrade-plan"},
    {.key = "extraction.max_files", .env = "DOCENT_EXTRACTION_MAX_FILES",
     .ref = field<&Config::extraction, &ExtractionConfig::max_files>,
     .help = "PDFs one extraction request may carry (a batch)", .min = 1, .max = 1000},
    {.key = "extraction.max_pages", .env = "DOCENT_EXTRACTION_MAX_PAGES",
     .ref = field<&Config::extraction, &ExtractionConfig::max_pages>,
     .help = "Pages one PDF may have to be extracted", .min = 1, .max = 5000},
    {.key = "extraction.concurrency", .env = "DOCENT_EXTRACTION_CONCURRENCY",
     .ref = field<&Config::extraction, &ExtractionConfig::concurrency>,
     .help = "PDFs parsed at once across requests (each in a child process)", .min = 1, .max = 256},
    {.key = "extraction.timeout", .env = "DOCENT_EXTRACTION_TIMEOUT",
     .ref = field<&Config::extraction, &ExtractionConfig::timeout>,
     .help = "Time allowed to read one PDF's words (its child process is killed after)", .min = 1},
    {.key = "extraction.model", .env = "DOCENT_EXTRACTION_MODEL",
     .ref = field<&Config::extraction, &ExtractionConfig::model>,
     .help = "Upstream model of the extraction's model pass; empty = llm.model, else an upstream's first"},
    {.key = "index.checkpoint_interval", .env = "DOCENT_INDEX_CHECKPOINT_INTERVAL",
     .ref = field<&Config::index, &IndexConfig::checkpoint_interval>,
     .help = "How often a changed vector index is saved (a crash replays what changed since)", .min = 1},
    {.key = "index.test_replay_pause_ms", .env = "DOCENT_INDEX_TEST_REPLAY_PAUSE_MS",
     .ref = field<&Config::index, &IndexConfig::test_replay_pause_ms>,
     .help = "Testing only: pause after each chunk the vector index replays at start", .max = 60000},
    {.key = "logs.retention_days", .env = "DOCENT_LOGS_RETENTION_DAYS",
     .ref = field<&Config::logs, &LogsConfig::retention_days>,
     .help = "Days Sherpa log lines (/api/log) are kept; 0 = until purged", .max = 36500},
    {.key = "logs.max_per_account", .env = "DOCENT_LOGS_MAX_PER_ACCOUNT",
     .ref = field<&Config::logs, &LogsConfig::max_per_account>,
     .help = "Newest Sherpa log lines kept per account (older ones are dropped); 0 = no cap"},
    {.key = "logs.sweep_interval", .env = "DOCENT_LOGS_SWEEP_INTERVAL",
     .ref = field<&Config::logs, &LogsConfig::sweep_interval>,
     .help = "How often the retention sweep deletes expired log lines and audit records", .min = 1},
    {.key = "audit.retention_days", .env = "DOCENT_AUDIT_RETENTION_DAYS",
     .ref = field<&Config::audit, &AuditConfig::retention_days>,
     .help = "Days audit records (/v1/audit) are kept; 0 = forever", .max = 36500},
    {.key = "media.retention", .env = "DOCENT_MEDIA_RETENTION", .ref = field<&Config::media, &MediaConfig::retention>,
     .help = "How long finished media jobs (results and uploads) are kept; 0 = forever"},
    {.key = "media.image_timeout", .env = "DOCENT_MEDIA_IMAGE_TIMEOUT",
     .ref = field<&Config::media, &MediaConfig::image_timeout>,
     .help = "Time allowed to analyse one image (its child process is killed after)", .min = 1, .max = 3600},
    {.key = "media.image_max_pixels", .env = "DOCENT_MEDIA_IMAGE_MAX_PIXELS",
     .ref = field<&Config::media, &MediaConfig::image_max_pixels>,
     .help = "Declared width x height above which an image is refused before decoding", .min = 1,
     .max = 500000000},
    {.key = "media.voice_timeout", .env = "DOCENT_MEDIA_VOICE_TIMEOUT",
     .ref = field<&Config::media, &MediaConfig::voice_timeout>,
     .help = "Time allowed for one voice, text-to-speech or voice-conversation job", .min = 1, .max = 3600},
    {.key = "generation.image_url", .env = "DOCENT_GENERATION_IMAGE_URL",
     .ref = field<&Config::generation, &GenerationConfig::image_url>,
     .help = "Base URL of a server that generates images (POST /images/generations, OpenAI's API); empty = none"},
    {.key = "generation.image_key", .env = "DOCENT_GENERATION_IMAGE_KEY",
     .ref = field<&Config::generation, &GenerationConfig::image_key>,
     .help = "API key sent to the image generator", .secret = true},
    {.key = "generation.image_model", .env = "DOCENT_GENERATION_IMAGE_MODEL",
     .ref = field<&Config::generation, &GenerationConfig::image_model>,
     .help = "Model asked for image generation; empty = the server's default"},
    {.key = "generation.video_url", .env = "DOCENT_GENERATION_VIDEO_URL",
     .ref = field<&Config::generation, &GenerationConfig::video_url>,
     .help = "Base URL of a server that generates video (OpenAI's /videos API: create, poll, fetch the content); empty = none"},
    {.key = "generation.video_key", .env = "DOCENT_GENERATION_VIDEO_KEY",
     .ref = field<&Config::generation, &GenerationConfig::video_key>,
     .help = "API key sent to the video generator", .secret = true},
    {.key = "generation.video_model", .env = "DOCENT_GENERATION_VIDEO_MODEL",
     .ref = field<&Config::generation, &GenerationConfig::video_model>,
     .help = "Model asked for video generation; empty = the server's default"},
    {.key = "generation.music_url", .env = "DOCENT_GENERATION_MUSIC_URL",
     .ref = field<&Config::generation, &GenerationConfig::music_url>,
     .help = "Base URL of a server that generates music (docent's POST /audio/music contract, docs/GENERATION.md); empty = none"},
    {.key = "generation.music_key", .env = "DOCENT_GENERATION_MUSIC_KEY",
     .ref = field<&Config::generation, &GenerationConfig::music_key>,
     .help = "API key sent to the music generator", .secret = true},
    {.key = "generation.music_model", .env = "DOCENT_GENERATION_MUSIC_MODEL",
     .ref = field<&Config::generation, &GenerationConfig::music_model>,
     .help = "Model asked for music generation; empty = the server's default"},
    {.key = "generation.timeout", .env = "DOCENT_GENERATION_TIMEOUT",
     .ref = field<&Config::generation, &GenerationConfig::timeout>,
     .help = "Time allowed for one image, video, music or voice generation job", .min = 1, .max = 86400},
    {.key = "vision.url", .env = "DOCENT_VISION_URL", .ref = field<&Config::vision, &VisionConfig::url>,
     .help = "Base URL of an OpenAI-compatible chat server that takes image_url parts; empty = none"},
    {.key = "vision.key", .env = "DOCENT_VISION_KEY", .ref = field<&Config::vision, &VisionConfig::key>,
     .help = "API key sent to the vision server", .secret = true},
    {.key = "vision.model", .env = "DOCENT_VISION_MODEL", .ref = field<&Config::vision, &VisionConfig::model>,
     .help = "Model asked for image analysis; empty = the vision server's default"},
    {.key = "vision.image_hosts", .env = "DOCENT_VISION_IMAGE_HOSTS",
     .ref = field<&Config::vision, &VisionConfig::image_hosts>,
     .help = "Hosts whose http(s) image URLs chat requests may pass upstream, comma-separated; empty = data URLs only"},
    {.key = "webhooks.allow_private", .env = "DOCENT_WEBHOOKS_ALLOW_PRIVATE",
     .ref = field<&Config::webhooks, &WebhooksConfig::allow_private>,
     .help = "Allow webhook URLs at private, loopback, link-local or metadata addresses"},
    {.key = "webhooks.allow_http", .env = "DOCENT_WEBHOOKS_ALLOW_HTTP",
     .ref = field<&Config::webhooks, &WebhooksConfig::allow_http>,
     .help = "Allow plain http:// webhook URLs (https:// only when off)"},
    {.key = "webhooks.timeout", .env = "DOCENT_WEBHOOKS_TIMEOUT",
     .ref = field<&Config::webhooks, &WebhooksConfig::timeout>,
     .help = "Time allowed for one webhook delivery attempt", .min = 1, .max = 300},
    {.key = "webhooks.workers", .env = "DOCENT_WEBHOOKS_WORKERS",
     .ref = field<&Config::webhooks, &WebhooksConfig::workers>,
     .help = "Webhook delivery threads; 0 = this process delivers none (another replica does)", .max = 256},
    {.key = "webhooks.max_failures", .env = "DOCENT_WEBHOOKS_MAX_FAILURES",
     .ref = field<&Config::webhooks, &WebhooksConfig::max_failures>,
     .help = "Consecutive failed attempts that disable a webhook endpoint; 0 = never", .max = 100000},
    {.key = "webhooks.retry_schedule", .env = "DOCENT_WEBHOOKS_RETRY_SCHEDULE",
     .ref = field<&Config::webhooks, &WebhooksConfig::retry_schedule>,
     .help = "Delays before each retry of a failed webhook delivery, comma-separated durations"},
    {.key = "limits.store", .env = "DOCENT_LIMITS_STORE", .ref = field<&Config::limits, &LimitsConfig::store>,
     .help = "Where rate-limit counters live: memory (this process) or database (shared by every process on it)",
     .choices = {"memory", "database"}},
    {.key = "limits.spherechat_pdf", .env = "DOCENT_LIMITS_SPHERECHAT_PDF",
     .ref = field<&Config::limits, &LimitsConfig::spherechat_pdf>,
     .help = "Rate of SphereChat /api/pdf/* per API key (N/period, e.g. 10/min; off = unlimited)"},
    {.key = "limits.spherechat_chat", .env = "DOCENT_LIMITS_SPHERECHAT_CHAT",
     .ref = field<&Config::limits, &LimitsConfig::spherechat_chat>,
     .help = "Rate of SphereChat chat routes per API key (N/period, e.g. 10/min; off = unlimited)"},
    {.key = "limits.spherechat_generation", .env = "DOCENT_LIMITS_SPHERECHAT_GENERATION",
     .ref = field<&Config::limits, &LimitsConfig::spherechat_generation>,
     .help = "Rate of SphereChat generation routes per API key (N/period, e.g. 10/min; off = unlimited)"},
    {.key = "limits.nexus_text", .env = "DOCENT_LIMITS_NEXUS_TEXT",
     .ref = field<&Config::limits, &LimitsConfig::nexus_text>,
     .help = "Rate of nexus POST /api/process/text per key (N/period, e.g. 10/min; off = unlimited)"},
    {.key = "limits.nexus_image", .env = "DOCENT_LIMITS_NEXUS_IMAGE",
     .ref = field<&Config::limits, &LimitsConfig::nexus_image>,
     .help = "Rate of nexus image processing per key (N/period, e.g. 10/min; off = unlimited)"},
    {.key = "limits.nexus_voice", .env = "DOCENT_LIMITS_NEXUS_VOICE",
     .ref = field<&Config::limits, &LimitsConfig::nexus_voice>,
     .help = "Rate of nexus voice processing per key (N/period, e.g. 10/min; off = unlimited)"},
    {.key = "limits.nexus_sessions", .env = "DOCENT_LIMITS_NEXUS_SESSIONS",
     .ref = field<&Config::limits, &LimitsConfig::nexus_sessions>,
     .help = "Rate of nexus /api/sessions routes per key (N/period, e.g. 10/min; off = unlimited)"},
    {.key = "limits.nexus_global", .env = "DOCENT_LIMITS_NEXUS_GLOBAL",
     .ref = field<&Config::limits, &LimitsConfig::nexus_global>,
     .help = "Rate of every nexus route together per key (N/period, e.g. 10/min; off = unlimited)"},
    {.key = "limits.chatbot_standard", .env = "DOCENT_LIMITS_CHATBOT_STANDARD",
     .ref = field<&Config::limits, &LimitsConfig::chatbot_standard>,
     .help = "Rate of chatbot routes per account of tier standard (N/period, e.g. 10/min; off = unlimited)"},
    {.key = "limits.chatbot_premium", .env = "DOCENT_LIMITS_CHATBOT_PREMIUM",
     .ref = field<&Config::limits, &LimitsConfig::chatbot_premium>,
     .help = "Rate of chatbot routes per account of tier premium (N/period, e.g. 10/min; off = unlimited)"},
    {.key = "limits.chatbot_enterprise", .env = "DOCENT_LIMITS_CHATBOT_ENTERPRISE",
     .ref = field<&Config::limits, &LimitsConfig::chatbot_enterprise>,
     .help = "Rate of chatbot routes per account of tier enterprise (N/period, e.g. 10/min; off = unlimited)"},
    {.key = "limits.native_default", .env = "DOCENT_LIMITS_NATIVE_DEFAULT",
     .ref = field<&Config::limits, &LimitsConfig::native_default>,
     .help = "Rate of every authenticated /v1 route per API key (N/period, e.g. 10/min; off = unlimited)"},
    {.key = "limits.register_device", .env = "DOCENT_LIMITS_REGISTER_DEVICE",
     .ref = field<&Config::limits, &LimitsConfig::register_device>,
     .help = "Rate of POST /auth/register-device per client address (N/period, e.g. 10/min; off = unlimited)"},
    {.key = "limits.login", .env = "DOCENT_LIMITS_LOGIN",
     .ref = field<&Config::limits, &LimitsConfig::login>,
     .help = "Rate of POST /v1/auth/login per client address (N/period, e.g. 10/min; off = unlimited)"},
  };
  // clang-format on
  return rows;
}
#pragma GCC diagnostic pop

// ---- text helpers ----

std::string_view trim(std::string_view s) {
  const auto space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (!s.empty() && space(s.front())) s.remove_prefix(1);
  while (!s.empty() && space(s.back())) s.remove_suffix(1);
  return s;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool iequals(std::string_view a, std::string_view b) { return a.size() == b.size() && lower(a) == lower(b); }

std::optional<std::int64_t> parse_int(std::string_view text) {
  text = trim(text);
  std::int64_t value = 0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (text.empty() || ec != std::errc() || ptr != end) return std::nullopt;
  return value;
}

// Splits "20MB" into 20 and "mb"; fails without leading digits or on overflow.
std::optional<std::pair<std::uint64_t, std::string>> split_number(std::string_view text) {
  text = trim(text);
  std::uint64_t value = 0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (ptr == text.data() || ec != std::errc()) return std::nullopt;
  return std::pair{value, lower(trim(std::string_view(ptr, end - ptr)))};
}

std::optional<std::uint64_t> checked_mul(std::uint64_t a, std::uint64_t b) {
  if (a != 0 && b > std::numeric_limits<std::uint64_t>::max() / a) return std::nullopt;
  return a * b;
}

// How a value appears in an error message: quoted, shortened, never a secret.
std::string echo(const SettingInfo& row, std::string_view text) {
  if (row.secret) return "'****'";
  std::string out = "'";
  for (char c : text.substr(0, kMaxEcho)) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      out += fmt::format("\\x{:02x}", static_cast<unsigned char>(c));
    } else {
      out += c;
    }
  }
  if (text.size() > kMaxEcho) out += "...";
  return out + "'";
}

std::string format_bytes(std::uint64_t v) {
  constexpr std::array<std::pair<std::uint64_t, const char*>, 3> kUnits = {
      {{kGiB, "GiB"}, {kMiB, "MiB"}, {kKiB, "KiB"}}};
  for (const auto& [unit, suffix] : kUnits) {
    if (v != 0 && v % unit == 0) return fmt::format("{}{}", v / unit, suffix);
  }
  return std::to_string(v);
}

std::string format_duration(seconds d) {
  const auto n = d.count();
  if (n != 0 && n % 3600 == 0) return fmt::format("{}h", n / 3600);
  if (n != 0 && n % 60 == 0) return fmt::format("{}m", n / 60);
  return fmt::format("{}s", n);
}

// A value as plain text ("20MiB", "30s", "127.0.0.1"); `literal` quotes it as TOML needs.
std::string value_text(const SettingRef& ref) {
  struct Visitor {
    std::string operator()(const std::string* v) const { return *v; }
    std::string operator()(const int* v) const { return std::to_string(*v); }
    std::string operator()(const std::uint64_t* v) const { return format_bytes(*v); }
    std::string operator()(const bool* v) const { return *v ? "true" : "false"; }
    std::string operator()(const seconds* v) const { return format_duration(*v); }
  };
  return std::visit(Visitor{}, ref);
}

std::string toml_quote(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      case '\r': out += "\\r"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
          out += fmt::format("\\u{:04X}", static_cast<unsigned char>(c));
        } else {
          out += c;
        }
    }
  }
  return out + "\"";
}

std::string mask_secret(std::string_view s) {
  if (s.empty()) return "";
  if (s.size() > 12) return fmt::format("****{}", s.substr(s.size() - 4));
  return "****";
}

size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = up;
    }
  }
  return row[b.size()];
}

// " (did you mean X?)" for the nearest key (or env variable) within a small edit distance.
std::string suggestion(std::string_view name, bool env) {
  std::string_view best;
  size_t best_distance = std::max<size_t>(2, name.size() / 4) + 1;
  for (const SettingInfo& row : setting_table()) {
    const std::string_view candidate = env ? row.env : row.key;
    const size_t d = edit_distance(lower(name), lower(candidate));
    if (d < best_distance) {
      best = candidate;
      best_distance = d;
    }
  }
  return best.empty() ? std::string() : fmt::format(" (did you mean {}?)", best);
}

// ---- parsing one value ----

template <typename T>
Status check_range(const SettingInfo& row, T value, std::string_view text, std::string_view where) {
  const auto lo = row.min;
  const auto hi = row.max != 0 ? row.max : std::numeric_limits<std::int64_t>::max();
  const bool below = std::cmp_less(value, lo);
  const bool above = std::cmp_greater(value, hi);
  if (!below && !above) return {};
  const std::string bound = row.max != 0 ? fmt::format("{}..{}", lo, hi) : fmt::format("at least {}", lo);
  return Error(Code::InvalidInput, fmt::format("{}: {} is out of range ({})", where, echo(row, text), bound),
               std::string(row.key));
}

// Parses `text` as `row`'s type, validates it and stores it in `config`. `where` names the
// setting and its source for error messages, e.g. "DOCENT_PORT (server.port)".
Status assign(const SettingInfo& row, std::string_view text, Config& config, std::string_view where) {
  const auto fail = [&](std::string_view what) {
    return Error(Code::InvalidInput, fmt::format("{}: {} {}", where, echo(row, text), what), std::string(row.key));
  };
  SettingRef ref = row.ref(config);
  switch (row.type) {
    case SettingType::String: {
      if (row.choices.empty()) {
        *std::get<std::string*>(ref) = std::string(text);
        return {};
      }
      for (std::string_view choice : row.choices) {
        if (iequals(trim(text), choice)) {
          *std::get<std::string*>(ref) = std::string(choice);
          return {};
        }
      }
      std::string list;
      for (std::string_view choice : row.choices) list += (list.empty() ? "" : ", ") + std::string(choice);
      return fail(fmt::format("is not one of {}", list));
    }
    case SettingType::Int: {
      const auto v = parse_int(text);
      if (!v) return fail("is not an integer");
      const std::int64_t hi = row.max != 0 ? row.max : std::numeric_limits<int>::max();
      if (*v < row.min || *v > hi) {
        return Error(Code::InvalidInput,
                     fmt::format("{}: {} is out of range ({}..{})", where, echo(row, text), row.min, hi),
                     std::string(row.key));
      }
      *std::get<int*>(ref) = static_cast<int>(*v);
      return {};
    }
    case SettingType::Bytes: {
      const auto v = parse_byte_size(text);
      if (!v) return fail("is not a byte size (e.g. 1048576, 512KiB, 20MB)");
      if (Status s = check_range(row, *v, text, where); !s) return s;
      *std::get<std::uint64_t*>(ref) = *v;
      return {};
    }
    case SettingType::Bool: {
      const auto v = parse_bool(text);
      if (!v) return fail("is not a boolean (true or false)");
      *std::get<bool*>(ref) = *v;
      return {};
    }
    case SettingType::Seconds: {
      const auto v = parse_duration(text);
      if (!v) return fail("is not a duration (e.g. 30, 30s, 5m, 1h)");
      if (Status s = check_range(row, v->count(), text, where); !s) return s;
      *std::get<seconds*>(ref) = *v;
      return {};
    }
  }
  return Error(Code::Internal, fmt::format("{}: unhandled setting type", where), std::string(row.key));
}

// ---- the TOML file ----

std::string_view toml_kind(const toml::node& node) {
  switch (node.type()) {
    case toml::node_type::table: return "a table";
    case toml::node_type::array: return "an array";
    case toml::node_type::string: return "a string";
    case toml::node_type::integer: return "an integer";
    case toml::node_type::floating_point: return "a float";
    case toml::node_type::boolean: return "a boolean";
    case toml::node_type::date: return "a date";
    case toml::node_type::time: return "a time";
    case toml::node_type::date_time: return "a date-time";
    default: return "nothing";
  }
}

// The node as text for assign(): strings always; integers for numeric types; booleans for Bool.
std::optional<std::string> node_text(const toml::node& node, SettingType type) {
  if (const auto* s = node.as_string()) return s->get();
  if (const auto* i = node.as_integer();
      i && (type == SettingType::Int || type == SettingType::Bytes || type == SettingType::Seconds)) {
    return std::to_string(i->get());
  }
  if (const auto* b = node.as_boolean(); b && type == SettingType::Bool) {
    return std::string(b->get() ? "true" : "false");
  }
  return std::nullopt;
}

bool is_section(std::string_view name) {
  return std::any_of(setting_table().begin(), setting_table().end(), [&](const SettingInfo& row) {
    return row.key.size() > name.size() && row.key.starts_with(name) && row.key[name.size()] == '.';
  });
}

// [plans.NAME] tables: each field optional, starting from the built-in plan of that name (or an
// empty, unlimited plan for a new name).
Status apply_plans(const std::string& file, const toml::table& plans, Config& config) {
  for (auto&& [name, node] : plans) {
    const std::string plan_name(name.str());
    const toml::table* t = node.as_table();
    if (t == nullptr) return Error(Code::InvalidInput, fmt::format("{}: plans.{} must be a table", file, plan_name));
    PlanConfig plan = config.plans.count(plan_name) ? config.plans[plan_name] : PlanConfig{};
    for (auto&& [field_key, value] : *t) {
      const std::string field(field_key.str());
      const std::string where = fmt::format("{}: plans.{}.{}", file, plan_name, field);
      auto as_count = [&, &value = value](std::int64_t& out) -> Status {  // clang 14 captures no bindings
        auto v = value.value<std::int64_t>();
        if (!v || *v < 0) return Error(Code::InvalidInput, where + ": expected a non-negative integer");
        out = *v;
        return {};
      };
      Status st;
      if (field == "fileSize") {
        if (auto v = value.value<std::int64_t>(); v && *v >= 0)
          plan.file_size = static_cast<std::uint64_t>(*v);
        else if (auto text = value.value<std::string>(); text && parse_byte_size(*text))
          plan.file_size = *parse_byte_size(*text);
        else
          st = Error(Code::InvalidInput, where + ": expected a byte size");
      } else if (field == "fileTypes") {
        const toml::array* arr = value.as_array();
        if (arr == nullptr) {
          st = Error(Code::InvalidInput, where + ": expected an array of strings");
        } else {
          plan.file_types.clear();
          for (auto&& item : *arr) {
            auto text = item.value<std::string>();
            if (!text) {
              st = Error(Code::InvalidInput, where + ": expected an array of strings");
              break;
            }
            plan.file_types.push_back(*text);
          }
        }
      } else if (field == "filePerDay")
        st = as_count(plan.file_per_day);
      else if (field == "filePerMonth")
        st = as_count(plan.file_per_month);
      else if (field == "pagePerMonth")
        st = as_count(plan.page_per_month);
      else if (field == "questionPerDay")
        st = as_count(plan.question_per_day);
      else if (field == "questionPerMonth")
        st = as_count(plan.question_per_month);
      else if (field == "fileCappacity" || field == "fileCapacity")
        st = as_count(plan.file_capacity);
      else if (field == "extractionPerMonth")
        st = as_count(plan.extraction_per_month);
      else if (field == "mediaPerDay")
        st = as_count(plan.media_per_day);
      else if (field == "mediaPerMonth")
        st = as_count(plan.media_per_month);
      else if (field == "rank")
        st = as_count(plan.rank);
      else if (field == "selfService") {
        if (auto v = value.value<bool>())
          plan.self_service = *v;
        else
          st = Error(Code::InvalidInput, where + ": expected a boolean");
      } else {
        st = Error(
            Code::InvalidInput,
            where +
                ": unknown plan field (fileSize, fileTypes, filePerDay, filePerMonth, pagePerMonth, "
                "questionPerDay, questionPerMonth, fileCappacity, extractionPerMonth, mediaPerDay, mediaPerMonth, "
                "rank, selfService)");
      }
      if (!st) return st;
    }
    config.plans[plan_name] = std::move(plan);
  }
  return {};
}

// DOCENT_LLM_UPSTREAMS_<NAME>_KEY: NAME upper-cased, '-' as '_'.
std::string upstream_key_env(std::string_view name) {
  std::string env = "DOCENT_LLM_UPSTREAMS_";
  for (char c : name) env += c == '-' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return env + "_KEY";
}

bool valid_upstream_name(std::string_view name) {
  if (name.empty() || name.size() > 64 || name == "default" || name == "docent") return false;
  return std::all_of(name.begin(), name.end(),
                     [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_'; });
}

// [llm.upstreams.NAME] tables, kept in the order they appear in the file (toml++ iterates a
// table's keys sorted, and routing is first match in file order).
Status apply_upstreams(const std::string& file, const toml::node& node, Config& config) {
  const toml::table* upstreams = node.as_table();
  if (upstreams == nullptr) {
    return Error(Code::InvalidInput, fmt::format("{}: llm.upstreams must hold [llm.upstreams.NAME] tables", file),
                 "llm.upstreams");
  }
  std::vector<std::pair<const toml::key*, const toml::node*>> ordered;
  for (auto&& [name, value] : *upstreams) ordered.emplace_back(&name, &value);
  std::stable_sort(ordered.begin(), ordered.end(), [](const auto& a, const auto& b) {
    const auto& x = a.first->source().begin;
    const auto& y = b.first->source().begin;
    return x.line != y.line ? x.line < y.line : x.column < y.column;
  });
  for (const auto& [key, value] : ordered) {
    LlmUpstreamConfig up;
    up.name = std::string(key->str());
    const std::string prefix = fmt::format("llm.upstreams.{}", up.name);
    if (!valid_upstream_name(up.name)) {
      return Error(Code::InvalidInput,
                   fmt::format("{}: {}: an upstream name is letters, digits, '-' and '_' (and not 'default' or "
                               "'docent')",
                               file, prefix),
                   prefix);
    }
    const toml::table* t = value->as_table();
    if (t == nullptr) return Error(Code::InvalidInput, fmt::format("{}: {} must be a table", file, prefix), prefix);
    for (auto&& [field_key, field] : *t) {
      const std::string name(field_key.str());
      const std::string setting = fmt::format("{}.{}", prefix, name);
      const std::string where = fmt::format("{}: {}", file, setting);
      if (name == "url" || name == "key") {
        auto text = field.value<std::string>();
        if (!text)
          return Error(Code::InvalidInput, fmt::format("{}: expected string, got {}", where, toml_kind(field)),
                       setting);
        (name == "url" ? up.url : up.key) = *text;
      } else if (name == "models") {
        const toml::array* arr = field.as_array();
        std::vector<std::string> models;
        for (size_t i = 0; arr != nullptr && i < arr->size(); ++i) {
          auto text = (*arr)[i].value<std::string>();
          if (!text || text->empty()) {
            arr = nullptr;
            break;
          }
          models.push_back(*text);
        }
        if (arr == nullptr || models.empty()) {
          return Error(Code::InvalidInput,
                       where + ": expected a non-empty array of model names (leave it out to use the upstream's list)",
                       setting);
        }
        up.models = std::move(models);
      } else {
        return Error(Code::InvalidInput, where + ": unknown upstream field (url, key, models)", setting);
      }
    }
    if (up.url.empty()) {
      return Error(Code::InvalidInput, fmt::format("{}: {}.url is required", file, prefix), prefix + ".url");
    }
    if (!up.key.empty()) config.sources[prefix + ".key"] = ConfigSource::File;
    config.llm.upstreams.push_back(std::move(up));
  }
  return {};
}

Status apply_file(const fs::path& path, Config& config) {
  const std::string file = path.string();
  toml::table root;
  try {
    root = toml::parse_file(file);
  } catch (const toml::parse_error& e) {
    const auto& at = e.source().begin;
    return Error(Code::InvalidInput, fmt::format("{}:{}:{}: {}", file, at.line, at.column, e.description()));
  }

  std::vector<std::string> unknown;
  std::vector<std::pair<const SettingInfo*, const toml::node*>> found;
  for (auto&& [section, node] : root) {
    const toml::table* table = node.as_table();
    if (section.str() == "plans" && table != nullptr) {
      if (Status s = apply_plans(file, *table, config); !s) return s;
      continue;
    }
    if (table == nullptr || (table->empty() && !is_section(section.str()))) {
      unknown.emplace_back(section.str());
      continue;
    }
    for (auto&& [name, value] : *table) {
      const std::string key = fmt::format("{}.{}", section.str(), name.str());
      if (key == "llm.upstreams") {
        if (Status s = apply_upstreams(file, value, config); !s) return s;
        continue;
      }
      if (const SettingInfo* row = find_setting(key)) {
        found.emplace_back(row, &value);
      } else {
        unknown.push_back(key);
      }
    }
  }
  if (!unknown.empty()) {
    std::string list;
    for (const std::string& key : unknown) {
      list += fmt::format("{}{}{}", list.empty() ? "" : ", ", key, suggestion(key, false));
    }
    return Error(Code::InvalidInput, fmt::format("{}: unknown setting{} {}", file, unknown.size() > 1 ? "s" : "", list),
                 unknown.front());
  }

  for (const auto& [row, node] : found) {
    const std::string where = fmt::format("{}: {}", file, row->key);
    const auto text = node_text(*node, row->type);
    if (!text) {
      return Error(Code::InvalidInput,
                   fmt::format("{}: expected {}, got {}", where, type_name(row->type), toml_kind(*node)),
                   std::string(row->key));
    }
    if (Status s = assign(*row, *text, config, where); !s) return s;
    config.sources[std::string(row->key)] = ConfigSource::File;
  }
  return {};
}

}  // namespace

std::map<std::string, PlanConfig> default_plans() {
  std::map<std::string, PlanConfig> plans;
  // Anonymous devices: a taste, as the chatpdf seed's register-device response shows.
  plans["free"] = PlanConfig{.file_size = 10 * kMiB,
                             .file_types = {"pdf"},
                             .file_per_day = 1,
                             .file_per_month = 10,
                             .page_per_month = 100,
                             .question_per_day = 3,
                             .question_per_month = 30,
                             .file_capacity = 5,
                             .rank = 0};
  plans["base"] = PlanConfig{.file_size = 32 * kMiB,
                             .file_types = {"pdf"},
                             .file_per_month = 300,
                             .page_per_month = 1000,
                             .question_per_month = 30,
                             .file_capacity = 120,
                             .self_service = true,
                             .rank = 10};
  plans["plus"] = PlanConfig{.file_size = 32 * kMiB,
                             .file_types = {"pdf"},
                             .file_per_month = 1000,
                             .page_per_month = 5000,
                             .question_per_month = 300,
                             .file_capacity = 500,
                             .self_service = true,
                             .rank = 20};
  plans["ultimate"] = PlanConfig{.file_size = 32 * kMiB,
                                 .file_types = {"pdf"},
                                 .file_per_month = 2999,
                                 .page_per_month = 20000,
                                 .question_per_month = 3000,
                                 .file_capacity = 2000,
                                 .self_service = true,
                                 .rank = 30};
  plans["unlimited"] = PlanConfig{.rank = 100};
  return plans;
}

namespace {

// The file to read: explicit, $DOCENT_CONFIG, ./docent.toml, or none.
Result<std::optional<fs::path>> resolve_file(const ConfigInputs& in) {
  std::optional<fs::path> path;
  std::string origin;
  if (in.file) {
    path = *in.file;
    origin = "config file";
  } else if (auto it = in.env.find(std::string(kConfigEnv)); it != in.env.end() && !it->second.empty()) {
    path = fs::path(it->second);
    origin = fmt::format("{} names", kConfigEnv);
  } else {
    std::error_code ec;
    if (fs::exists(kDefaultFile, ec)) return std::optional<fs::path>(fs::path(kDefaultFile));
    return std::optional<fs::path>();
  }
  std::error_code ec;
  if (!fs::exists(*path, ec)) {
    return Error(Code::NotFound, fmt::format("{} '{}', which does not exist", origin, path->string()));
  }
  return path;
}

}  // namespace

std::string_view source_name(ConfigSource source) {
  switch (source) {
    case ConfigSource::Default: return "default";
    case ConfigSource::File: return "file";
    case ConfigSource::Environment: return "env";
    case ConfigSource::Flag: return "flag";
  }
  return "?";
}

std::string_view type_name(SettingType type) {
  switch (type) {
    case SettingType::String: return "string";
    case SettingType::Int: return "int";
    case SettingType::Bytes: return "bytes";
    case SettingType::Bool: return "bool";
    case SettingType::Seconds: return "seconds";
  }
  return "?";
}

ConfigSource Config::source(std::string_view key) const {
  auto it = sources.find(std::string(key));
  return it == sources.end() ? ConfigSource::Default : it->second;
}

const std::vector<SettingInfo>& setting_table() {
  static const std::vector<SettingInfo> table = [] {
    std::vector<SettingInfo> rows = build_table();
    Config defaults;
    for (SettingInfo& row : rows) {
      const SettingRef ref = row.ref(defaults);
      // SettingRef's alternatives are declared in SettingType's order.
      row.type = static_cast<SettingType>(ref.index());
      row.default_value = value_text(ref);
    }
    return rows;
  }();
  return table;
}

const SettingInfo* find_setting(std::string_view key) {
  for (const SettingInfo& row : setting_table()) {
    if (row.key == key) return &row;
  }
  return nullptr;
}

std::optional<std::uint64_t> parse_byte_size(std::string_view text) {
  const auto parts = split_number(text);
  if (!parts) return std::nullopt;
  const auto& [n, suffix] = *parts;
  static const std::map<std::string, std::uint64_t, std::less<>> kSuffixes = {
      {"", 1},       {"b", 1},           {"k", kKiB},         {"kb", kKiB},         {"kib", kKiB},
      {"m", kMiB},   {"mb", kMiB},       {"mib", kMiB},       {"g", kGiB},          {"gb", kGiB},
      {"gib", kGiB}, {"t", kGiB * kKiB}, {"tb", kGiB * kKiB}, {"tib", kGiB * kKiB},
  };
  auto it = kSuffixes.find(suffix);
  if (it == kSuffixes.end()) return std::nullopt;
  return checked_mul(n, it->second);
}

std::optional<seconds> parse_duration(std::string_view text) {
  const auto parts = split_number(text);
  if (!parts) return std::nullopt;
  const auto& [n, suffix] = *parts;
  std::uint64_t unit = 0;
  if (suffix.empty() || suffix == "s")
    unit = 1;
  else if (suffix == "m")
    unit = 60;
  else if (suffix == "h")
    unit = 3600;
  else
    return std::nullopt;
  const auto total = checked_mul(n, unit);
  if (!total || *total > static_cast<std::uint64_t>(std::numeric_limits<seconds::rep>::max())) {
    return std::nullopt;
  }
  return seconds(static_cast<seconds::rep>(*total));
}

std::optional<bool> parse_bool(std::string_view text) {
  const std::string v = lower(trim(text));
  if (v == "true" || v == "yes" || v == "on" || v == "1") return true;
  if (v == "false" || v == "no" || v == "off" || v == "0") return false;
  return std::nullopt;
}

Result<Config> load_config(const ConfigInputs& in) {
  Config config;
  for (const SettingInfo& row : setting_table()) config.sources[std::string(row.key)] = ConfigSource::Default;

  auto file = resolve_file(in);
  if (!file) return std::move(file).error();
  if (*file) {
    std::error_code ec;
    const fs::path absolute = fs::absolute(**file, ec);
    config.file_path = ec ? (*file)->string() : absolute.lexically_normal().string();
    if (Status s = apply_file(**file, config); !s) return s.error();
  }

  for (const SettingInfo& row : setting_table()) {
    auto it = in.env.find(std::string(row.env));
    if (it == in.env.end()) continue;
    if (Status s = assign(row, it->second, config, fmt::format("{} ({})", row.env, row.key)); !s) {
      return s.error();
    }
    config.sources[std::string(row.key)] = ConfigSource::Environment;
  }
  // A named upstream's key may come from the environment, so that it need not be in the file.
  for (LlmUpstreamConfig& up : config.llm.upstreams) {
    auto it = in.env.find(upstream_key_env(up.name));
    if (it == in.env.end()) continue;
    up.key = it->second;
    config.sources[fmt::format("llm.upstreams.{}.key", up.name)] = ConfigSource::Environment;
  }
  for (const auto& entry : in.env) {
    const std::string& name = entry.first;
    if (!name.starts_with("DOCENT_") || name == kConfigEnv) continue;
    const bool known = std::any_of(setting_table().begin(), setting_table().end(),
                                   [&](const SettingInfo& row) { return row.env == name; }) ||
                       std::any_of(config.llm.upstreams.begin(), config.llm.upstreams.end(),
                                   [&](const LlmUpstreamConfig& up) { return upstream_key_env(up.name) == name; });
    if (!known) {
      config.warnings.push_back(
          fmt::format("environment variable {} is not a docent setting{}", name, suggestion(name, true)));
    }
  }

  for (const auto& [key, value] : in.flags) {
    const SettingInfo* row = find_setting(key);
    if (row == nullptr) {
      return Error(Code::InvalidInput, fmt::format("flag {}: unknown setting{}", key, suggestion(key, false)), key);
    }
    if (Status s = assign(*row, value, config, fmt::format("flag {}", key)); !s) return s.error();
    config.sources[key] = ConfigSource::Flag;
  }
  for (const SettingInfo& row : setting_table()) {
    if (!row.key.starts_with("limits.") || row.key == "limits.store") continue;
    const std::string& text = *std::get<std::string*>(row.ref(config));
    if (!parse_rate(text)) {
      return Error(Code::InvalidInput,
                   fmt::format("{}: {} is not a rate; write N/period (100/hour, 10/min, 5/30s) or off", row.key,
                               echo(row, text)),
                   std::string(row.key));
    }
  }
  for (const auto* plan : {&config.accounts.default_plan, &config.accounts.device_plan}) {
    if (!config.plans.count(*plan)) {
      std::string names;
      for (const auto& [name, _] : config.plans) names += (names.empty() ? "" : ", ") + name;
      return Error(Code::InvalidInput, fmt::format("plan '{}' is not defined; plans are: {}", *plan, names));
    }
  }
  return config;
}

std::map<std::string, std::string> current_environment() {
  std::map<std::string, std::string> env;
  for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
    const std::string_view item(*entry);
    const size_t eq = item.find('=');
    if (eq == std::string_view::npos || !item.starts_with("DOCENT_")) continue;
    env.emplace(item.substr(0, eq), item.substr(eq + 1));
  }
  return env;
}

std::string render_config(const Config& config) {
  Config copy = config;  // row.ref() takes a mutable Config; nothing is written through it
  struct Line {
    std::string text;
    std::string comment;
  };
  std::vector<std::pair<std::string, std::vector<Line>>> sections;
  size_t width = 0;
  for (const SettingInfo& row : setting_table()) {
    const size_t dot = row.key.find('.');
    const std::string section(row.key.substr(0, dot));
    const std::string_view name = row.key.substr(dot + 1);
    const SettingRef ref = row.ref(copy);

    std::string literal;
    if (row.secret) {
      literal = toml_quote(mask_secret(*std::get<std::string*>(ref)));
    } else if (row.type == SettingType::Int || row.type == SettingType::Bool ||
               (row.type == SettingType::Bytes && *std::get<std::uint64_t*>(ref) % kKiB != 0)) {
      literal = value_text(ref);
    } else {
      literal = toml_quote(value_text(ref));
    }
    const ConfigSource source = config.source(row.key);
    std::string comment(source_name(source));
    if (source == ConfigSource::Environment) comment += fmt::format(" {}", row.env);

    if (sections.empty() || sections.back().first != section) sections.emplace_back(section, std::vector<Line>{});
    Line line{fmt::format("{} = {}", name, literal), std::move(comment)};
    if (line.text.size() <= kMaxAlign) width = std::max(width, line.text.size());
    sections.back().second.push_back(std::move(line));
  }

  std::string out = "# docent effective configuration; precedence: flag > env > file > default\n";
  out += fmt::format("# file: {}\n", config.file_path.empty() ? "(none)" : config.file_path);
  for (const auto& [section, lines] : sections) {
    out += fmt::format("\n[{}]\n", section);
    for (const Line& line : lines) out += fmt::format("{:<{}}  # {}\n", line.text, width, line.comment);
  }
  for (const LlmUpstreamConfig& up : config.llm.upstreams) {
    const ConfigSource key_source = config.source(fmt::format("llm.upstreams.{}.key", up.name));
    std::string key_comment(source_name(key_source));
    if (key_source == ConfigSource::Environment) key_comment += " " + upstream_key_env(up.name);
    out += fmt::format("\n[llm.upstreams.{}]\n", up.name);
    out += fmt::format("url = {}  # file\n", toml_quote(up.url));
    out += fmt::format("key = {}  # {}\n", toml_quote(mask_secret(up.key)), key_comment);
    if (up.models) {
      std::string list;
      for (const std::string& m : *up.models) list += (list.empty() ? "" : ", ") + toml_quote(m);
      out += fmt::format("models = [{}]  # file\n", list);
    }
  }
  return out;
}

}  // namespace docent::core
