#include "engines/builtin_llm.h"

#include <boost/json.hpp>

#include <algorithm>
#include <cmath>
#include <deque>
#include <map>
#include <set>
#include <unordered_map>
#include <unordered_set>

namespace docent::engines {

namespace json = boost::json;

namespace {

constexpr int kMaxAnswerSentences = 3;
constexpr double kRelativeFloor = 0.35;  // a chosen sentence scores at least this share of the best
constexpr double kMinCoverage = 0.30;    // the best sentence covers this share of the question's weight
constexpr double kK1 = 1.2, kB = 0.75;

// Stopwords plus the words that make a sentence a question ("what", "tell me"): neither says
// what the question is about.
const std::unordered_set<std::string>& stopwords() {
  static const std::unordered_set<std::string> words = {
      "a",     "about",  "after",  "all",    "also", "am",   "an",     "and",   "any",   "are",   "as",   "at",
      "be",    "been",   "before", "being",  "but",  "by",   "can",    "could", "did",   "do",    "doe",  "does",
      "doing", "for",    "from",   "had",    "has",  "have", "having", "he",    "her",   "here",  "hers", "him",
      "his",   "how",    "i",      "if",     "in",   "into", "is",     "it",    "its",   "just",  "know", "let",
      "me",    "might",  "more",   "most",   "my",   "no",   "not",    "of",    "on",    "or",    "our",  "out",
      "over",  "please", "she",    "should", "so",   "some", "such",   "tell",  "than",  "that",  "the",  "their",
      "them",  "then",   "there",  "these",  "they", "this", "those",  "to",    "too",   "under", "up",   "us",
      "wa",    "was",    "we",     "were",   "what", "when", "where",  "which", "while", "who",   "whom", "why",
      "will",  "with",   "would",  "you",    "your"};
  return words;
}

std::string stem(std::string w) {
  if (w.size() > 2 && w.ends_with("'s")) w.resize(w.size() - 2);
  if (w.size() > 4 && w.ends_with("ies")) {
    w.resize(w.size() - 3);
    w += 'y';
  } else if (w.size() > 3 && w.back() == 's' && w[w.size() - 2] != 's' && w[w.size() - 2] != 'u' &&
             w[w.size() - 2] != 'i') {
    w.pop_back();
  }
  // Verb endings, so "jumped", "jumping" and "jump" meet (and "closed", "closing", "close").
  if (w.size() > 5 && w.ends_with("ing")) {
    w.resize(w.size() - 3);
  } else if (w.size() > 4 && w.ends_with("ed")) {
    w.resize(w.size() - 2);
  }
  if (w.size() > 3 && w.back() == 'e') w.pop_back();
  return w;
}

// Lowercased words (ASCII letters, digits, apostrophes inside; other bytes >= 0x80 kept as word
// characters so non-English words still match themselves), stemmed, stopwords dropped.
std::vector<std::string> terms(std::string_view text) {
  std::vector<std::string> out;
  std::string cur;
  auto flush = [&] {
    while (!cur.empty() && cur.back() == '\'') cur.pop_back();
    if (!cur.empty()) {
      std::string s = stem(cur);
      if (!stopwords().count(s) && !stopwords().count(cur)) out.push_back(std::move(s));
    }
    cur.clear();
  };
  for (char ch : text) {
    unsigned char c = static_cast<unsigned char>(ch);
    if (std::isalnum(c) || c >= 0x80) {
      cur.push_back(static_cast<char>(std::tolower(c)));
    } else if (c == '\'' && !cur.empty()) {
      cur.push_back('\'');
    } else {
      flush();
    }
  }
  flush();
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

// Sentences: ends at . ! ? followed by whitespace (or the end), and at line breaks that do not
// fall inside a wrapped sentence (see below); internal whitespace runs collapse to one space.
std::vector<std::string> sentences(std::string_view text) {
  std::vector<std::string> out;
  std::string cur;
  auto flush = [&] {
    std::string_view t = trim(cur);
    bool has_alnum = std::any_of(t.begin(), t.end(),
                                 [](char c) { return std::isalnum(static_cast<unsigned char>(c)); });
    // Markdown headings and list markers are not sentences' words.
    while (!t.empty() && (t.front() == '#' || t.front() == '*' || t.front() == '-' || t.front() == '>')) {
      t.remove_prefix(1);
      t = trim(t);
    }
    if (has_alnum && t.size() >= 3) out.emplace_back(t);
    cur.clear();
  };
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '\n' || c == '\r') {
      // A line break inside a wrapped sentence (the next line goes on in lower case, or this one
      // ends in a comma or hyphen) is a space; otherwise, as after headings and list items, the
      // sentence ends with the line.
      size_t j = i + 1;
      while (j < text.size() && (text[j] == ' ' || text[j] == '\t' || text[j] == '\r')) ++j;
      const bool blank_line = j < text.size() && text[j] == '\n';
      const unsigned char next = j < text.size() ? static_cast<unsigned char>(text[j]) : 0;
      const char last = cur.empty() ? 0 : cur.back();
      const bool wrapped = !blank_line && !cur.empty() &&
                           (std::islower(next) || last == ',' || last == ';' || (last == '-' && cur.size() > 1));
      if (wrapped) {
        if (last != '-' && last != ' ') cur.push_back(' ');  // a hyphenated word stays one word
        continue;
      }
      flush();
      continue;
    }
    if (std::isspace(static_cast<unsigned char>(c))) {
      if (!cur.empty() && cur.back() != ' ') cur.push_back(' ');
      continue;
    }
    cur.push_back(c);
    if ((c == '.' || c == '!' || c == '?') &&
        (i + 1 == text.size() || std::isspace(static_cast<unsigned char>(text[i + 1])))) {
      flush();
    }
  }
  flush();
  return out;
}

struct Sentence {
  int passage = 0;   // index into passages
  int position = 0;  // order within the passage
  std::string text;
  std::vector<std::string> terms;
};

std::vector<Sentence> split(const std::vector<Passage>& passages) {
  std::vector<Sentence> out;
  for (size_t p = 0; p < passages.size(); ++p) {
    int pos = 0;
    for (auto& s : sentences(passages[p].text)) {
      Sentence sent{static_cast<int>(p), pos++, std::move(s), {}};
      sent.terms = terms(sent.text);
      out.push_back(std::move(sent));
    }
  }
  return out;
}

// Writes the chosen sentences in document order, each followed by its citation.
ExtractiveAnswer render(std::vector<const Sentence*> chosen) {
  std::sort(chosen.begin(), chosen.end(), [](const Sentence* a, const Sentence* b) {
    return std::tie(a->passage, a->position) < std::tie(b->passage, b->position);
  });
  ExtractiveAnswer a;
  a.answered = true;
  for (const Sentence* s : chosen) {
    if (!a.text.empty()) a.text.push_back(' ');
    a.text += s->text + " [" + std::to_string(s->passage + 1) + "]";
    if (std::find(a.citations.begin(), a.citations.end(), s->passage + 1) == a.citations.end()) {
      a.citations.push_back(s->passage + 1);
    }
  }
  return a;
}

ExtractiveAnswer cannot_answer() {
  ExtractiveAnswer a;
  a.text = std::string(kNeedsGenerativeModel);
  return a;
}

bool asks_for_summary(std::string_view question) {
  std::string q(question);
  for (char& c : q) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (std::string_view w : {"summar", "tl;dr", "tldr", "overview", "gist"}) {
    if (q.find(w) != std::string::npos) return true;
  }
  return false;
}

bool asks_for_questions(std::string_view question) {
  std::string q(question);
  for (char& c : q) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return q.find("question") != std::string::npos;
}

int64_t utf8_length(std::string_view s) {
  int64_t n = 0;
  for (char c : s) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return n;
}

}  // namespace

int64_t estimate_tokens(std::string_view text) {
  int64_t cp = utf8_length(text);
  return cp == 0 ? 0 : std::max<int64_t>(1, (cp + 3) / 4);
}

ExtractiveAnswer extractive_answer(std::string_view question, const std::vector<Passage>& passages) {
  std::vector<std::string> q = terms(question);
  std::sort(q.begin(), q.end());
  q.erase(std::unique(q.begin(), q.end()), q.end());
  if (q.empty() || passages.empty()) return cannot_answer();
  if (asks_for_summary(question)) {
    ExtractiveAnswer a = extractive_summary(passages);
    if (a.answered && asks_for_questions(question)) {
      std::vector<std::string> asks = suggested_questions(passages, 3);
      if (!asks.empty()) {
        a.text += "\n\nQuestions this document can answer:";
        for (size_t i = 0; i < asks.size(); ++i) a.text += "\n" + std::to_string(i + 1) + ". " + asks[i];
      }
    }
    return a;
  }

  std::vector<Sentence> all = split(passages);
  if (all.empty()) return cannot_answer();
  const double n = static_cast<double>(all.size());
  double avg_len = 0;
  std::unordered_map<std::string, int> df;
  for (const auto& s : all) {
    avg_len += static_cast<double>(s.terms.size());
    std::set<std::string> seen(s.terms.begin(), s.terms.end());
    for (const auto& t : seen) ++df[t];
  }
  avg_len = std::max(1.0, avg_len / n);
  auto idf = [&](const std::string& t) {
    auto it = df.find(t);
    double d = it == df.end() ? 0 : it->second;
    return std::log(1.0 + (n - d + 0.5) / (d + 0.5));
  };
  double question_weight = 0;
  for (const auto& t : q) question_weight += idf(t);

  struct Scored {
    const Sentence* s;
    double score, coverage;
  };
  std::vector<Scored> scored;
  for (const auto& s : all) {
    std::unordered_map<std::string, int> tf;
    for (const auto& t : s.terms) ++tf[t];
    double score = 0, covered = 0;
    for (const auto& t : q) {
      auto it = tf.find(t);
      if (it == tf.end()) continue;
      const double f = it->second;
      const double w = idf(t);
      score += w * f * (kK1 + 1) / (f + kK1 * (1 - kB + kB * static_cast<double>(s.terms.size()) / avg_len));
      covered += w;
    }
    if (score > 0) scored.push_back({&s, score, question_weight > 0 ? covered / question_weight : 0});
  }
  if (scored.empty()) return cannot_answer();
  std::stable_sort(scored.begin(), scored.end(), [](const Scored& a, const Scored& b) { return a.score > b.score; });
  const double best_coverage = std::max_element(scored.begin(), scored.end(), [](const Scored& a, const Scored& b) {
                                 return a.coverage < b.coverage;
                               })->coverage;
  if (best_coverage < kMinCoverage) return cannot_answer();

  std::vector<const Sentence*> chosen;
  std::set<std::string> texts;  // the same sentence quoted from two passages is said once
  for (const auto& sc : scored) {
    if (static_cast<int>(chosen.size()) == kMaxAnswerSentences) break;
    if (sc.score < kRelativeFloor * scored.front().score) break;
    if (!texts.insert(sc.s->text).second) continue;
    chosen.push_back(sc.s);
  }
  return render(std::move(chosen));
}

ExtractiveAnswer extractive_summary(const std::vector<Passage>& passages, int max_sentences) {
  std::vector<Sentence> all = split(passages);
  if (all.empty()) return cannot_answer();
  // A sentence is central when its terms recur across the text: mean log frequency of its terms.
  std::unordered_map<std::string, int> freq;
  for (const auto& s : all) {
    for (const auto& t : s.terms) ++freq[t];
  }
  std::vector<std::pair<double, const Sentence*>> scored;
  for (const auto& s : all) {
    if (s.terms.empty()) continue;
    double sum = 0;
    for (const auto& t : s.terms) sum += std::log(1.0 + freq[t]);
    // Longer sentences carry more, up to a point; one-word lines (headings) carry little.
    scored.emplace_back(sum / std::sqrt(static_cast<double>(s.terms.size()) + 4.0), &s);
  }
  if (scored.empty()) return cannot_answer();
  std::stable_sort(scored.begin(), scored.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  std::vector<const Sentence*> chosen;
  std::set<std::string> texts;
  for (const auto& [score, s] : scored) {
    if (static_cast<int>(chosen.size()) >= std::max(1, max_sentences)) break;
    if (texts.insert(s->text).second) chosen.push_back(s);
  }
  return render(std::move(chosen));
}

std::vector<std::string> suggested_questions(const std::vector<Passage>& passages, int count) {
  // Topics are the phrases the text keeps returning to: word pairs (neither a stopword) seen at
  // least twice, then single words, most frequent first, ties in order of first appearance.
  struct Topic {
    int count = 0;
    size_t first = 0;
  };
  std::map<std::string, Topic> pairs, singles;
  size_t order = 0;
  auto is_topic_word = [](const std::string& w) {
    return w.size() >= 3 && !stopwords().count(w) && !stopwords().count(stem(w)) &&
           std::any_of(w.begin(), w.end(), [](char c) { return std::isalpha(static_cast<unsigned char>(c)); }) &&
           std::none_of(w.begin(), w.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); });
  };
  for (const auto& p : passages) {
    for (const auto& sentence : sentences(p.text)) {
      std::vector<std::string> words;
      std::string cur;
      for (char ch : sentence + " ") {
        unsigned char c = static_cast<unsigned char>(ch);
        if (std::isalnum(c) || c >= 0x80 || (c == '-' && !cur.empty())) {
          cur.push_back(static_cast<char>(std::tolower(c)));
        } else {
          while (!cur.empty() && cur.back() == '-') cur.pop_back();
          words.push_back(std::move(cur));
          cur.clear();
        }
      }
      for (size_t i = 0; i < words.size(); ++i) {
        if (!is_topic_word(words[i])) continue;
        auto& one = singles[words[i]];
        if (one.count++ == 0) one.first = order++;
        if (i + 1 < words.size() && is_topic_word(words[i + 1])) {
          auto& two = pairs[words[i] + " " + words[i + 1]];
          if (two.count++ == 0) two.first = order++;
        }
      }
    }
  }
  auto ranked = [](const std::map<std::string, Topic>& topics, int min_count) {
    std::vector<std::pair<std::string, Topic>> v;
    for (const auto& [k, t] : topics) {
      if (t.count >= min_count) v.emplace_back(k, t);
    }
    std::sort(v.begin(), v.end(), [](const auto& a, const auto& b) {
      return a.second.count != b.second.count ? a.second.count > b.second.count : a.second.first < b.second.first;
    });
    return v;
  };
  std::vector<std::string> topics;
  auto taken = [&](const std::string& w) {
    return std::any_of(topics.begin(), topics.end(), [&](const std::string& t) {
      return (" " + t + " ").find(" " + w + " ") != std::string::npos ||
             (" " + w + " ").find(" " + t + " ") != std::string::npos;
    });
  };
  for (const auto& [k, t] : ranked(pairs, 2)) {
    if (static_cast<int>(topics.size()) >= count) break;
    std::string first = k.substr(0, k.find(' ')), second = k.substr(k.find(' ') + 1);
    if (!taken(first) && !taken(second)) topics.push_back(k);
  }
  for (const auto& [k, t] : ranked(singles, 1)) {
    if (static_cast<int>(topics.size()) >= count) break;
    if (!taken(k)) topics.push_back(k);
  }
  std::vector<std::string> out;
  for (const auto& t : topics) out.push_back("What does the document say about " + t + "?");
  return out;
}

namespace {

struct Prepared {
  std::string question;
  std::vector<Passage> passages;
  int64_t prompt_tokens = 0;
  std::optional<int64_t> max_tokens;
  std::vector<std::string> stops;
};

core::Error cannot_honour(std::string param, std::string why) {
  return core::Error(core::Code::InvalidInput,
                     std::string(kExtractiveModel) + " " + why + "; choose a generative model served by llm.url",
                     param);
}

core::Result<Prepared> prepare(const ChatRequest& request) {
  const json::object& b = request.body;
  if (const auto* t = b.if_contains("tools"); t && t->is_array() && !t->get_array().empty()) {
    return cannot_honour("tools", "cannot call tools");
  }
  if (const auto* t = b.if_contains("tool_choice");
      t && !t->is_null() && !(t->is_string() && t->get_string() == "none")) {
    return cannot_honour("tool_choice", "cannot call tools");
  }
  if (const auto* rf = b.if_contains("response_format"); rf && rf->is_object()) {
    const auto* type = rf->get_object().if_contains("type");
    if (type && type->is_string() && type->get_string() != "text") {
      return cannot_honour("response_format", "only answers in text, not " + std::string(type->get_string()));
    }
  }
  if (const auto* lp = b.if_contains("logprobs"); lp && lp->is_bool() && lp->get_bool()) {
    return cannot_honour("logprobs", "has no token probabilities");
  }
  Prepared p;
  p.passages = request.passages;
  const bool context_given = !p.passages.empty();
  if (const auto* msgs = b.if_contains("messages"); msgs && msgs->is_array()) {
    const auto& arr = msgs->get_array();
    size_t last_user = arr.size();
    for (size_t i = arr.size(); i-- > 0;) {
      const auto* role = arr[i].is_object() ? arr[i].get_object().if_contains("role") : nullptr;
      if (role && role->is_string() && role->get_string() == "user") {
        last_user = i;
        break;
      }
    }
    for (size_t i = 0; i < arr.size(); ++i) {
      if (!arr[i].is_object()) continue;
      const auto& m = arr[i].get_object();
      const auto* content = m.if_contains("content");
      if (!content) continue;
      std::string text = message_text(*content);
      p.prompt_tokens += estimate_tokens(text);
      if (i == last_user) {
        p.question = std::move(text);
        continue;
      }
      const auto* role = m.if_contains("role");
      const bool source = role && role->is_string() &&
                          (role->get_string() == "system" || role->get_string() == "developer" ||
                           role->get_string() == "user");
      if (!context_given && source && !text.empty()) p.passages.push_back(Passage{std::move(text), {}, {}, 0});
    }
  }
  if (context_given) {
    for (const auto& ps : p.passages) p.prompt_tokens += estimate_tokens(ps.text);
  }
  for (const char* key : {"max_completion_tokens", "max_tokens"}) {
    if (const auto* v = b.if_contains(key); v && v->is_int64() && !p.max_tokens) p.max_tokens = v->get_int64();
  }
  if (const auto* s = b.if_contains("stop")) {
    if (s->is_string()) p.stops.emplace_back(s->get_string());
    if (s->is_array()) {
      for (const auto& x : s->get_array()) {
        if (x.is_string() && !x.get_string().empty()) p.stops.emplace_back(x.get_string());
      }
    }
  }
  return p;
}

ChatResult answer(const Prepared& p) {
  ExtractiveAnswer a = extractive_answer(p.question, p.passages);
  ChatResult r;
  r.content = std::move(a.text);
  r.citations = std::move(a.citations);
  r.finish_reason = "stop";
  for (const auto& stop : p.stops) {
    if (auto at = r.content.find(stop); at != std::string::npos) r.content.resize(at);
  }
  if (p.max_tokens && estimate_tokens(r.content) > *p.max_tokens) {
    // Cut at a word boundary within max_tokens * 4 code points (the estimate's inverse).
    size_t budget = static_cast<size_t>(std::max<int64_t>(0, *p.max_tokens)) * 4, cps = 0, cut = 0;
    for (size_t i = 0; i < r.content.size(); ++i) {
      if ((static_cast<unsigned char>(r.content[i]) & 0xC0) != 0x80) {
        if (cps == budget) break;
        ++cps;
      }
      if (r.content[i] == ' ') cut = i;
      if (cps == budget && i + 1 < r.content.size() && r.content[i + 1] == ' ') cut = i + 1;
    }
    r.content.resize(cut);
    r.finish_reason = "length";
  }
  r.usage.prompt_tokens = p.prompt_tokens;
  r.usage.completion_tokens = estimate_tokens(r.content);
  r.usage.total_tokens = r.usage.prompt_tokens + r.usage.completion_tokens;
  r.usage.estimated = true;
  return r;
}

// Streams a finished answer: one chunk per sentence-and-citation, a final chunk with the finish
// reason, then one with the usage.
class BuiltinStream : public ChatStream {
 public:
  explicit BuiltinStream(ChatResult r) {
    std::string_view text = r.content;
    while (!text.empty()) {
      size_t end = text.find("] ");
      size_t take = end == std::string_view::npos ? text.size() : end + 2;
      ChatChunk c;
      c.content = std::string(text.substr(0, take));
      chunks_.push_back(std::move(c));
      text.remove_prefix(take);
    }
    ChatChunk fin;
    fin.finish_reason = r.finish_reason;
    chunks_.push_back(std::move(fin));
    ChatChunk usage;
    usage.usage = r.usage;
    chunks_.push_back(std::move(usage));
  }

  core::Result<std::optional<ChatChunk>> next(const CancelCheck& cancel) override {
    if (cancel && cancel()) return core::Error(core::Code::ServiceUnavailable, "cancelled");
    if (chunks_.empty()) return std::optional<ChatChunk>();
    ChatChunk c = std::move(chunks_.front());
    chunks_.pop_front();
    return std::optional<ChatChunk>(std::move(c));
  }

 private:
  std::deque<ChatChunk> chunks_;
};

}  // namespace

core::Result<std::vector<ModelInfo>> BuiltinLlm::list_models(const CancelCheck&) {
  return std::vector<ModelInfo>{ModelInfo{std::string(kExtractiveModel), "docent", 1767225600}};
}

core::Result<ChatResult> BuiltinLlm::chat(const ChatRequest& request, const CancelCheck&) {
  auto p = prepare(request);
  if (!p) return p.error();
  return answer(*p);
}

core::Result<std::unique_ptr<ChatStream>> BuiltinLlm::stream(const ChatRequest& request, const CancelCheck&) {
  auto p = prepare(request);
  if (!p) return p.error();
  return std::unique_ptr<ChatStream>(std::make_unique<BuiltinStream>(answer(*p)));
}

core::Result<EmbeddingResult> BuiltinLlm::embed(const std::string&, const std::vector<std::string>&,
                                                const CancelCheck&) {
  return core::Error(core::Code::ServiceUnavailable, "docent-extractive has no embeddings; use the embeddings models");
}

}  // namespace docent::engines
