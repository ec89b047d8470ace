#pragma once
// Models: which provider serves a model name, the merged model list, and embeddings.
//
// Chat models are routed by name:
//   - a model the configured upstream lists (GET {llm.url}/models, cached for llm.models_cache)
//     goes to the upstream, so a docent proxying another docent passes everything through;
//   - "docent-extractive" otherwise goes to the built-in engine (builtin_llm.h);
//   - an empty name means llm.model when set, else "docent-extractive";
//   - any other name goes to the upstream when its list could not be read (it decides), and is
//     NotFound (param "model") when the list was read and does not have it, or with no upstream.
// Embeddings: embeddings.url, when set, serves every /v1/embeddings request (embeddings.model
// when a request names none); otherwise the built-in hashed embedder serves its own model name.

#include "engines/embedder.h"
#include "engines/llm.h"

#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace docent::services {

struct ModelServiceOptions {
  std::string default_model;                     // llm.model
  std::string default_embeddings_model;          // embeddings.model
  std::chrono::seconds models_cache{60};         // llm.models_cache
};

struct ModelRoute {
  engines::LlmProvider* provider = nullptr;
  std::string model;  // the resolved name to send
  bool builtin = false;
};

class ModelService {
 public:
  // `upstream` and `embeddings_upstream` may be null (not configured).
  ModelService(std::unique_ptr<engines::LlmProvider> builtin, std::unique_ptr<engines::LlmProvider> upstream,
               engines::Embedder& embedder, std::unique_ptr<engines::LlmProvider> embeddings_upstream,
               ModelServiceOptions options);

  // Every model: the upstream's (when it answers; a failing upstream is logged and left out),
  // then the built-in ones it does not list.
  std::vector<engines::ModelInfo> list_models(const engines::CancelCheck& cancel);
  // NotFound (field "model") for an unknown id.
  core::Result<engines::ModelInfo> get_model(const std::string& id, const engines::CancelCheck& cancel);
  // The provider for a chat model name (rules above).
  core::Result<ModelRoute> route_chat(const std::string& model, const engines::CancelCheck& cancel);
  // Embeddings of `inputs` (rules above). NotFound (field "model") for a model nobody serves.
  core::Result<engines::EmbeddingResult> embed(const std::string& model, const std::vector<std::string>& inputs,
                                               const engines::CancelCheck& cancel);

  bool has_upstream() const { return upstream_ != nullptr; }

 private:
  // The upstream's models, from the cache when fresh; an error when it cannot be read.
  core::Result<std::vector<engines::ModelInfo>> upstream_models(const engines::CancelCheck& cancel);

  std::unique_ptr<engines::LlmProvider> builtin_;
  std::unique_ptr<engines::LlmProvider> upstream_;
  engines::Embedder& embedder_;
  std::unique_ptr<engines::LlmProvider> embeddings_upstream_;
  const ModelServiceOptions options_;

  std::mutex mu_;
  std::optional<std::vector<engines::ModelInfo>> cached_;  // GUARDED_BY(mu_)
  std::chrono::steady_clock::time_point cached_at_;       // GUARDED_BY(mu_)
};

}  // namespace docent::services
