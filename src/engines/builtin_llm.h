#pragma once
// The built-in chat engine, model id "docent-extractive": the embedded default that needs no
// model server. It is not a generative model and never pretends to be one: every sentence it
// answers with is quoted from the passages it was given, followed by its "[n]" citation, where n
// is the passage's 1-based number.
//
//   - Answer: the question (the last user message) is split into terms (lowercased words,
//     English stopwords dropped, a plural "s" and the endings "ing", "ed" and "e" stripped); every sentence of every passage is scored
//     with BM25 over the sentence collection (k1 1.2, b 0.75). The best sentences (up to 3, each
//     scoring at least 35% of the best) are returned in document order (passage, then position).
//   - It answers only when the best sentence covers at least 30% of the question's term weight
//     (idf-weighted); otherwise, or with no passages, or with no question, it replies with exactly
//     kNeedsGenerativeModel, one plain sentence naming the setting that adds a generative model.
//   - Summary: a question asking to summarize ("summarize", "summary", "tl;dr", "overview",
//     "gist") gets an extractive summary: the sentences whose terms recur most across the
//     passages (up to 5), in document order, cited. When the question also asks for questions,
//     suggested_questions(passages, 3) follow, numbered, under "Questions this document can answer:".
//   - Passages: ChatRequest::passages (retrieved by the caller); when there are none, the text of
//     the conversation's earlier system/developer/user messages is used, one passage each.
//   - Parameters: tools, a non-"none" tool_choice, response_format other than "text", and
//     logprobs cannot be honoured and are InvalidInput naming the parameter; max_tokens /
//     max_completion_tokens cut the answer (finish_reason "length"); stop sequences cut it too;
//     temperature, top_p and seed are accepted (the engine is deterministic).
//
// Token usage is an estimate, flagged Usage::estimated: estimate_tokens(text) = ceil(code points
// / 4), at least 1 for non-empty text (the usual ~4 characters per token of English BPE
// vocabularies); prompt tokens count every message's text and every passage's text.
//
// Thread-safe and stateless.

#include "engines/llm.h"

#include <string_view>

namespace docent::engines {

inline constexpr std::string_view kExtractiveModel = "docent-extractive";

inline constexpr std::string_view kNeedsGenerativeModel =
    "I can only quote the documents I am given and none of them answers this, so it needs a generative model: "
    "set llm.url (--llm-url or DOCENT_LLM_URL) to an OpenAI-compatible server.";

// ceil(code points / 4); 0 for empty text, else at least 1.
int64_t estimate_tokens(std::string_view text);

struct ExtractiveAnswer {
  bool answered = false;  // false: text is kNeedsGenerativeModel
  std::string text;
  std::vector<int> citations;  // 1-based passage numbers, in order of first use
};

// The extractive answer to `question` from `passages` (rules above).
ExtractiveAnswer extractive_answer(std::string_view question, const std::vector<Passage>& passages);
// The extractive summary of `passages`, up to max_sentences sentences.
ExtractiveAnswer extractive_summary(const std::vector<Passage>& passages, int max_sentences = 5);
// Up to `count` questions a reader could ask of the passages, one per topic the text keeps
// returning to (word pairs without stopwords seen at least twice, then single words, most frequent
// first): "What does the document say about <topic>?". Templates over the text's own words, never
// claims about it.
std::vector<std::string> suggested_questions(const std::vector<Passage>& passages, int count);

class BuiltinLlm : public LlmProvider {
 public:
  ~BuiltinLlm() override { stop_streams(); }
  std::string name() const override { return "built-in"; }
  core::Result<std::vector<ModelInfo>> list_models(const CancelCheck& cancel) override;
  core::Result<ChatResult> chat(const ChatRequest& request, const CancelCheck& cancel) override;
  core::Result<std::unique_ptr<ChatStream>> stream(const ChatRequest& request, const CancelCheck& cancel) override;
  // ServiceUnavailable: chat embeddings are served by the built-in embedder (embedder.h).
  core::Result<EmbeddingResult> embed(const std::string& model, const std::vector<std::string>& inputs,
                                      const CancelCheck& cancel) override;
};

}  // namespace docent::engines
