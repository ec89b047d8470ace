#pragma once
// Configuration: one typed Config, filled from four sources in this order of precedence
// (DESIGN.md §3):  command-line flags > DOCENT_* environment > docent.toml > built-in defaults.
//
// Table-driven: every setting is one row of setting_table() (config.cpp) naming its dotted key,
// its environment variable and the Config member it fills. The member's initializer below is the
// built-in default. Adding a setting is one member here plus one row there; the TOML reader, the
// environment, flags, validation, render_config and `--help` all follow from the row.

#include "core/error.h"

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace docent::core {

inline constexpr std::uint64_t kKiB = 1024;
inline constexpr std::uint64_t kMiB = 1024 * kKiB;
inline constexpr std::uint64_t kGiB = 1024 * kMiB;

// [server]: the HTTP listener and its limits.
struct ServerConfig {
  std::string host = "127.0.0.1";
  int port = 8080;  // 0: the OS picks a free port
  int threads = 0;  // network threads; 0: one per core
  int workers = 0;  // handler pool size; 0: automatic
  std::uint64_t max_header_bytes = 16 * kKiB;
  std::uint64_t max_body_bytes = 1 * kMiB;     // JSON and other non-upload bodies
  std::uint64_t max_upload_bytes = 20 * kMiB;  // the seeds' documented upload limit
  int json_max_depth = 64;
  std::chrono::seconds request_timeout{30};
  std::chrono::seconds idle_timeout{75};
  std::chrono::seconds shutdown_grace{10};
  std::chrono::seconds sse_heartbeat{15};
  int max_streams = 4096;  // SSE streams open at once; 503 beyond
  std::string cors_origins = "*";
  std::string web_dir;  // empty: found next to the binary
};

// [data]: where the database and stored files live.
struct DataConfig {
  std::string dir = "./data";
};

// [log]
struct LogConfig {
  std::string level = "info";   // trace, debug, info, warn, error, off
  std::string format = "text";  // text, json
};

// [security]
struct SecurityConfig {
  std::string master_key;  // secret; empty: <data.dir>/master.key, made on first start
  // Payload encryption (docs/ENCRYPTION.md): an envelope's timestamp may be this far from now.
  std::chrono::seconds encryption_window{300};
};

// One named extra upstream, a [llm.upstreams.NAME] table of docent.toml (the tables exist in the
// file only; DOCENT_LLM_UPSTREAMS_<NAME>_KEY, NAME upper-cased with '-' as '_', overrides `key`).
// Chat models are routed to the first upstream that serves them, llm.url first, then these in
// file order (services/models.h).
struct LlmUpstreamConfig {
  std::string name;  // NAME: letters, digits, '-' and '_'; not "default" or "docent"
  std::string url;   // base URL ending in /v1; required
  std::string key;   // secret, masked by render_config
  // The model names it serves; absent = whatever its GET /models lists. Never an empty list.
  std::optional<std::vector<std::string>> models;
};

// [llm]: the upstream OpenAI-compatible model server.
struct LlmConfig {
  std::string url;    // base URL ending in /v1; empty = only the built-in engine
  std::string key;    // secret
  std::string model;  // default model for requests naming none; empty = the upstream's first
  // Upstreams the operator configures may be at private or loopback addresses (Ollama or vLLM on
  // the same host is the common case; DESIGN.md §4 "Whose URL is it?"); false refuses them.
  bool allow_private = true;
  std::chrono::seconds connect_timeout{10};
  std::chrono::seconds read_timeout{120};  // an upstream silent this long fails the request
  int retries = 2;                         // extra attempts on connection errors
  std::chrono::seconds models_cache{60};   // how long the upstream's model list is reused
  // Further upstreams in file order; allow_private, the timeouts, retries and models_cache
  // above apply to each of them too.
  std::vector<LlmUpstreamConfig> upstreams;
};

// [embeddings]: the upstream OpenAI-compatible embeddings server (allow_private and the
// timeouts of [llm] apply to it too).
struct EmbeddingsConfig {
  std::string url;    // empty = the built-in hashed embedder serves /v1/embeddings
  std::string key;    // secret
  std::string model;  // default model for requests naming none
};

// [stt]: speech to text (docs/MEDIA-AUDIO.md). The built-in recogniser (pocketsphinx en-us)
// serves English; stt.url, an OpenAI-compatible /v1/audio/transcriptions server, serves every
// language (and translations, when it offers them). allow_private and connect_timeout of [llm]
// apply to it too.
struct SttConfig {
  std::string url;                    // base URL ending in /v1; empty = the built-in recogniser only
  std::string key;                    // secret
  std::string model;                  // sent to the upstream when a request names none
  int max_seconds = 600;              // longest audio accepted (decoded duration)
  std::chrono::seconds timeout{120};  // decoding one file (its child process is killed after) and each upstream read
};

// [tts]: text to speech. The built-in synthesiser is espeak-ng; tts.url, an OpenAI-compatible
// /v1/audio/speech server, is used instead when set.
struct TtsConfig {
  std::string url;    // base URL ending in /v1; empty = espeak-ng
  std::string key;    // secret
  std::string model;  // sent to the upstream when a request names none
};

// [accounts]: who may do what by default.
struct AccountsConfig {
  std::string default_plan = "unlimited";  // plan of accounts made by an admin or the CLI
  std::string device_plan = "free";        // plan of anonymous device accounts (chatpdf)
  bool self_upgrade = true;                // PUT /user/upgrade-plan allowed without an admin
};

// [extraction]: business documents into Excel (docs/EXTRACTION.md).
struct ExtractionConfig {
  int max_files = 20;                 // PDFs in one request (a batch)
  int max_pages = 200;                // pages of one PDF
  int concurrency = 2;                // PDFs parsed at once across requests; each is a child process
  std::chrono::seconds timeout{120};  // wall clock of one PDF's parse (its child is killed after)
  std::string model;                  // model of the model pass; empty = llm.model, else an upstream's first
};

// [index]: the vector index's checkpoints (docs/ARCHITECTURE.md, "The vector index after a crash").
struct IndexConfig {
  std::chrono::seconds checkpoint_interval{60};  // a changed index is saved this often
  int test_replay_pause_ms = 0;                  // testing only: a pause after each chunk a start replays
};

// [logs]: the Sherpa AI Server log (/api/log/*) and how long it is kept.
struct LogsConfig {
  int retention_days = 30;                    // lines older than this are deleted; 0: kept until purged
  int max_per_account = 0;                    // newest lines kept per account; 0: no cap
  std::chrono::seconds sweep_interval{3600};  // how often the retention sweep runs (logs and audit)
};

// [audit]: the audit trail (GET /v1/audit).
struct AuditConfig {
  int retention_days = 365;  // records older than this are deleted; 0: kept forever
};

// [media]: the asynchronous media jobs (docs/MEDIA.md): image analysis, speech, voice.
struct MediaConfig {
  std::chrono::seconds retention{86400};    // finished jobs (results, uploads) are kept this long; 0 = forever
  std::chrono::seconds image_timeout{120};  // one image analysis (its child process is killed after)
  int image_max_pixels = 40'000'000;        // declared width * height above which an image is refused
  std::chrono::seconds voice_timeout{600};  // one voice, text-to-speech or voice-conversation job
};

// [generation]: where SphereChat's images, video and music are made (docs/GENERATION.md). Each URL
// is an OpenAI-compatible base ending in /v1; empty: that kind is SERVICE_UNAVAILABLE.
struct GenerationConfig {
  std::string image_url, image_key, image_model;  // POST {image_url}/images/generations
  std::string video_url, video_key, video_model;  // POST {video_url}/videos, polled, then /content
  std::string music_url, music_key, music_model;  // POST {music_url}/audio/music (docent's contract)
  std::chrono::seconds timeout{600};              // one generation job, polling included
};

// [vision]: an OpenAI-compatible chat endpoint that takes image_url parts (docs/MEDIA.md).
struct VisionConfig {
  std::string url;  // empty: no vision model (objects, scene, emotions stay empty)
  std::string key;
  std::string model;  // empty: the upstream's default
  // Hosts whose http(s) image URLs /v1/chat/completions and /v1/responses may pass upstream,
  // comma-separated; empty: data URLs only.
  std::string image_hosts;
};

// [webhooks]: outbound event notifications (docs/WEBHOOKS.md).
struct WebhooksConfig {
  bool allow_private = false;        // receivers at private, loopback or link-local addresses
  bool allow_http = false;           // plain http:// receiver URLs
  std::chrono::seconds timeout{10};  // one delivery attempt
  int workers = 2;                   // delivery threads
  int max_failures = 25;             // consecutive failed attempts that disable an endpoint; 0 = never
  std::string retry_schedule = "5s,5m,30m,2h,5h,10h,14h,20h,20h";  // delay before each retry (~3 days)
};

// [limits]: request rate limits (docs/ARCHITECTURE.md, "Rate limits"), each "N/period" (core/rate.h)
// or "off". The policy names (the member names) are also the keys of an account's overrides.
struct LimitsConfig {
  std::string store = "memory";  // where counters live: memory (this process) or database (shared)
  std::string spherechat_pdf = "100/hour";
  std::string spherechat_chat = "1000/hour";
  std::string spherechat_generation = "50/hour";
  std::string nexus_text = "10/min";
  std::string nexus_image = "5/min";
  std::string nexus_voice = "5/min";
  std::string nexus_sessions = "20/min";
  std::string nexus_global = "100/hour";
  std::string chatbot_standard = "100/min";
  std::string chatbot_premium = "500/min";
  std::string chatbot_enterprise = "2000/min";
  std::string native_default = "off";      // every authenticated /v1 route, per key
  std::string register_device = "20/min";  // POST /auth/register-device, per client address
  std::string login = "10/min";            // POST /v1/auth/login, per client address
};

// One plan's quota, in the chatpdf seed's terms. 0 means "no limit" for every count and size.
// Defined in [plans.NAME] tables of docent.toml; built-in plans are free, base, plus, ultimate
// and unlimited, and a [plans.NAME] table replaces the built-in of that name field by field.
struct PlanConfig {
  std::uint64_t file_size = 0;            // fileSize: largest upload, bytes
  std::vector<std::string> file_types;    // fileTypes: allowed extensions; empty = any
  std::int64_t file_per_day = 0;          // filePerDay
  std::int64_t file_per_month = 0;        // filePerMonth
  std::int64_t page_per_month = 0;        // pagePerMonth
  std::int64_t question_per_day = 0;      // questionPerDay
  std::int64_t question_per_month = 0;    // questionPerMonth
  std::int64_t file_capacity = 0;         // fileCappacity (sic, the seed's spelling): files kept at once
  bool self_service = false;              // may be chosen through PUT /user/upgrade-plan
  std::int64_t extraction_per_month = 0;  // extractionPerMonth: PDFs through /v1/extractions
  std::int64_t media_per_day = 0;         // mediaPerDay: media jobs (transcription, speech, ...)
  std::int64_t media_per_month = 0;       // mediaPerMonth
  std::int64_t rank = 0;                  // rank: orders plans; upgrade-plan never lowers an admin grant
};

// The built-in plans (before any [plans.NAME] table of the file).
std::map<std::string, PlanConfig> default_plans();

enum class ConfigSource { Default, File, Environment, Flag };

// "default", "file", "env", "flag".
std::string_view source_name(ConfigSource source);

// A default-constructed Config holds the built-in defaults.
struct Config {
  ServerConfig server;
  DataConfig data;
  LogConfig log;
  SecurityConfig security;
  LlmConfig llm;
  EmbeddingsConfig embeddings;
  SttConfig stt;
  TtsConfig tts;
  AccountsConfig accounts;
  ExtractionConfig extraction;
  IndexConfig index;
  LogsConfig logs;
  AuditConfig audit;
  MediaConfig media;
  VisionConfig vision;
  GenerationConfig generation;
  WebhooksConfig webhooks;
  LimitsConfig limits;
  std::map<std::string, PlanConfig> plans = default_plans();

  // Provenance, filled by load_config: every key of setting_table() -> where its value came from.
  std::map<std::string, ConfigSource> sources;
  std::string file_path;  // the TOML file that was read; empty when none
  // Non-fatal findings for the caller to log once logging is up, e.g. an unknown DOCENT_* variable.
  std::vector<std::string> warnings;

  // The source of `key`; Default for keys load_config never saw.
  ConfigSource source(std::string_view key) const;
};

// The C++ type of a setting: String -> std::string, Int -> int, Bytes -> std::uint64_t,
// Bool -> bool, Seconds -> std::chrono::seconds.
enum class SettingType { String, Int, Bytes, Bool, Seconds };

// "string", "int", "bytes", "bool", "seconds".
std::string_view type_name(SettingType type);

// A pointer to the Config member a setting fills.
using SettingRef = std::variant<std::string*, int*, std::uint64_t*, bool*, std::chrono::seconds*>;

// One row of the settings table.
struct SettingInfo {
  std::string_view key;        // dotted: "server.port" is `port` in the TOML table [server]
  std::string_view env;        // its environment variable, e.g. "DOCENT_PORT"
  SettingRef (*ref)(Config&);  // the member it fills
  std::string_view help;       // one line, for `--help` and docs
  bool secret = false;         // masked by render_config and never echoed in errors
  std::int64_t min = 0;        // Int, Bytes, Seconds: inclusive bounds; max 0 = the type's limit
  std::int64_t max = 0;
  std::vector<std::string_view> choices;  // String: allowed values (case-insensitive); empty = any
  // Derived by setting_table() from `ref` and a default-constructed Config:
  SettingType type = SettingType::String;
  std::string default_value;  // as render_config would show it, e.g. "20MiB", "30s"
};

// Every setting, in documentation order (grouped by section).
const std::vector<SettingInfo>& setting_table();

// The row for a dotted key, or nullptr.
const SettingInfo* find_setting(std::string_view key);

struct ConfigInputs {
  std::map<std::string, std::string> flags;   // dotted key -> value, e.g. {"server.port", "0"}
  std::map<std::string, std::string> env;     // the process environment (only DOCENT_* are read)
  std::optional<std::filesystem::path> file;  // explicit config file; an error if it doesn't exist
};

// Builds the effective configuration. The file is `in.file` if given, else $DOCENT_CONFIG (from
// in.env) if set, else ./docent.toml if it exists, else none; an explicitly named file that does
// not exist is a NotFound error. Values from the environment and flags are text, parsed and
// validated by the setting's type; TOML values may be native (integer, boolean) or text.
// Fails with InvalidInput naming the setting and its source for a bad value, for an unknown key in
// the file or among the flags (typos are errors, not ignored), and for a malformed file.
// Unknown DOCENT_* variables only add a warning.
Result<Config> load_config(const ConfigInputs& in);

// The DOCENT_* variables of this process's environment.
std::map<std::string, std::string> current_environment();

// The effective configuration as TOML, grouped by section, each line commented with its source.
// Loading the output gives the same configuration, except that secrets are masked: "****" plus
// their last 4 characters when longer than 12, else "****"; an unset secret shows as "".
// The [llm.upstreams.NAME] tables follow the sections, their keys masked the same way.
std::string render_config(const Config& config);

// Text parsers shared by every source (exposed for tests and the CLI).
// Byte sizes: "1048576", "512KiB", "20MB", "1g"... K/M/G/T with optional "B" or "iB", any case;
// all suffixes are powers of 1024. Fails on overflow, signs, fractions and unknown suffixes.
std::optional<std::uint64_t> parse_byte_size(std::string_view text);
// Durations in whole seconds: "30", "30s", "5m", "1h".
std::optional<std::chrono::seconds> parse_duration(std::string_view text);
// Booleans: true/false, yes/no, on/off, 1/0, any case.
std::optional<bool> parse_bool(std::string_view text);

}  // namespace docent::core
