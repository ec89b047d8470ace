#pragma once
// What every face's handlers need: the services, the configuration, and the caller.

#include "core/config.h"
#include "core/error.h"
#include "http/message.h"
#include "services/accounts.h"
#include "services/answers.h"
#include "services/audit.h"
#include "services/chat.h"
#include "services/conversations.h"
#include "services/devices.h"
#include "services/documents.h"
#include "services/extraction.h"
#include "services/generation.h"
#include "services/jobs.h"
#include "services/keys.h"
#include "services/knowledge.h"
#include "services/media.h"
#include "services/models.h"
#include "services/principal.h"
#include "services/quota.h"
#include "services/robot_logs.h"
#include "services/speech.h"
#include "services/vector_stores.h"
#include "services/webhooks.h"

#include <boost/json/value.hpp>

namespace docent::api {

struct Context {
  const core::Config* config = nullptr;
  services::AccountService* accounts = nullptr;
  services::KeyService* keys = nullptr;
  services::DeviceService* devices = nullptr;
  services::QuotaService* quota = nullptr;
  services::KnowledgeService* knowledge = nullptr;
  services::JobQueue* jobs = nullptr;
  services::VectorStoreService* vector_stores = nullptr;
  services::ModelService* models = nullptr;
  services::AnswerService* answers = nullptr;
  services::ConversationService* conversations = nullptr;
  services::ChatService* chat = nullptr;
  services::ExtractionService* extraction = nullptr;
  services::AuditTrail* audit = nullptr;
  services::RobotLogService* robot_logs = nullptr;
  services::WebhookService* webhooks = nullptr;
  services::GenerationService* generation = nullptr;
  services::DocumentService* documents = nullptr;
  services::MediaJobs* media = nullptr;    // media jobs (docs/MEDIA.md); null: none
  engines::LlmProvider* vision = nullptr;  // vision.url's client (image_url parts); null: none
  services::SpeechService* speech = nullptr;
};

// The authenticated caller. Only valid on non-public routes (the authentication middleware put
// it there); a public route asking for it is a route-table bug and throws std::logic_error.
const services::Principal& principal(const http::Request& req);

// Where the request came from (client address and request id), for services that record audit events.
services::RequestOrigin origin(const http::Request& req);

// The request body parsed as JSON within the configured depth limit.
core::Result<boost::json::value> json_body(const http::Request& req, const core::Config& config);

// ChatService::ask with `in.model` as a preference: a name no provider serves falls back to the
// default model (the chatbot and sherpa seeds name models a docent may not have).
core::Result<services::Answer> ask_preferring_model(const Context& ctx, const services::Principal& p,
                                                    services::AskInput in,
                                                    const std::function<bool(std::string_view)>& on_delta,
                                                    const engines::CancelCheck& cancel);

// Counts one question against the caller's plan, for routes that answer without ChatService
// (which counts its own). Not counted is logged, never the caller's error.
void record_question(const Context& ctx, const services::Principal& p);
// The same for any metric (e.g. Metric::Media for the synchronous /v1/audio routes).
void record_usage(const Context& ctx, const services::Principal& p, services::Metric metric);

// Reads an integer query parameter within [min, max]; `fallback` when absent.
core::Result<int64_t> int_query(const http::Request& req, std::string_view name, int64_t fallback, int64_t min,
                                int64_t max);

// A list sent as a form field: a JSON array of strings, or comma-separated text. InvalidInput
// naming `field` for a JSON array holding anything but strings.
core::Result<std::vector<std::string>> string_list_field(std::string_view text, std::string_view field);

// File content that arrived inside a request body (decoded from whatever encoding it came in)
// counts against server.max_upload_bytes as a multipart upload does: PayloadTooLarge naming
// `field`, with details.limit, beyond it. The plan's file size is checked where the file is admitted.
core::Status check_upload_size(const core::Config& config, uint64_t size, std::string_view field = "file");

// The bytes at `path` as a download named `filename`'s base name, always an attachment, whatever
// the type (http::attachment).
http::Response download(const std::filesystem::path& path, const std::string& mime, const std::string& filename);

}  // namespace docent::api
