#include "services/models.h"

#include "core/log.h"
#include "core/thread_annotations.h"
#include "engines/builtin_llm.h"

#include <algorithm>

namespace docent::services {

namespace {

core::Error unknown_model(const std::string& id) {
  return core::Error(core::Code::NotFound, "The model '" + id + "' does not exist", "model");
}

bool lists(const std::vector<engines::ModelInfo>& models, const std::string& id) {
  return std::any_of(models.begin(), models.end(), [&](const engines::ModelInfo& m) { return m.id == id; });
}

}  // namespace

ModelService::ModelService(std::unique_ptr<engines::LlmProvider> builtin, std::vector<Upstream> upstreams,
                           engines::Embedder& embedder, std::unique_ptr<engines::LlmProvider> embeddings_upstream,
                           ModelServiceOptions options)
    : builtin_(std::move(builtin)),
      embedder_(embedder),
      embeddings_upstream_(std::move(embeddings_upstream)),
      options_(std::move(options)) {
  for (auto& u : upstreams) {
    auto state = std::make_unique<UpstreamState>();
    state->upstream = std::move(u);
    upstreams_.push_back(std::move(state));
  }
}

core::Result<std::vector<engines::ModelInfo>> ModelService::upstream_models(UpstreamState& state,
                                                                            const engines::CancelCheck& cancel) {
  const Upstream& up = state.upstream;
  if (up.models) {
    std::vector<engines::ModelInfo> out;
    for (const auto& id : *up.models) out.push_back(engines::ModelInfo{id, up.name, 0});
    return out;
  }
  {
    core::MutexLock lock(state.mu);
    if (state.cached && std::chrono::steady_clock::now() - state.cached_at < options_.models_cache)
      return *state.cached;
  }
  // Fetched outside the lock: a slow upstream must not serialize every request behind it.
  auto models = up.provider->list_models(cancel);
  if (!models) return models.error();
  for (auto& m : *models) m.owned_by = up.name;
  core::MutexLock lock(state.mu);
  state.cached = *models;
  state.cached_at = std::chrono::steady_clock::now();
  return models;
}

bool ModelService::lists_without_waiting() {
  const auto now = std::chrono::steady_clock::now();
  for (auto& state : upstreams_) {
    if (state->upstream.models) continue;
    if (!state->mu.try_lock()) return false;
    const bool fresh = state->cached && now - state->cached_at < options_.models_cache;
    state->mu.unlock();
    if (!fresh) return false;
  }
  return true;
}

std::vector<engines::ModelInfo> ModelService::list_models(const engines::CancelCheck& cancel) {
  std::vector<engines::ModelInfo> out;
  auto add = [&](engines::ModelInfo m) {
    if (!lists(out, m.id)) out.push_back(std::move(m));
  };
  for (auto& state : upstreams_) {
    auto up = upstream_models(*state, cancel);
    if (!up) {
      core::log::warn("upstream model list unavailable",
                      {{"upstream", state->upstream.name}, {"error", up.error().message}});
      continue;
    }
    for (auto& m : *up) add(std::move(m));
  }
  if (auto builtin = builtin_->list_models(cancel)) {
    for (auto& m : *builtin) add(std::move(m));
  }
  if (!embeddings_upstream_) add(engines::ModelInfo{embedder_.model(), "docent", 1767225600});
  return out;
}

core::Result<engines::ModelInfo> ModelService::get_model(const std::string& id, const engines::CancelCheck& cancel) {
  for (auto& m : list_models(cancel)) {
    if (m.id == id) return m;
  }
  return unknown_model(id);
}

core::Result<std::string> ModelService::first_listed_model(const engines::CancelCheck& cancel) {
  std::optional<core::Error> unreadable;  // the first list that failed
  for (auto& state : upstreams_) {
    auto up = upstream_models(*state, cancel);
    if (!up) {
      if (!unreadable) unreadable = up.error();
    } else if (!up->empty()) {
      return up->front().id;
    }
  }
  if (unreadable) {
    return core::Error(core::Code::UpstreamError,
                       "no model was named and the upstream's model list could not be read to choose one (" +
                           unreadable->message + "); name a model, or set llm.model",
                       "model");
  }
  return std::string(engines::kExtractiveModel);
}

core::Result<ModelRoute> ModelService::route_chat(const std::string& requested, const engines::CancelCheck& cancel) {
  std::string model = requested.empty() ? options_.default_model : requested;
  if (model.empty()) {
    auto first = first_listed_model(cancel);
    if (!first) return first.error();
    model = std::move(*first);
  }
  UpstreamState* unreadable = nullptr;  // the first upstream whose list failed
  for (auto& state : upstreams_) {
    auto up = upstream_models(*state, cancel);
    if (!up) {
      if (unreadable == nullptr) unreadable = state.get();
    } else if (lists(*up, model)) {
      return ModelRoute{state->upstream.provider.get(), model, false, state->upstream.name};
    }
  }
  if (model == engines::kExtractiveModel) return ModelRoute{builtin_.get(), model, true, {}};
  if (unreadable != nullptr)
    return ModelRoute{unreadable->upstream.provider.get(), model, false, unreadable->upstream.name};
  return unknown_model(model);
}

core::Result<engines::EmbeddingResult> ModelService::embed(const std::string& requested,
                                                           const std::vector<std::string>& inputs,
                                                           const engines::CancelCheck& cancel) {
  if (embeddings_upstream_) {
    std::string model = requested.empty() ? options_.default_embeddings_model : requested;
    if (model.empty()) {
      return core::Error(core::Code::MissingField, "model is required (embeddings.model is not set)", "model");
    }
    return embeddings_upstream_->embed(model, inputs, cancel);
  }
  if (!requested.empty() && requested != embedder_.model()) return unknown_model(requested);
  auto vectors = embedder_.embed(inputs);
  if (!vectors) return vectors.error();
  engines::EmbeddingResult r;
  r.model = embedder_.model();
  r.vectors = std::move(*vectors);
  for (const auto& s : inputs) r.usage.prompt_tokens += engines::estimate_tokens(s);
  r.usage.total_tokens = r.usage.prompt_tokens;
  r.usage.estimated = true;
  return r;
}

}  // namespace docent::services
