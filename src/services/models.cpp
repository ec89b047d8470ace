#include "services/models.h"

#include "core/log.h"
#include "engines/builtin_llm.h"

#include <algorithm>

namespace docent::services {

namespace {

core::Error unknown_model(const std::string& id) {
  return core::Error(core::Code::NotFound, "The model '" + id + "' does not exist", "model");
}

}  // namespace

ModelService::ModelService(std::unique_ptr<engines::LlmProvider> builtin, std::unique_ptr<engines::LlmProvider> upstream,
                           engines::Embedder& embedder, std::unique_ptr<engines::LlmProvider> embeddings_upstream,
                           ModelServiceOptions options)
    : builtin_(std::move(builtin)), upstream_(std::move(upstream)), embedder_(embedder),
      embeddings_upstream_(std::move(embeddings_upstream)), options_(std::move(options)) {}

core::Result<std::vector<engines::ModelInfo>> ModelService::upstream_models(const engines::CancelCheck& cancel) {
  if (!upstream_) return std::vector<engines::ModelInfo>{};
  {
    std::lock_guard lock(mu_);
    if (cached_ && std::chrono::steady_clock::now() - cached_at_ < options_.models_cache) return *cached_;
  }
  // Fetched outside the lock: a slow upstream must not serialize every request behind it.
  auto models = upstream_->list_models(cancel);
  if (!models) return models.error();
  std::lock_guard lock(mu_);
  cached_ = *models;
  cached_at_ = std::chrono::steady_clock::now();
  return models;
}

std::vector<engines::ModelInfo> ModelService::list_models(const engines::CancelCheck& cancel) {
  std::vector<engines::ModelInfo> out;
  if (upstream_) {
    auto up = upstream_models(cancel);
    if (up) {
      out = std::move(*up);
    } else {
      core::log::warn("upstream model list unavailable", {{"upstream", upstream_->name()}, {"error", up.error().message}});
    }
  }
  auto has = [&](const std::string& id) {
    return std::any_of(out.begin(), out.end(), [&](const engines::ModelInfo& m) { return m.id == id; });
  };
  if (auto builtin = builtin_->list_models(cancel)) {
    for (auto& m : *builtin) {
      if (!has(m.id)) out.push_back(std::move(m));
    }
  }
  if (!embeddings_upstream_ && !has(embedder_.model())) {
    out.push_back(engines::ModelInfo{embedder_.model(), "docent", 1767225600});
  }
  return out;
}

core::Result<engines::ModelInfo> ModelService::get_model(const std::string& id, const engines::CancelCheck& cancel) {
  for (auto& m : list_models(cancel)) {
    if (m.id == id) return m;
  }
  return unknown_model(id);
}

core::Result<ModelRoute> ModelService::route_chat(const std::string& requested, const engines::CancelCheck& cancel) {
  std::string model = requested.empty() ? options_.default_model : requested;
  if (model.empty()) model = std::string(engines::kExtractiveModel);
  if (upstream_) {
    auto up = upstream_models(cancel);
    if (!up) {
      if (model != engines::kExtractiveModel) return ModelRoute{upstream_.get(), model, false};
    } else if (std::any_of(up->begin(), up->end(), [&](const engines::ModelInfo& m) { return m.id == model; })) {
      return ModelRoute{upstream_.get(), model, false};
    }
  }
  if (model == engines::kExtractiveModel) return ModelRoute{builtin_.get(), model, true};
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
