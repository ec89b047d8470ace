#include "core/config.h"
#include "core/id.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <set>
#include <sstream>
#include <string>

namespace docent::core {
namespace {

namespace fs = std::filesystem;
using std::chrono::seconds;
using ::testing::HasSubstr;

class ConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::random_device rd;
    dir_ = fs::temp_directory_path() / ("docent_config_test_" + std::to_string(rd()) + std::to_string(rd()));
    fs::create_directories(dir_);
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  fs::path write(const std::string& name, const std::string& text) {
    const fs::path path = dir_ / name;
    std::ofstream(path) << text;
    return path;
  }

  // Loads with an explicit file holding `toml`.
  Result<Config> load(const std::string& toml, std::map<std::string, std::string> env = {},
                      std::map<std::string, std::string> flags = {}) {
    ConfigInputs in;
    in.file = write("docent.toml", toml);
    in.env = std::move(env);
    in.flags = std::move(flags);
    return load_config(in);
  }

  fs::path dir_;
};

// Runs a block with the working directory set to `dir`.
class CwdGuard {
 public:
  explicit CwdGuard(const fs::path& dir) : saved_(fs::current_path()) { fs::current_path(dir); }
  ~CwdGuard() { fs::current_path(saved_); }
  CwdGuard(const CwdGuard&) = delete;
  CwdGuard& operator=(const CwdGuard&) = delete;

 private:
  fs::path saved_;
};

std::string strip_comments(const std::string& text) {
  std::istringstream in(text);
  std::string out, line;
  while (std::getline(in, line)) {
    if (line.starts_with("#")) continue;
    const size_t hash = line.find("  # ");
    if (hash != std::string::npos) line.erase(hash);
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line + "\n";
  }
  return out;
}

TEST_F(ConfigTest, DefaultsWithNoFile) {
  CwdGuard cwd(dir_);  // no docent.toml here
  auto config = load_config({});
  ASSERT_TRUE(config.ok()) << config.error().message;
  EXPECT_EQ(config->file_path, "");
  EXPECT_EQ(config->server.host, "127.0.0.1");
  EXPECT_EQ(config->server.port, 8080);
  EXPECT_EQ(config->server.threads, 0);
  EXPECT_EQ(config->server.workers, 0);
  EXPECT_EQ(config->server.max_header_bytes, 16u * 1024);
  EXPECT_EQ(config->server.max_body_bytes, 1024u * 1024);
  EXPECT_EQ(config->server.max_upload_bytes, 20u * 1024 * 1024);
  EXPECT_EQ(config->server.json_max_depth, 64);
  EXPECT_EQ(config->server.request_timeout, seconds(30));
  EXPECT_EQ(config->server.idle_timeout, seconds(75));
  EXPECT_EQ(config->server.shutdown_grace, seconds(10));
  EXPECT_EQ(config->server.sse_heartbeat, seconds(15));
  EXPECT_EQ(config->server.cors_origins, "*");
  EXPECT_EQ(config->server.web_dir, "");
  EXPECT_EQ(config->data.dir, "./data");
  EXPECT_EQ(config->log.level, "info");
  EXPECT_EQ(config->log.format, "text");
  EXPECT_EQ(config->security.master_key, "");
  EXPECT_EQ(config->llm.url, "");
  EXPECT_EQ(config->llm.key, "");
  EXPECT_EQ(config->llm.model, "");
  EXPECT_EQ(config->sources.size(), setting_table().size());
  for (const auto& [key, source] : config->sources) EXPECT_EQ(source, ConfigSource::Default) << key;
  EXPECT_TRUE(config->warnings.empty());
}

TEST_F(ConfigTest, DefaultConstructedConfigHoldsTheDefaults) {
  CwdGuard cwd(dir_);
  auto loaded = load_config({});
  ASSERT_TRUE(loaded.ok());
  EXPECT_EQ(strip_comments(render_config(Config{})), strip_comments(render_config(*loaded)));
}

TEST_F(ConfigTest, FindsDocentTomlInWorkingDirectory) {
  write("docent.toml", "[server]\nport = 9001\n");
  CwdGuard cwd(dir_);
  auto config = load_config({});
  ASSERT_TRUE(config.ok()) << config.error().message;
  EXPECT_EQ(config->server.port, 9001);
  EXPECT_EQ(config->source("server.port"), ConfigSource::File);
  EXPECT_EQ(fs::path(config->file_path), fs::absolute(dir_ / "docent.toml").lexically_normal());
}

TEST_F(ConfigTest, DocentConfigEnvNamesTheFile) {
  const fs::path path = write("other.toml", "[server]\nport = 9002\n");
  ConfigInputs in;
  in.env = {{"DOCENT_CONFIG", path.string()}};
  auto config = load_config(in);
  ASSERT_TRUE(config.ok()) << config.error().message;
  EXPECT_EQ(config->server.port, 9002);
  EXPECT_TRUE(config->warnings.empty());  // DOCENT_CONFIG is not an unknown variable
}

TEST_F(ConfigTest, ExplicitFileWinsOverDocentConfig) {
  ConfigInputs in;
  in.file = write("a.toml", "[server]\nport = 1111\n");
  in.env = {{"DOCENT_CONFIG", write("b.toml", "[server]\nport = 2222\n").string()}};
  auto config = load_config(in);
  ASSERT_TRUE(config.ok()) << config.error().message;
  EXPECT_EQ(config->server.port, 1111);
}

TEST_F(ConfigTest, MissingExplicitFileIsAnError) {
  ConfigInputs in;
  in.file = dir_ / "nope.toml";
  auto config = load_config(in);
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.error().code, Code::NotFound);
  EXPECT_THAT(config.error().message, HasSubstr("nope.toml"));
}

TEST_F(ConfigTest, MissingDocentConfigFileIsAnError) {
  ConfigInputs in;
  in.env = {{"DOCENT_CONFIG", (dir_ / "gone.toml").string()}};
  auto config = load_config(in);
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.error().code, Code::NotFound);
  EXPECT_THAT(config.error().message, HasSubstr("DOCENT_CONFIG"));
  EXPECT_THAT(config.error().message, HasSubstr("gone.toml"));
}

TEST_F(ConfigTest, TomlOverridesDefault) {
  auto config = load("[server]\nport = 9000\n");
  ASSERT_TRUE(config.ok()) << config.error().message;
  EXPECT_EQ(config->server.port, 9000);
  EXPECT_EQ(config->source("server.port"), ConfigSource::File);
  EXPECT_EQ(config->source("server.host"), ConfigSource::Default);
}

TEST_F(ConfigTest, EnvOverridesToml) {
  auto config = load("[server]\nport = 9000\n", {{"DOCENT_PORT", "9100"}});
  ASSERT_TRUE(config.ok()) << config.error().message;
  EXPECT_EQ(config->server.port, 9100);
  EXPECT_EQ(config->source("server.port"), ConfigSource::Environment);
}

TEST_F(ConfigTest, FlagOverridesEnv) {
  auto config = load("[server]\nport = 9000\n", {{"DOCENT_PORT", "9100"}}, {{"server.port", "0"}});
  ASSERT_TRUE(config.ok()) << config.error().message;
  EXPECT_EQ(config->server.port, 0);
  EXPECT_EQ(config->source("server.port"), ConfigSource::Flag);
}

TEST_F(ConfigTest, EverySettingHasAnEnvironmentVariable) {
  std::map<std::string, std::string> env = {
      {"DOCENT_HOST", "0.0.0.0"},
      {"DOCENT_PORT", "1"},
      {"DOCENT_THREADS", "2"},
      {"DOCENT_WORKERS", "3"},
      {"DOCENT_MAX_HEADER_BYTES", "8KiB"},
      {"DOCENT_MAX_BODY_BYTES", "2MB"},
      {"DOCENT_MAX_UPLOAD_BYTES", "1GiB"},
      {"DOCENT_JSON_MAX_DEPTH", "10"},
      {"DOCENT_REQUEST_TIMEOUT", "1m"},
      {"DOCENT_IDLE_TIMEOUT", "2h"},
      {"DOCENT_SHUTDOWN_GRACE", "0"},
      {"DOCENT_SSE_HEARTBEAT", "5s"},
      {"DOCENT_MAX_STREAMS", "100"},
      {"DOCENT_CORS_ORIGINS", "https://a.example"},
      {"DOCENT_WEB_DIR", "/srv/web"},
      {"DOCENT_DATA", "/var/lib/docent"},
      {"DOCENT_LOG_LEVEL", "DEBUG"},
      {"DOCENT_LOG_FORMAT", "json"},
      {"DOCENT_MASTER_KEY", "mk"},
      {"DOCENT_ENCRYPTION_WINDOW", "2m"},
      {"DOCENT_LLM_URL", "http://127.0.0.1:9999/v1"},
      {"DOCENT_LLM_KEY", "lk"},
      {"DOCENT_LLM_MODEL", "m"},
      {"DOCENT_DEFAULT_PLAN", "base"},
      {"DOCENT_DEVICE_PLAN", "plus"},
      {"DOCENT_SELF_UPGRADE", "off"},
      {"DOCENT_LLM_ALLOW_PRIVATE", "yes"},
      {"DOCENT_LLM_CONNECT_TIMEOUT", "3"},
      {"DOCENT_LLM_READ_TIMEOUT", "5m"},
      {"DOCENT_LLM_RETRIES", "0"},
      {"DOCENT_LLM_MODELS_CACHE", "0"},
      {"DOCENT_EMBEDDINGS_URL", "http://e.example/v1"},
      {"DOCENT_EMBEDDINGS_KEY", "ek"},
      {"DOCENT_EMBEDDINGS_MODEL", "bge"},
      {"DOCENT_STT_URL", "http://127.0.0.1:9998/v1"},
      {"DOCENT_STT_KEY", "sk"},
      {"DOCENT_STT_MODEL", "whisper-1"},
      {"DOCENT_STT_MAX_SECONDS", "60"},
      {"DOCENT_STT_TIMEOUT", "30s"},
      {"DOCENT_TTS_URL", "http://127.0.0.1:9997/v1"},
      {"DOCENT_TTS_KEY", "tk"},
      {"DOCENT_TTS_MODEL", "kokoro"},
      {"DOCENT_EXTRACTION_MAX_FILES", "5"},
      {"DOCENT_EXTRACTION_MAX_PAGES", "50"},
      {"DOCENT_EXTRACTION_CONCURRENCY", "4"},
      {"DOCENT_EXTRACTION_TIMEOUT", "1m"},
      {"DOCENT_EXTRACTION_MODEL", "qwen"},
      {"DOCENT_INDEX_CHECKPOINT_INTERVAL", "30s"},
      {"DOCENT_INDEX_TEST_REPLAY_PAUSE_MS", "5"},
      {"DOCENT_LOGS_RETENTION_DAYS", "7"},
      {"DOCENT_LOGS_MAX_PER_ACCOUNT", "1000"},
      {"DOCENT_LOGS_SWEEP_INTERVAL", "10m"},
      {"DOCENT_AUDIT_RETENTION_DAYS", "90"},
      {"DOCENT_MEDIA_RETENTION", "2h"},
      {"DOCENT_MEDIA_IMAGE_TIMEOUT", "30s"},
      {"DOCENT_MEDIA_IMAGE_MAX_PIXELS", "1000000"},
      {"DOCENT_MEDIA_VOICE_TIMEOUT", "5m"},
      {"DOCENT_GENERATION_IMAGE_URL", "http://image.example/v1"},
      {"DOCENT_GENERATION_IMAGE_KEY", "ik"},
      {"DOCENT_GENERATION_IMAGE_MODEL", "image-model"},
      {"DOCENT_GENERATION_VIDEO_URL", "http://video.example/v1"},
      {"DOCENT_GENERATION_VIDEO_KEY", "vk"},
      {"DOCENT_GENERATION_VIDEO_MODEL", "video-model"},
      {"DOCENT_GENERATION_MUSIC_URL", "http://music.example/v1"},
      {"DOCENT_GENERATION_MUSIC_KEY", "mk"},
      {"DOCENT_GENERATION_MUSIC_MODEL", "music-model"},
      {"DOCENT_GENERATION_TIMEOUT", "20m"},
      {"DOCENT_VISION_URL", "http://v.example/v1"},
      {"DOCENT_VISION_KEY", "vk"},
      {"DOCENT_VISION_MODEL", "llava"},
      {"DOCENT_VISION_IMAGE_HOSTS", "img.example"},
      {"DOCENT_WEBHOOKS_ALLOW_PRIVATE", "yes"},
      {"DOCENT_WEBHOOKS_ALLOW_HTTP", "yes"},
      {"DOCENT_WEBHOOKS_TIMEOUT", "3s"},
      {"DOCENT_WEBHOOKS_WORKERS", "1"},
      {"DOCENT_WEBHOOKS_MAX_FAILURES", "5"},
      {"DOCENT_WEBHOOKS_RETRY_SCHEDULE", "1s,2s"},
      {"DOCENT_LIMITS_STORE", "database"},
      {"DOCENT_LIMITS_SPHERECHAT_PDF", "1/min"},
      {"DOCENT_LIMITS_SPHERECHAT_CHAT", "2/min"},
      {"DOCENT_LIMITS_SPHERECHAT_GENERATION", "3/min"},
      {"DOCENT_LIMITS_NEXUS_TEXT", "4/min"},
      {"DOCENT_LIMITS_NEXUS_IMAGE", "5/min"},
      {"DOCENT_LIMITS_NEXUS_VOICE", "6/min"},
      {"DOCENT_LIMITS_NEXUS_SESSIONS", "7/min"},
      {"DOCENT_LIMITS_NEXUS_GLOBAL", "8/min"},
      {"DOCENT_LIMITS_CHATBOT_STANDARD", "9/min"},
      {"DOCENT_LIMITS_CHATBOT_PREMIUM", "10/min"},
      {"DOCENT_LIMITS_CHATBOT_ENTERPRISE", "11/min"},
      {"DOCENT_LIMITS_NATIVE_DEFAULT", "12/min"},
      {"DOCENT_LIMITS_REGISTER_DEVICE", "13/min"},
      {"DOCENT_LIMITS_LOGIN", "14/min"},
  };
  auto config = load("", env);
  ASSERT_TRUE(config.ok()) << config.error().message;
  EXPECT_EQ(config->server.host, "0.0.0.0");
  EXPECT_EQ(config->server.max_streams, 100);
  EXPECT_EQ(config->security.encryption_window, std::chrono::seconds(120));
  EXPECT_EQ(config->accounts.default_plan, "base");
  EXPECT_EQ(config->accounts.device_plan, "plus");
  EXPECT_FALSE(config->accounts.self_upgrade);
  EXPECT_EQ(config->server.port, 1);
  EXPECT_EQ(config->server.threads, 2);
  EXPECT_EQ(config->server.workers, 3);
  EXPECT_EQ(config->server.max_header_bytes, 8u * 1024);
  EXPECT_EQ(config->server.max_body_bytes, 2u * 1024 * 1024);
  EXPECT_EQ(config->server.max_upload_bytes, 1024u * 1024 * 1024);
  EXPECT_EQ(config->server.json_max_depth, 10);
  EXPECT_EQ(config->server.request_timeout, seconds(60));
  EXPECT_EQ(config->server.idle_timeout, seconds(7200));
  EXPECT_EQ(config->server.shutdown_grace, seconds(0));
  EXPECT_EQ(config->server.sse_heartbeat, seconds(5));
  EXPECT_EQ(config->server.cors_origins, "https://a.example");
  EXPECT_EQ(config->server.web_dir, "/srv/web");
  EXPECT_EQ(config->data.dir, "/var/lib/docent");
  EXPECT_EQ(config->log.level, "debug");  // normalized to the canonical choice
  EXPECT_EQ(config->log.format, "json");
  EXPECT_EQ(config->security.master_key, "mk");
  EXPECT_EQ(config->llm.url, "http://127.0.0.1:9999/v1");
  EXPECT_EQ(config->llm.key, "lk");
  EXPECT_EQ(config->llm.model, "m");
  EXPECT_TRUE(config->llm.allow_private);
  EXPECT_EQ(config->llm.connect_timeout, seconds(3));
  EXPECT_EQ(config->llm.read_timeout, seconds(300));
  EXPECT_EQ(config->llm.retries, 0);
  EXPECT_EQ(config->llm.models_cache, seconds(0));
  EXPECT_EQ(config->embeddings.url, "http://e.example/v1");
  EXPECT_EQ(config->embeddings.key, "ek");
  EXPECT_EQ(config->embeddings.model, "bge");
  EXPECT_EQ(config->extraction.max_files, 5);
  EXPECT_EQ(config->extraction.max_pages, 50);
  EXPECT_EQ(config->extraction.concurrency, 4);
  EXPECT_EQ(config->extraction.timeout, seconds(60));
  EXPECT_EQ(config->extraction.model, "qwen");
  EXPECT_EQ(config->index.checkpoint_interval, seconds(30));
  EXPECT_EQ(config->index.test_replay_pause_ms, 5);
  EXPECT_EQ(config->logs.retention_days, 7);
  EXPECT_EQ(config->logs.max_per_account, 1000);
  EXPECT_EQ(config->logs.sweep_interval, seconds(600));
  EXPECT_EQ(config->audit.retention_days, 90);
  EXPECT_EQ(config->media.voice_timeout, seconds(300));
  EXPECT_EQ(config->generation.image_url, "http://image.example/v1");
  EXPECT_EQ(config->generation.video_model, "video-model");
  EXPECT_EQ(config->generation.music_key, "mk");
  EXPECT_EQ(config->generation.timeout, seconds(1200));
  EXPECT_TRUE(config->webhooks.allow_private);
  EXPECT_TRUE(config->webhooks.allow_http);
  EXPECT_EQ(config->webhooks.timeout, seconds(3));
  EXPECT_EQ(config->webhooks.workers, 1);
  EXPECT_EQ(config->webhooks.max_failures, 5);
  EXPECT_EQ(config->webhooks.retry_schedule, "1s,2s");
  EXPECT_EQ(config->limits.store, "database");
  EXPECT_EQ(config->limits.spherechat_pdf, "1/min");
  EXPECT_EQ(config->limits.spherechat_chat, "2/min");
  EXPECT_EQ(config->limits.spherechat_generation, "3/min");
  EXPECT_EQ(config->limits.nexus_text, "4/min");
  EXPECT_EQ(config->limits.nexus_image, "5/min");
  EXPECT_EQ(config->limits.nexus_voice, "6/min");
  EXPECT_EQ(config->limits.nexus_sessions, "7/min");
  EXPECT_EQ(config->limits.nexus_global, "8/min");
  EXPECT_EQ(config->limits.chatbot_standard, "9/min");
  EXPECT_EQ(config->limits.chatbot_premium, "10/min");
  EXPECT_EQ(config->limits.chatbot_enterprise, "11/min");
  EXPECT_EQ(config->limits.native_default, "12/min");
  EXPECT_EQ(config->limits.register_device, "13/min");
  EXPECT_EQ(config->limits.login, "14/min");
  for (const auto& [key, source] : config->sources) EXPECT_EQ(source, ConfigSource::Environment) << key;
}

TEST_F(ConfigTest, TomlAcceptsNativeValuesAndStrings) {
  auto config = load(R"(
[server]
host = "0.0.0.0"
port = "9003"
max_upload_bytes = "512KiB"
max_body_bytes = 4096
request_timeout = "5m"
idle_timeout = 90

[log]
level = "warn"
)");
  ASSERT_TRUE(config.ok()) << config.error().message;
  EXPECT_EQ(config->server.host, "0.0.0.0");
  EXPECT_EQ(config->server.port, 9003);
  EXPECT_EQ(config->server.max_upload_bytes, 512u * 1024);
  EXPECT_EQ(config->server.max_body_bytes, 4096u);
  EXPECT_EQ(config->server.request_timeout, seconds(300));
  EXPECT_EQ(config->server.idle_timeout, seconds(90));
  EXPECT_EQ(config->log.level, "warn");
}

TEST_F(ConfigTest, BadTomlValueNamesFileAndKey) {
  auto config = load("[server]\nport = \"abc\"\n");
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.error().code, Code::InvalidInput);
  EXPECT_EQ(config.error().field, "server.port");
  EXPECT_THAT(config.error().message, HasSubstr("docent.toml: server.port"));
  EXPECT_THAT(config.error().message, HasSubstr("'abc' is not an integer"));
}

TEST_F(ConfigTest, WrongTomlTypeIsAnError) {
  auto config = load("[server]\nport = 80.5\n");
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(config.error().message, HasSubstr("server.port: expected int, got a float"));

  config = load("[server]\nhost = 5\n");
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(config.error().message, HasSubstr("server.host: expected string, got an integer"));

  config = load("[server]\nidle_timeout = true\n");
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(config.error().message, HasSubstr("server.idle_timeout"));
}

TEST_F(ConfigTest, BadEnvValueNamesVariableAndKey) {
  auto config = load("", {{"DOCENT_PORT", "abc"}});
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.error().code, Code::InvalidInput);
  EXPECT_EQ(config.error().field, "server.port");
  EXPECT_EQ(config.error().message, "DOCENT_PORT (server.port): 'abc' is not an integer");
}

TEST_F(ConfigTest, BadFlagValueNamesKey) {
  auto config = load("", {}, {{"server.request_timeout", "soon"}});
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.error().code, Code::InvalidInput);
  EXPECT_EQ(config.error().field, "server.request_timeout");
  EXPECT_THAT(config.error().message, HasSubstr("flag server.request_timeout"));
  EXPECT_THAT(config.error().message, HasSubstr("'soon' is not a duration"));
}

TEST_F(ConfigTest, OutOfRangeAndInvalidChoices) {
  auto config = load("", {{"DOCENT_PORT", "65536"}});
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(config.error().message, HasSubstr("out of range (0..65535)"));

  config = load("", {{"DOCENT_THREADS", "-1"}});
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(config.error().message, HasSubstr("DOCENT_THREADS"));

  config = load("", {}, {{"server.max_body_bytes", "0"}});
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(config.error().message, HasSubstr("at least 1"));

  config = load("[log]\nlevel = \"loud\"\n");
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.error().field, "log.level");
  EXPECT_THAT(config.error().message, HasSubstr("'loud' is not one of trace, debug, info, warn, error, off"));

  config = load("", {{"DOCENT_LOG_FORMAT", "xml"}});
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(config.error().message, HasSubstr("DOCENT_LOG_FORMAT (log.format)"));

  config = load("", {{"DOCENT_MAX_UPLOAD_BYTES", "20XB"}});
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(config.error().message, HasSubstr("is not a byte size"));
}

TEST_F(ConfigTest, BadSecretIsNotEchoed) {
  // No secret has validation today; a wrong TOML type is the way to fail one.
  auto config = load("[llm]\nkey = 12345\n");
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.error().field, "llm.key");
  EXPECT_EQ(config.error().message.find("12345"), std::string::npos);
}

TEST_F(ConfigTest, UnknownTomlKeysAreErrors) {
  auto config = load("[server]\nprot = 1\n");
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.error().code, Code::InvalidInput);
  EXPECT_THAT(config.error().message, HasSubstr("unknown setting server.prot (did you mean server.port?)"));

  config = load("port = 1\n[serve]\nhost = \"x\"\n[extra]\n");
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(config.error().message, HasSubstr("unknown settings"));
  EXPECT_THAT(config.error().message, HasSubstr("port"));
  EXPECT_THAT(config.error().message, HasSubstr("serve.host (did you mean server.host?)"));
  EXPECT_THAT(config.error().message, HasSubstr("extra"));

  config = load("[server.tls]\ncert = \"x\"\n");
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(config.error().message, HasSubstr("server.tls"));
}

TEST_F(ConfigTest, MalformedTomlNamesFileAndLine) {
  auto config = load("[server]\nport = = 3\n");
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.error().code, Code::InvalidInput);
  EXPECT_THAT(config.error().message, HasSubstr("docent.toml:2:"));
}

TEST_F(ConfigTest, UnknownFlagIsAnError) {
  auto config = load("", {}, {{"server.prot", "1"}});
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.error().code, Code::InvalidInput);
  EXPECT_THAT(config.error().message, HasSubstr("server.prot"));
  EXPECT_THAT(config.error().message, HasSubstr("did you mean server.port?"));
}

TEST_F(ConfigTest, UnknownDocentEnvIsAWarning) {
  auto config = load("", {{"DOCENT_PROT", "1"}, {"HOME", "/root"}});
  ASSERT_TRUE(config.ok()) << config.error().message;
  ASSERT_EQ(config->warnings.size(), 1u);
  EXPECT_THAT(config->warnings[0], HasSubstr("DOCENT_PROT"));
  EXPECT_THAT(config->warnings[0], HasSubstr("did you mean DOCENT_PORT?"));
}

TEST(ConfigParse, ByteSizes) {
  EXPECT_EQ(parse_byte_size("0"), 0u);
  EXPECT_EQ(parse_byte_size("1048576"), 1048576u);
  EXPECT_EQ(parse_byte_size("100B"), 100u);
  EXPECT_EQ(parse_byte_size("512KiB"), 512u * 1024);
  EXPECT_EQ(parse_byte_size("512kb"), 512u * 1024);
  EXPECT_EQ(parse_byte_size("16k"), 16u * 1024);
  EXPECT_EQ(parse_byte_size("20MB"), 20u * 1024 * 1024);
  EXPECT_EQ(parse_byte_size("20 MiB"), 20u * 1024 * 1024);
  EXPECT_EQ(parse_byte_size(" 2G "), 2ull * 1024 * 1024 * 1024);
  EXPECT_EQ(parse_byte_size("1TiB"), 1ull << 40);
  EXPECT_EQ(parse_byte_size("18446744073709551615"), 18446744073709551615ull);
  EXPECT_FALSE(parse_byte_size(""));
  EXPECT_FALSE(parse_byte_size("MB"));
  EXPECT_FALSE(parse_byte_size("-1"));
  EXPECT_FALSE(parse_byte_size("+1"));
  EXPECT_FALSE(parse_byte_size("1.5MB"));
  EXPECT_FALSE(parse_byte_size("20XB"));
  EXPECT_FALSE(parse_byte_size("20MBB"));
  EXPECT_FALSE(parse_byte_size("18446744073709551616"));
  EXPECT_FALSE(parse_byte_size("17179869184GiB"));  // 2^34 GiB overflows
}

TEST(ConfigParse, Durations) {
  EXPECT_EQ(parse_duration("30"), seconds(30));
  EXPECT_EQ(parse_duration("30s"), seconds(30));
  EXPECT_EQ(parse_duration("5m"), seconds(300));
  EXPECT_EQ(parse_duration("1h"), seconds(3600));
  EXPECT_EQ(parse_duration("0"), seconds(0));
  EXPECT_EQ(parse_duration(" 2 h "), seconds(7200));
  EXPECT_FALSE(parse_duration(""));
  EXPECT_FALSE(parse_duration("s"));
  EXPECT_FALSE(parse_duration("-5s"));
  EXPECT_FALSE(parse_duration("1.5h"));
  EXPECT_FALSE(parse_duration("10ms"));
  EXPECT_FALSE(parse_duration("1d"));
  EXPECT_FALSE(parse_duration("1h30m"));
  EXPECT_FALSE(parse_duration("99999999999999999999"));
  EXPECT_FALSE(parse_duration("9223372036854775807h"));
}

TEST(ConfigParse, Booleans) {
  for (const char* t : {"true", "TRUE", "yes", "on", "1"}) EXPECT_EQ(parse_bool(t), true) << t;
  for (const char* f : {"false", "No", "off", "0"}) EXPECT_EQ(parse_bool(f), false) << f;
  EXPECT_FALSE(parse_bool("maybe"));
  EXPECT_FALSE(parse_bool(""));
}

TEST_F(ConfigTest, RenderShowsSourcesAndMasksSecrets) {
  const std::string master = "mk-0123456789abcdefWXYZ";  // longer than 12: last 4 shown
  const std::string llm_key = "short-key";               // 12 or fewer: fully masked
  auto config = load("[server]\nhost = \"0.0.0.0\"\n", {{"DOCENT_PORT", "9100"}, {"DOCENT_MASTER_KEY", master}},
                     {{"llm.key", llm_key}, {"server.max_upload_bytes", "1000"}});
  ASSERT_TRUE(config.ok()) << config.error().message;
  const std::string text = render_config(*config);

  EXPECT_EQ(text.find(master), std::string::npos) << text;
  EXPECT_EQ(text.find(llm_key), std::string::npos) << text;
  EXPECT_EQ(text.find("0123456789"), std::string::npos) << text;
  EXPECT_THAT(text, HasSubstr("master_key = \"****WXYZ\""));
  EXPECT_THAT(text, HasSubstr("key = \"****\""));
  EXPECT_THAT(text, HasSubstr("[server]"));
  EXPECT_THAT(text, HasSubstr("[security]"));
  EXPECT_THAT(text, ::testing::ContainsRegex("host = \"0\\.0\\.0\\.0\" +# file\n"));
  EXPECT_THAT(text, ::testing::ContainsRegex("port = 9100 +# env DOCENT_PORT\n"));
  EXPECT_THAT(text, ::testing::ContainsRegex("key = \"\\*\\*\\*\\*\" +# flag\n"));
  EXPECT_THAT(text, ::testing::ContainsRegex("max_upload_bytes = 1000 +# flag\n"));
  EXPECT_THAT(text, ::testing::ContainsRegex("max_body_bytes = \"1MiB\" +# default\n"));
  EXPECT_THAT(text, ::testing::ContainsRegex("request_timeout = \"30s\" +# default\n"));
  EXPECT_THAT(text, HasSubstr(config->file_path));
}

TEST_F(ConfigTest, RenderShowsUnsetSecretsAsEmpty) {
  const std::string text = render_config(Config{});
  EXPECT_THAT(text, ::testing::ContainsRegex("master_key = \"\" +# default\n"));
  EXPECT_THAT(text, ::testing::ContainsRegex("\nkey = \"\" +# default\n"));
}

TEST_F(ConfigTest, RenderedConfigLoadsBackToTheSameValues) {
  auto original = load("", {{"DOCENT_HOST", "h \"quoted\" \\ back"},
                            {"DOCENT_IDLE_TIMEOUT", "120"},
                            {"DOCENT_MAX_UPLOAD_BYTES", "3000"},
                            {"DOCENT_REQUEST_TIMEOUT", "2h"}});
  ASSERT_TRUE(original.ok()) << original.error().message;
  const std::string text = render_config(*original);
  ConfigInputs in;
  in.file = write("rendered.toml", text);
  auto reloaded = load_config(in);
  ASSERT_TRUE(reloaded.ok()) << reloaded.error().message << "\n" << text;
  EXPECT_EQ(reloaded->server.host, "h \"quoted\" \\ back");
  EXPECT_EQ(reloaded->server.idle_timeout, seconds(120));
  EXPECT_EQ(strip_comments(render_config(*reloaded)), strip_comments(text));
  for (const auto& [key, source] : reloaded->sources) EXPECT_EQ(source, ConfigSource::File) << key;
}

TEST_F(ConfigTest, NamedUpstreamsKeepFileOrderAndOptionalModels) {
  auto config = load(
      "[llm]\nurl = \"http://a.example/v1\"\n"
      "[llm.upstreams.zeta]\nurl = \"http://z.example/v1\"\nkey = \"zeta-key\"\n"
      "[llm.upstreams.alpha]\nurl = \"http://b.example/v1\"\nmodels = [\"qwen\", \"mistral\"]\n");
  ASSERT_TRUE(config.ok()) << config.error().message;
  EXPECT_EQ(config->llm.url, "http://a.example/v1");
  ASSERT_EQ(config->llm.upstreams.size(), 2u);
  EXPECT_EQ(config->llm.upstreams[0].name, "zeta");  // the file's order, not the keys' order
  EXPECT_EQ(config->llm.upstreams[0].key, "zeta-key");
  EXPECT_FALSE(config->llm.upstreams[0].models.has_value());
  EXPECT_EQ(config->llm.upstreams[1].name, "alpha");
  EXPECT_EQ(config->llm.upstreams[1].url, "http://b.example/v1");
  EXPECT_EQ(config->llm.upstreams[1].models, (std::vector<std::string>{"qwen", "mistral"}));

  const std::string text = render_config(*config);
  EXPECT_EQ(text.find("zeta-key"), std::string::npos) << text;
  EXPECT_THAT(text, HasSubstr("[llm.upstreams.zeta]\nurl = \"http://z.example/v1\"  # file\nkey = \"****\"  # file\n"));
  EXPECT_THAT(text, HasSubstr("models = [\"qwen\", \"mistral\"]"));
  ConfigInputs in;
  in.file = write("rendered.toml", text);
  auto reloaded = load_config(in);
  ASSERT_TRUE(reloaded.ok()) << reloaded.error().message << "\n" << text;
  ASSERT_EQ(reloaded->llm.upstreams.size(), 2u);
  EXPECT_EQ(reloaded->llm.upstreams[0].name, "zeta");
  EXPECT_EQ(strip_comments(render_config(*reloaded)), strip_comments(text));
}

TEST_F(ConfigTest, ANamedUpstreamsKeyMayComeFromTheEnvironment) {
  auto config = load("[llm.upstreams.gpu-box]\nurl = \"http://g.example/v1\"\nkey = \"from-the-file\"\n",
                     {{"DOCENT_LLM_UPSTREAMS_GPU_BOX_KEY", "from-the-environment-9876"}});
  ASSERT_TRUE(config.ok()) << config.error().message;
  ASSERT_EQ(config->llm.upstreams.size(), 1u);
  EXPECT_EQ(config->llm.upstreams[0].key, "from-the-environment-9876");
  EXPECT_TRUE(config->warnings.empty()) << config->warnings.front();  // a known variable
  const std::string text = render_config(*config);
  EXPECT_THAT(text, ::testing::ContainsRegex("key = \"\\*\\*\\*\\*9876\" +# env DOCENT_LLM_UPSTREAMS_GPU_BOX_KEY\n"));
}

TEST_F(ConfigTest, BadNamedUpstreamsAreErrorsNamingTheSetting) {
  struct Case {
    std::string toml, field;
  };
  const std::vector<Case> cases = {
      {"[llm.upstreams.gpu]\nkey = \"k\"\n", "llm.upstreams.gpu.url"},
      {"[llm.upstreams.gpu]\nurl = \"http://x/v1\"\nmodel = \"m\"\n", "llm.upstreams.gpu.model"},
      {"[llm.upstreams.gpu]\nurl = \"http://x/v1\"\nmodels = []\n", "llm.upstreams.gpu.models"},
      {"[llm.upstreams.gpu]\nurl = \"http://x/v1\"\nmodels = \"m\"\n", "llm.upstreams.gpu.models"},
      {"[llm.upstreams.gpu]\nurl = 5\n", "llm.upstreams.gpu.url"},
      {"[llm.upstreams.default]\nurl = \"http://x/v1\"\n", "llm.upstreams.default"},
      {"[llm.upstreams.\"a b\"]\nurl = \"http://x/v1\"\n", "llm.upstreams.a b"},
      {"[llm]\nupstreams = 3\n", "llm.upstreams"},
  };
  for (const auto& c : cases) {
    auto config = load(c.toml);
    ASSERT_FALSE(config.ok()) << c.toml;
    EXPECT_EQ(config.error().code, Code::InvalidInput) << c.toml;
    EXPECT_EQ(config.error().field, c.field) << c.toml << " -> " << config.error().message;
  }
}

TEST_F(ConfigTest, SettingTableRowsAreConsistent) {
  const fs::path empty = write("empty.toml", "");
  std::set<std::string_view> keys, envs;
  for (const SettingInfo& row : setting_table()) {
    EXPECT_TRUE(keys.insert(row.key).second) << "duplicate key " << row.key;
    EXPECT_TRUE(envs.insert(row.env).second) << "duplicate env " << row.env;
    EXPECT_TRUE(row.env.starts_with("DOCENT_")) << row.env;
    EXPECT_NE(row.key.find('.'), std::string_view::npos) << row.key;
    EXPECT_FALSE(row.help.empty()) << row.key;
    EXPECT_EQ(find_setting(row.key), &row);
    // Every default passes its own validation.
    ConfigInputs in;
    in.file = empty;
    in.flags = {{std::string(row.key), row.default_value}};
    auto config = load_config(in);
    EXPECT_TRUE(config.ok()) << row.key << ": " << config.error().message;
  }
  EXPECT_EQ(setting_table().size(), 92u);
  EXPECT_EQ(find_setting("server.nope"), nullptr);
  EXPECT_EQ(find_setting("server.max_upload_bytes")->type, SettingType::Bytes);
  EXPECT_EQ(find_setting("server.max_upload_bytes")->default_value, "20MiB");
  EXPECT_EQ(find_setting("server.request_timeout")->type, SettingType::Seconds);
  EXPECT_EQ(find_setting("server.request_timeout")->default_value, "30s");
  EXPECT_EQ(find_setting("server.port")->type, SettingType::Int);
  EXPECT_EQ(find_setting("server.port")->default_value, "8080");
  EXPECT_TRUE(find_setting("security.master_key")->secret);
  EXPECT_TRUE(find_setting("llm.key")->secret);
  EXPECT_FALSE(find_setting("llm.url")->secret);
  EXPECT_TRUE(find_setting("embeddings.key")->secret);
}

TEST(CurrentEnvironment, ReadsOnlyDocentVariables) {
  ::setenv("DOCENT_CONFIG_TEST_VAR", "a=b", 1);
  ::setenv("NOT_DOCENT_CONFIG_TEST_VAR", "x", 1);
  const auto env = current_environment();
  ::unsetenv("DOCENT_CONFIG_TEST_VAR");
  ::unsetenv("NOT_DOCENT_CONFIG_TEST_VAR");
  ASSERT_TRUE(env.contains("DOCENT_CONFIG_TEST_VAR"));
  EXPECT_EQ(env.at("DOCENT_CONFIG_TEST_VAR"), "a=b");
  EXPECT_FALSE(env.contains("NOT_DOCENT_CONFIG_TEST_VAR"));
  EXPECT_FALSE(env.contains("PATH"));
}

TEST_F(ConfigTest, RateLimitsMustBeRates) {
  auto bad = load("", {{"DOCENT_LIMITS_NEXUS_TEXT", "ten a minute"}});
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("limits.nexus_text"), std::string::npos) << bad.error().message;
  auto off = load("", {{"DOCENT_LIMITS_NEXUS_TEXT", "off"}, {"DOCENT_LIMITS_LOGIN", "3/2s"}});
  ASSERT_TRUE(off.ok()) << off.error().message;
  EXPECT_EQ(off->limits.login, "3/2s");
  EXPECT_FALSE(load("", {{"DOCENT_LIMITS_STORE", "redis"}}).ok());
}

}  // namespace
}  // namespace docent::core

namespace docent::core {
namespace {

TEST(ConfigPlans, BuiltInPlansAndFileOverrides) {
  auto dir = std::filesystem::temp_directory_path() / ("docent-plans-" + random_hex(6));
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "p.toml") << "[accounts]\ndefault_plan = \"team\"\n"
                                   "[plans.free]\nquestionPerDay = 5\n"
                                   "[plans.team]\nfileSize = \"64MiB\"\nfileTypes = [\"pdf\", \"docx\"]\n"
                                   "fileCappacity = 40\nselfService = true\n";
  ConfigInputs in;
  in.file = dir / "p.toml";
  auto config = load_config(in);
  ASSERT_TRUE(config.ok()) << config.error().message;
  EXPECT_EQ(config->plans.at("free").question_per_day, 5);
  EXPECT_EQ(config->plans.at("free").file_per_day, 1);  // untouched fields keep the built-in value
  EXPECT_EQ(config->plans.at("team").file_size, 64u * 1024 * 1024);
  EXPECT_EQ(config->plans.at("team").file_types, (std::vector<std::string>{"pdf", "docx"}));
  EXPECT_EQ(config->plans.at("team").file_capacity, 40);
  EXPECT_TRUE(config->plans.at("team").self_service);
  EXPECT_TRUE(config->plans.count("ultimate"));

  std::ofstream(dir / "bad.toml") << "[plans.free]\nquestionsPerDay = 5\n";
  in.file = dir / "bad.toml";
  auto bad = load_config(in);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("plans.free.questionsPerDay"), std::string::npos);

  ConfigInputs missing;
  missing.flags["accounts.device_plan"] = "nope";
  EXPECT_FALSE(load_config(missing).ok());
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace docent::core
