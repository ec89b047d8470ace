#include "app/payload_encryption.h"

#include "core/crypto.h"
#include "core/log.h"
#include "core/payload_crypto.h"
#include "core/time.h"
#include "services/principal.h"

#include <openssl/crypto.h>

#include <algorithm>
#include <any>
#include <cctype>
#include <fstream>
#include <iterator>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <utility>

namespace docent::app {

namespace {

using core::crypto::PayloadDirection;
using core::crypto::PayloadKeys;

constexpr std::string_view kVersionHeader = "X-Encryption";
constexpr std::string_view kAcceptHeader = "Accept-Encryption";
constexpr std::string_view kPlainTypeHeader = "X-Encryption-Content-Type";
constexpr std::string_view kVersion = "v1";

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Whether a Content-Type's "type/subtype" (parameters aside, any case) is `type`. Allocates
// nothing: it runs on every request.
bool is_media_type(std::string_view content_type, std::string_view type) {
  return http::iequals(trim(content_type.substr(0, content_type.find(';'))), type);
}

// The `type` parameter of an encrypted part's Content-Type (the plaintext's type), if sane.
std::string part_plain_type(std::string_view content_type) {
  std::string_view rest = content_type;
  while (true) {
    const size_t semi = rest.find(';');
    if (semi == std::string_view::npos) return "application/octet-stream";
    rest.remove_prefix(semi + 1);
    std::string_view param = trim(rest.substr(0, rest.find(';')));
    if (lower(param.substr(0, 5)) != "type=") continue;
    param.remove_prefix(5);
    if (param.size() >= 2 && param.front() == '"' && param.back() == '"') param = param.substr(1, param.size() - 2);
    const bool sane = !param.empty() && param.size() <= 127 && std::all_of(param.begin(), param.end(), [](char c) {
      return std::isalnum(static_cast<unsigned char>(c)) || std::string_view("/.+-_").find(c) != std::string_view::npos;
    });
    return sane ? std::string(param) : "application/octet-stream";
  }
}

// The API key this request was authenticated with, as the client presented it (authentication
// reads Authorization first, then X-API-Key; so does this). Empty when the caller is not an API
// key: a device, or a public route (no principal).
std::string presented_key(const http::Request& req) {
  const auto* p = std::any_cast<services::Principal>(&req.principal);
  if (p == nullptr || p->key_id.empty()) return {};
  if (auto auth = req.headers.get("Authorization"); auth && !auth->empty()) {
    std::string_view v = *auth;
    if (v.size() <= 7 || lower(v.substr(0, 7)) != "bearer ") return {};
    return std::string(trim(v.substr(7)));
  }
  if (auto key = req.headers.get("X-API-Key")) return std::string(*key);
  return {};
}

std::optional<std::string> read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) return std::nullopt;
  return data;
}

class Crypter {
 public:
  Crypter(const PayloadEncryptionOptions& options, services::RateCounters& replay)
      : options_(options), replay_(replay) {}

  int64_t now() const { return options_.clock ? options_.clock() : core::unix_seconds_now(); }

  // Opens one request envelope and charges its MAC to the replay cache.
  core::Result<std::string> open(const PayloadKeys& keys, std::string_view envelope) const {
    auto opened = core::crypto::open_payload(keys, PayloadDirection::Request, envelope, now(), options_.window.count());
    if (!opened) return opened.error();
    const std::string tag = core::crypto::hex_encode(opened->mac);
    const core::Rate once{1, std::chrono::duration_cast<std::chrono::milliseconds>(2 * options_.window)};
    auto state = replay_.acquire("payload:" + tag, {{"payload_replay|" + tag, once}}, now() * 1'000'000);
    if (!state) {
      core::log::warn("payload replay cache unavailable; envelope admitted", {{"error", state.error().message}});
    } else if (state->empty() || !state->front().admitted) {
      return rejected();
    }
    return std::move(opened->plaintext);
  }

  std::string seal(const PayloadKeys& keys, std::string_view plaintext) const {
    return core::crypto::seal_payload(keys, PayloadDirection::Response, plaintext, now());
  }

  static core::Error rejected() {
    return core::Error(core::Code::BadRequest, std::string(core::crypto::kPayloadRejected));
  }

 private:
  PayloadEncryptionOptions options_;
  services::RateCounters& replay_;
};

// An event stream whose every event's data travels as a response envelope (one line of JSON);
// event names and ids, comments and the stream's framing stay in clear.
class EncryptingSink final : public http::SseSink {
 public:
  EncryptingSink(http::SseSink& inner, std::shared_ptr<http::SseSink> keep, std::shared_ptr<const PayloadKeys> keys,
                 std::shared_ptr<const Crypter> crypter)
      : inner_(inner), keep_(std::move(keep)), keys_(std::move(keys)), crypter_(std::move(crypter)) {}

  bool send(std::string_view data, std::string_view event, std::string_view id) override {
    return inner_.send(crypter_->seal(*keys_, data), event, id);
  }
  bool comment(std::string_view text) override { return inner_.comment(text); }
  // A byte stream (audio as it is encoded): each chunk is one envelope on a line of its own.
  bool send_bytes(std::string_view bytes) override { return inner_.send_bytes(crypter_->seal(*keys_, bytes) + "\n"); }
  bool cancelled() const override { return inner_.cancelled(); }
  bool reject(http::Response response) override;
  std::shared_ptr<http::SseSink> hold() override {
    std::shared_ptr<http::SseSink> held = inner_.hold();
    return std::make_shared<EncryptingSink>(*held, held, keys_, crypter_);
  }
  Offered offer(std::string_view data, std::string_view event, std::string_view id) override {
    return inner_.offer(crypter_->seal(*keys_, data), event, id);
  }
  void when_drained(std::function<void()> fn) override { inner_.when_drained(std::move(fn)); }
  void on_cancel(std::function<void()> fn) override { inner_.on_cancel(std::move(fn)); }

 private:
  http::SseSink& inner_;
  std::shared_ptr<http::SseSink> keep_;  // a hold() of inner_, when this sink came from one
  std::shared_ptr<const PayloadKeys> keys_;
  std::shared_ptr<const Crypter> crypter_;
};

// Encrypts a response for a client that asked: its body (or its file's contents) becomes one
// envelope; a stream, each of its events. A response without a body is left as it is.
// Internal when a file response cannot be read.
core::Status encrypt_response(http::Response& res, const std::shared_ptr<const PayloadKeys>& keys,
                              const std::shared_ptr<const Crypter>& crypter) {
  res.headers.add("Vary", std::string(kAcceptHeader));
  if (res.sse) {
    res.sse = [producer = std::move(res.sse), keys, crypter](http::SseSink& sink) {
      EncryptingSink encrypting(sink, nullptr, keys, crypter);
      producer(encrypting);
    };
    if (res.raw_stream) {
      const std::string plain_type(res.headers.get("Content-Type").value_or("application/octet-stream"));
      res.headers.set("Content-Type", std::string(core::crypto::kEncryptedJsonType));
      res.headers.set(kPlainTypeHeader, plain_type);
    }
    res.headers.set(kVersionHeader, std::string(kVersion));
    return {};
  }
  if (!res.file.empty()) {
    auto data = read_file(res.file);
    if (!data) return core::Error(core::Code::Internal, "the response could not be read for encryption");
    res.body = std::move(*data);
    res.file.clear();
  }
  if (res.body.empty()) return {};
  const std::string plain_type(res.headers.get("Content-Type").value_or("application/octet-stream"));
  res.body = crypter->seal(*keys, res.body);
  res.headers.set("Content-Type", std::string(core::crypto::kEncryptedJsonType));
  res.headers.set(kPlainTypeHeader, plain_type);
  res.headers.set(kVersionHeader, std::string(kVersion));
  return {};
}

bool EncryptingSink::reject(http::Response response) {
  if (auto st = encrypt_response(response, keys_, crypter_); !st) response.body.clear();
  return inner_.reject(std::move(response));
}

// Replaces each encrypted file part's spooled file by its plaintext.
core::Status decrypt_parts(http::MultipartForm& form, const PayloadKeys& keys, const Crypter& crypter) {
  for (http::FormFile& f : form.files) {
    if (!is_media_type(f.content_type, core::crypto::kEncryptedPartType)) continue;
    auto envelope = read_file(f.path);
    if (!envelope) return core::Error(core::Code::Internal, "an uploaded part could not be read");
    auto plain = crypter.open(keys, *envelope);
    if (!plain) return plain.error();
    {
      std::ofstream out(f.path, std::ios::binary | std::ios::trunc);
      out.write(plain->data(), static_cast<std::streamsize>(plain->size()));
      if (!out.flush()) return core::Error(core::Code::Internal, "an uploaded part could not be written");
    }
    f.size = plain->size();
    f.content_type = part_plain_type(f.content_type);
    OPENSSL_cleanse(plain->data(), plain->size());
  }
  return {};
}

bool has_encrypted_part(const http::Request& req) {
  if (!req.form) return false;
  return std::any_of(req.form->files.begin(), req.form->files.end(), [](const http::FormFile& f) {
    return is_media_type(f.content_type, core::crypto::kEncryptedPartType);
  });
}

}  // namespace

http::Middleware payload_encryption(services::RateCounters& replay, PayloadEncryptionOptions options,
                                    http::ErrorRenderer fallback) {
  auto crypter = std::make_shared<const Crypter>(options, replay);
  return [crypter, fallback = std::move(fallback)](http::Request& req, const http::Next& next) -> http::Response {
    const auto version = req.headers.get(kVersionHeader);
    const auto accept = req.headers.get(kAcceptHeader);
    const bool encrypted_body = is_media_type(req.header("Content-Type"), core::crypto::kEncryptedJsonType);
    const bool encrypted_part = has_encrypted_part(req);
    if (!version && !accept && !encrypted_body && !encrypted_part) return next(req);

    auto refuse = [&](const core::Error& e) { return http::render_error(req, e, fallback); };
    // A version we do not speak, or an encrypted body that does not say so: the one refusal.
    if ((version && trim(*version) != kVersion) || (accept && trim(*accept) != kVersion)) {
      return refuse(Crypter::rejected());
    }
    if ((encrypted_body || encrypted_part) && !version) return refuse(Crypter::rejected());

    std::string api_key = presented_key(req);
    if (api_key.empty()) {
      return refuse(core::Error(core::Code::BadRequest,
                                "payload encryption needs an API key: send it as 'Authorization: Bearer <key>' or "
                                "'X-API-Key: <key>' (docs/ENCRYPTION.md)"));
    }
    const auto keys = std::make_shared<const PayloadKeys>(PayloadKeys::derive(api_key));
    OPENSSL_cleanse(api_key.data(), api_key.size());

    if (version) {
      if (encrypted_body) {
        auto plain = crypter->open(*keys, req.body);
        if (!plain) return refuse(plain.error());
        req.body = std::move(*plain);
        std::string type(req.headers.get(kPlainTypeHeader).value_or("application/json"));
        req.headers.set("Content-Type", std::move(type));
        req.headers.set("Content-Length", std::to_string(req.body.size()));
      } else if (!req.body.empty()) {
        return refuse(Crypter::rejected());  // X-Encryption says encrypted, but the body is not an envelope
      }
      if (req.form) {
        if (auto st = decrypt_parts(*req.form, *keys, *crypter); !st) return refuse(st.error());
      }
    }
    http::Response res = next(req);
    if (accept) {
      if (auto st = encrypt_response(res, keys, crypter); !st) return refuse(st.error());
    }
    return res;
  };
}

bool asks_for_encryption(const http::Request& req) {
  return req.headers.has(kVersionHeader) || req.headers.has(kAcceptHeader);
}

}  // namespace docent::app
