#include "services/models.h"

#include "engines/builtin_llm.h"
#include "services/answers.h"

#include <gtest/gtest.h>

namespace docent::services {
namespace {

// An upstream stand-in that lists fixed models (or fails to) and counts list calls.
class ListingProvider : public engines::LlmProvider {
 public:
  explicit ListingProvider(std::optional<std::vector<std::string>> ids, int* calls, std::string name = "fake")
      : ids_(std::move(ids)), calls_(calls), name_(std::move(name)) {}
  std::string name() const override { return name_; }
  core::Result<std::vector<engines::ModelInfo>> list_models(const engines::CancelCheck&) override {
    ++*calls_;
    if (!ids_) return core::Error(core::Code::UpstreamError, "down");
    std::vector<engines::ModelInfo> out;
    for (const auto& id : *ids_) out.push_back({id, "fake", 1});
    return out;
  }
  core::Result<engines::ChatResult> chat(const engines::ChatRequest&, const engines::CancelCheck&) override {
    return engines::ChatResult{};
  }
  core::Result<std::unique_ptr<engines::ChatStream>> stream(const engines::ChatRequest&,
                                                            const engines::CancelCheck&) override {
    return core::Error(core::Code::Internal, "unused");
  }
  core::Result<engines::EmbeddingResult> embed(const std::string& model, const std::vector<std::string>& inputs,
                                               const engines::CancelCheck&) override {
    engines::EmbeddingResult r;
    r.model = model;
    r.vectors.assign(inputs.size(), std::vector<float>{1.0f});
    return r;
  }

 private:
  std::optional<std::vector<std::string>> ids_;
  int* calls_;
  std::string name_;
};

struct Fixture {
  engines::HashedEmbedder embedder;
  int calls = 0;
  std::unique_ptr<ModelService> service;
  Fixture(std::optional<std::vector<std::string>> upstream_ids, bool has_upstream = true,
          std::string default_model = {}) {
    std::vector<Upstream> up;
    if (has_upstream) {
      up.push_back(
          Upstream{"default", std::make_unique<ListingProvider>(std::move(upstream_ids), &calls), std::nullopt});
    }
    service = std::make_unique<ModelService>(std::make_unique<engines::BuiltinLlm>(), std::move(up), embedder, nullptr,
                                             ModelServiceOptions{default_model, "", std::chrono::seconds(60)});
  }
};

TEST(ModelService, WithoutUpstreamOnlyTheBuiltInModelsExist) {
  Fixture f(std::nullopt, false);
  auto models = f.service->list_models({});
  ASSERT_EQ(models.size(), 2u);
  EXPECT_EQ(models[0].id, "docent-extractive");
  EXPECT_EQ(models[1].id, "docent-hashed-v1");
  auto r = f.service->route_chat("", {});
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->builtin);
  auto unknown = f.service->route_chat("gpt-4o", {});
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().code, core::Code::NotFound);
  EXPECT_EQ(unknown.error().field, "model");
}

TEST(ModelService, UpstreamModelsAreRoutedUpstreamAndTheListIsCached) {
  Fixture f(std::vector<std::string>{"llama-3-8b", "qwen"});
  auto r = f.service->route_chat("qwen", {});
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->builtin);
  EXPECT_EQ(r->model, "qwen");
  EXPECT_TRUE(f.service->route_chat("docent-extractive", {})->builtin);
  EXPECT_FALSE(f.service->route_chat("not-listed", {}).ok());
  auto ids = f.service->list_models({});
  ASSERT_EQ(ids.size(), 4u);
  EXPECT_EQ(ids[0].id, "llama-3-8b");
  EXPECT_EQ(f.calls, 1);  // one upstream list for all of the above
}

TEST(ModelService, AnUpstreamListingTheBuiltInNameServesIt) {
  Fixture f(std::vector<std::string>{"docent-extractive"});
  auto r = f.service->route_chat("docent-extractive", {});
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->builtin);
  EXPECT_EQ(f.service->list_models({}).size(), 2u);  // not listed twice
}

TEST(ModelService, WhenTheUpstreamListFailsOtherNamesStillGoUpstream) {
  Fixture f(std::nullopt);
  auto r = f.service->route_chat("llama-3-8b", {});
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->builtin);
  EXPECT_TRUE(f.service->route_chat("docent-extractive", {})->builtin);
  EXPECT_EQ(f.service->list_models({}).size(), 2u);  // the built-in ones still answer
}

TEST(ModelService, AnEmptyModelMeansTheConfiguredDefault) {
  Fixture f(std::vector<std::string>{"qwen"}, true, "qwen");
  auto r = f.service->route_chat("", {});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->model, "qwen");
  EXPECT_FALSE(r->builtin);
}

TEST(ModelService, AnEmptyModelMeansTheFirstModelTheUpstreamListsWhenNoDefaultIsSet) {
  Fixture f(std::vector<std::string>{"llama-3-8b", "qwen"});
  auto r = f.service->route_chat("", {});
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->model, "llama-3-8b");
  EXPECT_FALSE(r->builtin);
  EXPECT_EQ(r->upstream, "default");
}

TEST(ModelService, AnEmptyModelWithNoReadableUpstreamListIsAnUpstreamErrorNotTheBuiltInEngine) {
  Fixture f(std::nullopt);
  auto r = f.service->route_chat("", {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, core::Code::UpstreamError);
  EXPECT_EQ(r.error().field, "model");
  EXPECT_NE(r.error().message.find("llm.model"), std::string::npos) << r.error().message;
  EXPECT_TRUE(f.service->route_chat("docent-extractive", {})->builtin) << "naming the built-in engine still works";
}

TEST(ModelService, AnUpstreamListingNoModelLeavesTheBuiltInEngineAsTheDefault) {
  Fixture f(std::vector<std::string>{});
  auto r = f.service->route_chat("", {});
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->builtin);
}

TEST(ModelService, BuiltInEmbeddingsServeOnlyTheirOwnModel) {
  Fixture f(std::nullopt, false);
  auto e = f.service->embed("", {"quokka", "lot"}, {});
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->model, "docent-hashed-v1");
  ASSERT_EQ(e->vectors.size(), 2u);
  EXPECT_EQ(e->vectors[0].size(), 384u);
  EXPECT_TRUE(e->usage.estimated);
  auto other = f.service->embed("text-embedding-3-small", {"x"}, {});
  ASSERT_FALSE(other.ok());
  EXPECT_EQ(other.error().field, "model");
}

// Three upstreams in routing order: "default" lists its models, "gpu" is configured with fixed
// names (never asked), "spare" lists its own, or fails to when `spare_ids` is nullopt.
struct ManyFixture {
  engines::HashedEmbedder embedder;
  int default_calls = 0, gpu_calls = 0, spare_calls = 0;
  ListingProvider* default_provider = nullptr;
  ListingProvider* gpu_provider = nullptr;
  ListingProvider* spare_provider = nullptr;
  std::unique_ptr<ModelService> service;
  explicit ManyFixture(std::optional<std::vector<std::string>> spare_ids = std::vector<std::string>{"mistral",
                                                                                                    "qwen"}) {
    std::vector<Upstream> ups;
    auto d = std::make_unique<ListingProvider>(std::vector<std::string>{"llama-3-8b", "shared"}, &default_calls);
    auto g = std::make_unique<ListingProvider>(std::vector<std::string>{"ignored"}, &gpu_calls);
    auto s = std::make_unique<ListingProvider>(std::move(spare_ids), &spare_calls);
    default_provider = d.get();
    gpu_provider = g.get();
    spare_provider = s.get();
    ups.push_back(Upstream{"default", std::move(d), std::nullopt});
    ups.push_back(Upstream{"gpu", std::move(g), std::vector<std::string>{"qwen", "shared", "big"}});
    ups.push_back(Upstream{"spare", std::move(s), std::nullopt});
    service = std::make_unique<ModelService>(std::make_unique<engines::BuiltinLlm>(), std::move(ups), embedder, nullptr,
                                             ModelServiceOptions{"", "", std::chrono::seconds(60)});
  }
};

TEST(ModelServiceUpstreams, AModelGoesToTheFirstUpstreamThatServesIt) {
  ManyFixture f;
  struct Case {
    std::string model;
    ListingProvider* provider;
    std::string upstream;
  };
  for (const Case& c : std::vector<Case>{{"llama-3-8b", f.default_provider, "default"},
                                         {"shared", f.default_provider, "default"},  // default comes first
                                         {"qwen", f.gpu_provider, "gpu"},            // configured before spare
                                         {"big", f.gpu_provider, "gpu"},
                                         {"mistral", f.spare_provider, "spare"}}) {
    auto r = f.service->route_chat(c.model, {});
    ASSERT_TRUE(r.ok()) << c.model;
    EXPECT_EQ(r->provider, c.provider) << c.model;
    EXPECT_EQ(r->upstream, c.upstream) << c.model;
    EXPECT_EQ(r->model, c.model);
    EXPECT_FALSE(r->builtin);
  }
  EXPECT_TRUE(f.service->route_chat("docent-extractive", {})->builtin);
  auto unknown = f.service->route_chat("ignored", {});  // gpu's provider lists it, but gpu's config rules
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().field, "model");
  EXPECT_EQ(f.gpu_calls, 0);  // configured names: its list is never asked for
}

TEST(ModelServiceUpstreams, TheListHasEveryModelOnceOwnedByItsUpstream) {
  ManyFixture f;
  std::vector<std::pair<std::string, std::string>> got;
  for (const auto& m : f.service->list_models({})) got.emplace_back(m.id, m.owned_by);
  const std::vector<std::pair<std::string, std::string>> want = {{"llama-3-8b", "default"},
                                                                 {"shared", "default"},
                                                                 {"qwen", "gpu"},
                                                                 {"big", "gpu"},
                                                                 {"mistral", "spare"},
                                                                 {"docent-extractive", "docent"},
                                                                 {"docent-hashed-v1", "docent"}};
  EXPECT_EQ(got, want);
}

TEST(ModelServiceUpstreams, AnUnknownNameGoesToTheFirstUpstreamWhoseListFailed) {
  ManyFixture f(std::nullopt);
  auto r = f.service->route_chat("mistral", {});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->upstream, "spare");
  EXPECT_EQ(f.service->route_chat("qwen", {})->upstream, "gpu");  // a listed name still wins
  EXPECT_TRUE(f.service->route_chat("docent-extractive", {})->builtin);
  auto models = f.service->list_models({});  // spare is left out, the rest still answer
  EXPECT_EQ(models.size(), 6u);
}

TEST(FindCitations, MarkersWithinRangeAreFoundWithCodePointOffsets) {
  auto c = find_citations("\xc3\xa9t\xc3\xa9 [1] and [2] but not [3], [0], [x] or [12", 2);
  ASSERT_EQ(c.size(), 2u);
  EXPECT_EQ(c[0].offset, 4u);  // "été " is four code points
  EXPECT_EQ(c[0].number, 1);
  EXPECT_EQ(c[1].number, 2);
}

}  // namespace
}  // namespace docent::services
