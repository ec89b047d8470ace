#pragma once
// Answers grounded in an account's documents: searches the named vector stores for the question,
// numbers the passages found, and prepares a chat request for the model that will answer — the
// built-in extractive engine gets the passages themselves, an upstream model gets them in a
// system message asking it to cite them as [n]. Used by POST /v1/responses with file_search
// (vector stores) and by conversations (their files and folders).

#include "engines/llm.h"
#include "services/knowledge.h"
#include "services/models.h"
#include "services/principal.h"
#include "services/vector_stores.h"

#include <boost/json/array.hpp>

#include <string>
#include <vector>

namespace docent::services {

struct GroundedRequest {
  std::string model;                          // empty: the default model
  std::optional<ModelRoute> route;            // used instead of routing `model` when set (e.g. vision.url)
  boost::json::array messages;                // OpenAI chat messages, the question last
  std::vector<std::string> vector_store_ids;  // searched when set
  std::vector<std::string> file_ids;          // searched (with folder_ids) when either is set
  std::vector<std::string> folder_ids;        // with their subfolders
  bool search_all_files = false;              // search every file of the caller's instead
  // Wait (bounded) for files in scope still being ingested when searching all files or folders.
  bool wait_for_pending = false;
  // Passages chosen by the caller (e.g. a file read whole for a summary): used instead of a
  // search when set, each with its score.
  std::vector<engines::Passage> given_passages;
  std::vector<double> given_scores;
  int64_t max_results = 8;
  boost::json::object options;  // temperature, top_p, max_tokens... passed on
};

struct PreparedAnswer {
  ModelRoute route;
  engines::ChatRequest request;
  std::string query;                       // what was searched
  std::vector<engines::Passage> passages;  // passages[n-1] is citation [n]
  std::vector<double> scores;              // one per passage
};

// One cited passage found in an answer's text.
struct Citation {
  size_t offset = 0;  // code point offset of the "[n]" marker in the text
  int number = 0;     // n, 1-based
};

class AnswerService {
 public:
  AnswerService(ModelService& models, VectorStoreService& vector_stores, KnowledgeService& knowledge);

  // Searches (NotFound for a vector store the actor does not own) and routes the model.
  core::Result<PreparedAnswer> prepare(const Principal& actor, const GroundedRequest& in,
                                       const engines::CancelCheck& cancel);

 private:
  ModelService& models_;
  VectorStoreService& vector_stores_;
  KnowledgeService& knowledge_;
};

// Every "[n]" marker in `text` with 1 <= n <= passages, in order.
std::vector<Citation> find_citations(std::string_view text, size_t passages);

}  // namespace docent::services
