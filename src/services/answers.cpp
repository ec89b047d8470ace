#include "services/answers.h"

#include "engines/builtin_llm.h"

#include <algorithm>

namespace docent::services {

namespace json = boost::json;

namespace {

std::string last_user_text(const json::array& messages) {
  for (size_t i = messages.size(); i-- > 0;) {
    if (!messages[i].is_object()) continue;
    const auto& m = messages[i].get_object();
    const auto* role = m.if_contains("role");
    const auto* content = m.if_contains("content");
    if (role && role->is_string() && role->get_string() == "user" && content) return engines::message_text(*content);
  }
  return {};
}

std::string context_message(const std::vector<engines::Passage>& passages) {
  std::string s =
      "Answer the user's question using only the numbered passages below. After each statement, cite the passage "
      "it comes from as [n]. If the passages do not contain the answer, say so plainly.\n";
  for (size_t i = 0; i < passages.size(); ++i) {
    const auto& p = passages[i];
    s += "\n[" + std::to_string(i + 1) + "] (" + p.file_name;
    if (p.page > 0) s += ", page " + std::to_string(p.page);
    s += ")\n" + p.text + "\n";
  }
  return s;
}

}  // namespace

AnswerService::AnswerService(ModelService& models, VectorStoreService& vector_stores, KnowledgeService& knowledge)
    : models_(models), vector_stores_(vector_stores), knowledge_(knowledge) {}

core::Result<PreparedAnswer> AnswerService::prepare(const Principal& actor, const GroundedRequest& in,
                                                    const engines::CancelCheck& cancel) {
  PreparedAnswer out;
  if (in.route) {
    out.route = *in.route;
  } else {
    auto route = models_.route_chat(in.model, cancel);
    if (!route) return route.error();
    out.route = *route;
  }
  out.query = last_user_text(in.messages);

  const bool files = in.search_all_files || !in.file_ids.empty() || !in.folder_ids.empty();
  if (!in.given_passages.empty()) {
    out.passages = in.given_passages;
    out.scores = in.given_scores;
    out.scores.resize(out.passages.size(), 0.0);
  } else if ((!in.vector_store_ids.empty() || files) && !out.query.empty()) {
    std::vector<SearchHit> hits;
    if (files) {
      SearchQuery q;
      q.text = out.query;
      q.limit = in.max_results;
      q.file_ids = in.file_ids;
      q.folder_ids = in.folder_ids;
      q.wait_for_pending = in.wait_for_pending;
      auto found = knowledge_.search(actor, q);
      if (!found) return found.error();
      for (auto& h : *found) hits.push_back(std::move(h));
    }
    for (const auto& id : in.vector_store_ids) {
      auto found = vector_stores_.search(actor, id, out.query, in.max_results);
      if (!found) return found.error();
      for (auto& h : *found) hits.push_back(std::move(h));
    }
    // Scores of different stores are fused ranks of the same index, so they compare.
    std::stable_sort(hits.begin(), hits.end(),
                     [](const SearchHit& a, const SearchHit& b) { return a.score > b.score; });
    std::vector<int64_t> seen;
    for (auto& h : hits) {
      if (static_cast<int64_t>(out.passages.size()) >= in.max_results) break;
      if (std::find(seen.begin(), seen.end(), h.chunk_id) != seen.end()) continue;  // a file in two stores
      seen.push_back(h.chunk_id);
      out.passages.push_back(engines::Passage{std::move(h.text), h.file_id, h.file_name, h.page});
      out.scores.push_back(h.score);
    }
  }

  out.request.model = out.route.model;
  out.request.body = in.options;
  json::array messages = in.messages;
  if (out.route.builtin) {
    out.request.passages = out.passages;
  } else if (!out.passages.empty()) {
    messages.insert(messages.begin(), json::object{{"role", "system"}, {"content", context_message(out.passages)}});
  }
  out.request.body["messages"] = std::move(messages);
  return out;
}

std::vector<Citation> find_citations(std::string_view text, size_t passages) {
  std::vector<Citation> out;
  size_t cp = 0;  // code points before position i
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '[') {
      size_t j = i + 1;
      int n = 0;
      while (j < text.size() && j - i <= 4 && text[j] >= '0' && text[j] <= '9') n = n * 10 + (text[j++] - '0');
      if (j > i + 1 && j < text.size() && text[j] == ']' && n >= 1 && static_cast<size_t>(n) <= passages) {
        out.push_back(Citation{cp, n});
      }
    }
    if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) ++cp;
  }
  return out;
}

}  // namespace docent::services
