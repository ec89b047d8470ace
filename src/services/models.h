#pragma once
// Models: which provider serves a model name, the merged model list, and embeddings.
//
// Chat models are routed by name over the upstreams in order (llm.url, named "default", first,
// then each [llm.upstreams.NAME] in file order). An upstream serves the models its config names,
// or, when it names none, the models its GET /models lists (cached for llm.models_cache).
//   - a model some upstream serves goes to the first such upstream, so a docent proxying another
//     docent passes everything through;
//   - "docent-extractive" otherwise goes to the built-in engine (builtin_llm.h);
//   - an empty name means llm.model when set, else the first model listed by the first upstream
//     (in routing order) whose list could be read and names any, so `--llm-url` alone makes the
//     upstream answer every face and `docent ask`; "docent-extractive" when there is no upstream.
//     With upstreams but none of their lists readable, it is an UpstreamError (field "model"),
//     never a silent switch to the built-in engine;
//   - any other name goes to the first upstream whose list could not be read (it decides), and
//     is NotFound (param "model") when every list was read and none has it, or with no upstream.
// Embeddings: embeddings.url, when set, serves every /v1/embeddings request (embeddings.model
// when a request names none); otherwise the built-in hashed embedder serves its own model name.

#include "core/thread_annotations.h"
#include "engines/embedder.h"
#include "engines/llm.h"

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace docent::services {

struct ModelServiceOptions {
  std::string default_model;              // llm.model
  std::string default_embeddings_model;   // embeddings.model
  std::chrono::seconds models_cache{60};  // llm.models_cache
};

// One OpenAI-compatible upstream chat models may be routed to.
struct Upstream {
  std::string name;  // "default" for llm.url, else the NAME of [llm.upstreams.NAME]; shown as owned_by
  std::unique_ptr<engines::LlmProvider> provider;
  // The models it serves, as configured; nullopt = ask the provider's list_models.
  std::optional<std::vector<std::string>> models;
};

struct ModelRoute {
  engines::LlmProvider* provider = nullptr;
  std::string model;  // the resolved name to send
  bool builtin = false;
  std::string upstream;  // the serving upstream's name; empty for the built-in engine
};

class ModelService {
 public:
  // `upstreams` in routing order (may be empty); every provider is non-null.
  // `embeddings_upstream` may be null (not configured).
  ModelService(std::unique_ptr<engines::LlmProvider> builtin, std::vector<Upstream> upstreams,
               engines::Embedder& embedder, std::unique_ptr<engines::LlmProvider> embeddings_upstream,
               ModelServiceOptions options);

  // Every model once, in routing order: each upstream's (owned_by = the upstream's name; one that
  // fails to answer is logged and left out; a model an earlier upstream has is not repeated),
  // then the built-in ones no upstream lists.
  std::vector<engines::ModelInfo> list_models(const engines::CancelCheck& cancel);
  // NotFound (field "model") for an unknown id.
  core::Result<engines::ModelInfo> get_model(const std::string& id, const engines::CancelCheck& cancel);
  // The provider for a chat model name (rules above).
  core::Result<ModelRoute> route_chat(const std::string& model, const engines::CancelCheck& cancel);
  // Embeddings of `inputs` (rules above). NotFound (field "model") for a model nobody serves.
  core::Result<engines::EmbeddingResult> embed(const std::string& model, const std::vector<std::string>& inputs,
                                               const engines::CancelCheck& cancel);

  bool has_upstream() const { return !upstreams_.empty(); }

  // True when list_models() would answer from memory: every upstream's models are configured or
  // its list is cached and fresh. Never waits (a cache another thread holds counts as not ready).
  bool lists_without_waiting();

 private:
  struct UpstreamState {
    Upstream upstream;
    core::Mutex mu;  // guards the cache
    std::optional<std::vector<engines::ModelInfo>> cached GUARDED_BY(mu);
    std::chrono::steady_clock::time_point cached_at GUARDED_BY(mu);
  };

  // The models upstream `state` serves (owned_by set to its name): its configured names, or its
  // list from the cache when fresh; an error when the list cannot be read.
  core::Result<std::vector<engines::ModelInfo>> upstream_models(UpstreamState& state,
                                                                const engines::CancelCheck& cancel);
  // The model for a request naming none when llm.model is unset (rules above).
  core::Result<std::string> first_listed_model(const engines::CancelCheck& cancel);

  std::unique_ptr<engines::LlmProvider> builtin_;
  std::vector<std::unique_ptr<UpstreamState>> upstreams_;  // the vector itself is immutable
  engines::Embedder& embedder_;
  std::unique_ptr<engines::LlmProvider> embeddings_upstream_;
  const ModelServiceOptions options_;
};

}  // namespace docent::services
