#include "engines/builtin_llm.h"

#include <boost/json.hpp>

#include <gtest/gtest.h>

namespace docent::engines {
namespace {

namespace json = boost::json;

std::vector<Passage> handbook() {
  return {
      Passage{"The office opens at nine. Coffee is free on Fridays.", "file-a", "handbook.pdf", 1},
      Passage{"Parking is limited. Visitors park in the quokka lot behind building seven. Bicycles go in the "
              "basement.",
              "file-a", "handbook.pdf", 4},
      Passage{"Expense reports are due monthly.", "file-b", "finance.md", 0},
  };
}

ChatRequest request(std::string question, std::vector<Passage> passages = {}, json::object extra = {}) {
  ChatRequest r;
  r.model = std::string(kExtractiveModel);
  r.body = std::move(extra);
  r.body["messages"] = json::array{json::object{{"role", "user"}, {"content", question}}};
  r.passages = std::move(passages);
  return r;
}

TEST(BuiltinLlm, ThePlantedFactSentenceIsChosenAndCitesItsPassage) {
  auto a = extractive_answer("Where do visitors park?", handbook());
  ASSERT_TRUE(a.answered) << a.text;
  EXPECT_NE(a.text.find("Visitors park in the quokka lot behind building seven. [2]"), std::string::npos) << a.text;
  EXPECT_EQ(a.text.find("Coffee"), std::string::npos) << a.text;
  EXPECT_EQ(a.citations, std::vector<int>{2});
}

TEST(BuiltinLlm, SentencesFromSeveralPassagesComeInDocumentOrder) {
  auto a = extractive_answer("When does the office open and where do visitors park?", handbook());
  ASSERT_TRUE(a.answered);
  auto office = a.text.find("The office opens at nine. [1]");
  auto park = a.text.find("quokka lot behind building seven. [2]");
  ASSERT_NE(office, std::string::npos) << a.text;
  ASSERT_NE(park, std::string::npos) << a.text;
  EXPECT_LT(office, park);
  EXPECT_EQ(a.citations, (std::vector<int>{1, 2}));
}

TEST(BuiltinLlm, AnUnrelatedQuestionGetsThePlainSentenceNamingTheSetting) {
  auto a = extractive_answer("What is the capital of Australia?", handbook());
  EXPECT_FALSE(a.answered);
  EXPECT_EQ(a.text, kNeedsGenerativeModel);
  EXPECT_NE(a.text.find("llm.url"), std::string::npos);
  EXPECT_NE(a.text.find("--llm-url"), std::string::npos);
  EXPECT_NE(a.text.find("DOCENT_LLM_URL"), std::string::npos);
  EXPECT_TRUE(a.citations.empty());
}

TEST(BuiltinLlm, AQuestionTouchingOneMinorWordIsNotAnswered) {
  // "office" appears, but the question is about carpets and colours, which no passage mentions.
  auto a = extractive_answer("What colour is the carpet in the office lobby?", handbook());
  EXPECT_FALSE(a.answered) << a.text;
}

TEST(BuiltinLlm, NoPassagesOrNoQuestionMeansThePlainSentence) {
  EXPECT_EQ(extractive_answer("Where do visitors park?", {}).text, kNeedsGenerativeModel);
  EXPECT_EQ(extractive_answer("", handbook()).text, kNeedsGenerativeModel);
  EXPECT_EQ(extractive_answer("what is it?", handbook()).text, kNeedsGenerativeModel);
}

TEST(BuiltinLlm, SummaryQuotesOnlySentencesOfThePassages) {
  auto a = extractive_answer("Summarize these documents", handbook());
  ASSERT_TRUE(a.answered);
  EXPECT_FALSE(a.citations.empty());
  // Every quoted piece is verbatim from a passage.
  std::string text = a.text;
  size_t start = 0;
  while (start < text.size()) {
    size_t mark = text.find(" [", start);
    ASSERT_NE(mark, std::string::npos);
    std::string sentence = text.substr(start, mark - start);
    bool found = false;
    for (const auto& p : handbook()) found = found || p.text.find(sentence) != std::string::npos;
    EXPECT_TRUE(found) << sentence;
    start = text.find("] ", mark);
    start = start == std::string::npos ? text.size() : start + 2;
  }
}

TEST(BuiltinLlm, SuggestedQuestionsFollowTheTopicsTheTextReturnsTo) {
  std::vector<Passage> passages = {
      {"The solar panel output drops in winter. Solar panel cleaning happens monthly.", "f", "a.pdf", 1},
      {"Battery storage keeps the solar panel output for the night. Battery storage lasts ten years.", "f", "a.pdf", 2},
      {"The inverter converts current.", "f", "a.pdf", 3},
  };
  auto asks = suggested_questions(passages, 3);
  ASSERT_EQ(asks.size(), 3u);
  EXPECT_EQ(asks[0], "What does the document say about solar panel?");
  // "panel output" overlaps the first topic; pairs seen twice come before single words.
  EXPECT_EQ(asks[1], "What does the document say about battery storage?");
  EXPECT_EQ(asks[2], "What does the document say about output?");
  EXPECT_TRUE(suggested_questions({}, 3).empty());

  // Asked for a summary and questions, the built-in engine gives both; a summary alone, no list.
  auto both = extractive_answer("Summarize this file and give the 3 most relevant questions", passages);
  ASSERT_TRUE(both.answered);
  EXPECT_NE(both.text.find("\n\nQuestions this document can answer:\n1. What does the document say about solar panel?"),
            std::string::npos)
      << both.text;
  EXPECT_EQ(extractive_answer("Summarize this file", passages).text.find("Questions"), std::string::npos);
}

TEST(BuiltinLlm, ASentenceWrappedOverLinesIsQuotedWhole) {
  // Text from a PDF or a scan keeps its line breaks; a sentence going on in lower case is one
  // sentence, while a heading line stays apart from what follows it.
  std::vector<Passage> passages = {
      {"Night Shift\nThe quick brown dog jumped over the\nlazy fox, then slept by the well-\nknown gate.\nOwls hunt.",
       "f", "a.pdf", 1}};
  auto a = extractive_answer("What did the quick brown dog jump over?", passages);
  ASSERT_TRUE(a.answered);
  EXPECT_EQ(a.text, "The quick brown dog jumped over the lazy fox, then slept by the well-known gate. [1]");
}

TEST(BuiltinLlm, ChatAnswersFromTheConversationsOwnTextWhenGivenNoPassages) {
  BuiltinLlm llm;
  ChatRequest r;
  r.model = std::string(kExtractiveModel);
  r.body["messages"] = json::array{json::object{{"role", "system"},
                                                {"content", "Context: the spare key is under the blue flowerpot."}},
                                   json::object{{"role", "user"}, {"content", "Where is the spare key?"}}};
  auto result = llm.chat(r, {});
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result->content, "Context: the spare key is under the blue flowerpot. [1]");
  EXPECT_EQ(result->finish_reason, "stop");

  auto plain = llm.chat(request("Write me a poem about the sea"), {});
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->content, kNeedsGenerativeModel);
}

TEST(BuiltinLlm, UsageIsTheDocumentedEstimate) {
  EXPECT_EQ(estimate_tokens(""), 0);
  EXPECT_EQ(estimate_tokens("a"), 1);
  EXPECT_EQ(estimate_tokens("abcd"), 1);
  EXPECT_EQ(estimate_tokens("abcde"), 2);
  EXPECT_EQ(estimate_tokens("\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"), 1);  // four code points, eight bytes
  BuiltinLlm llm;
  auto r = llm.chat(request("Where do visitors park?", handbook()), {});
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->usage.estimated);
  EXPECT_EQ(r->usage.completion_tokens, estimate_tokens(r->content));
  EXPECT_EQ(r->usage.total_tokens, r->usage.prompt_tokens + r->usage.completion_tokens);
  EXPECT_GT(r->usage.prompt_tokens, estimate_tokens("Where do visitors park?"));
}

TEST(BuiltinLlm, ParametersItCannotHonourAreRefusedNamingTheParameter) {
  BuiltinLlm llm;
  json::object tools{{"tools", json::array{json::object{{"type", "function"}}}}};
  auto r = llm.chat(request("Where do visitors park?", handbook(), tools), {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, core::Code::InvalidInput);
  EXPECT_EQ(r.error().field, "tools");

  json::object schema{{"response_format", json::object{{"type", "json_schema"}}}};
  auto s = llm.stream(request("Where do visitors park?", handbook(), schema), {});
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().field, "response_format");

  json::object text{{"response_format", json::object{{"type", "text"}}}, {"temperature", 0.2}, {"seed", 7}};
  EXPECT_TRUE(llm.chat(request("Where do visitors park?", handbook(), text), {}).ok());
}

TEST(BuiltinLlm, MaxTokensCutsTheAnswerWithFinishReasonLength) {
  BuiltinLlm llm;
  auto r = llm.chat(request("Where do visitors park?", handbook(), json::object{{"max_tokens", 3}}), {});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->finish_reason, "length");
  EXPECT_LE(estimate_tokens(r->content), 3);
  EXPECT_EQ(r->content.rfind("Parking is", 0), 0u) << r->content;  // "parking" meets "park" too
}

TEST(BuiltinLlm, StreamYieldsTheSameTextThenFinishThenUsage) {
  BuiltinLlm llm;
  auto whole = llm.chat(request("When does the office open and where do visitors park?", handbook()), {});
  ASSERT_TRUE(whole.ok());
  auto s = llm.stream(request("When does the office open and where do visitors park?", handbook()), {});
  ASSERT_TRUE(s.ok());
  std::string text;
  int chunks = 0;
  bool finished = false, usage = false;
  while (true) {
    auto c = (*s)->next({});
    ASSERT_TRUE(c.ok());
    if (!*c) break;
    ++chunks;
    text += (*c)->content;
    if ((*c)->finish_reason) finished = true;
    if ((*c)->usage) usage = true;
  }
  EXPECT_EQ(text, whole->content);
  EXPECT_GE(chunks, 4);  // two sentences, finish, usage
  EXPECT_TRUE(finished);
  EXPECT_TRUE(usage);
}

TEST(BuiltinLlm, ACancelledStreamStops) {
  BuiltinLlm llm;
  auto s = llm.stream(request("Where do visitors park?", handbook()), {});
  ASSERT_TRUE(s.ok());
  auto c = (*s)->next([] { return true; });
  EXPECT_FALSE(c.ok());
}

}  // namespace
}  // namespace docent::engines
