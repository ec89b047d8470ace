#include "engines/outline.h"

#include "core/text.h"

#include <boost/json.hpp>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <map>
#include <set>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

namespace docent::engines {

namespace json = boost::json;
using core::Code;
using core::Error;

namespace {

// English function words: in nearly every sentence, so they say nothing about what one is about.
const std::unordered_set<std::string_view>& stop_words() {
  static const std::unordered_set<std::string_view> words = {
      "the",   "and",   "for",   "are",   "but",    "not",   "you",   "all",   "any",    "can",   "had",   "her",
      "was",   "one",   "our",   "out",   "has",    "have",  "this",  "that",  "with",   "from",  "they",  "will",
      "would", "there", "their", "what",  "which",  "when",  "were",  "been",  "into",   "than",  "then",  "them",
      "these", "those", "such",  "also",  "its",    "may",   "more",  "most",  "other",  "some",  "only",  "over",
      "very",  "each",  "about", "after", "before", "where", "while", "shall", "should", "could", "being", "who",
      "whom",  "his",   "she",   "him",   "how",    "why",   "does",  "did",   "done",   "per",   "via"};
  return words;
}

// Words a period follows without ending the sentence.
const std::unordered_set<std::string>& abbreviations() {
  static const std::unordered_set<std::string> words = {"e.g", "eg", "ie", "etc", "vs", "cf",   "fig", "approx", "no",
                                                        "nos", "dr", "mr", "mrs", "ms", "prof", "st",  "inc",    "ltd"};
  return words;
}

struct Sentence {
  std::string text;
  size_t passage = 0;  // index into the passages
  std::vector<std::string> terms;
  double score = 0;
};

// Lower-cased words of three letters or more, function words left out.
std::vector<std::string> terms_of(std::string_view text) {
  std::vector<std::string> out;
  std::string word;
  auto flush = [&] {
    if (word.size() >= 3 && !stop_words().contains(word)) out.push_back(word);
    word.clear();
  };
  for (char c : text) {
    auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u) || u >= 0x80) {
      word += static_cast<char>(std::tolower(u));
    } else {
      flush();
    }
  }
  flush();
  return out;
}

size_t word_count(std::string_view text) {
  size_t n = 0;
  bool in_word = false;
  for (char c : text) {
    bool space = std::isspace(static_cast<unsigned char>(c)) != 0;
    if (!space && !in_word) ++n;
    in_word = !space;
  }
  return n;
}

// Whitespace runs folded to one space, ends trimmed.
std::string squeeze(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    if (std::isspace(static_cast<unsigned char>(c))) {
      if (!out.empty() && out.back() != ' ') out += ' ';
    } else {
      out += c;
    }
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

// Sentences end at . ! ? followed by a space and a capital or a digit, or at a blank line.
// Short all-lowercase tokens before a period ("e.g.", "approx.") do not end one.
std::vector<std::string> split_sentences(std::string_view text) {
  std::vector<std::string> out;
  size_t start = 0;
  auto emit = [&](size_t end) {
    std::string s = squeeze(text.substr(start, end - start));
    if (!s.empty()) out.push_back(std::move(s));
    start = end;
  };
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '\n' && i + 1 < text.size() && text[i + 1] == '\n') {
      emit(i);
      continue;
    }
    if (c != '.' && c != '!' && c != '?') continue;
    size_t j = i + 1;
    while (j < text.size() && (text[j] == '"' || text[j] == '\'' || text[j] == ')')) ++j;
    if (j >= text.size() || !std::isspace(static_cast<unsigned char>(text[j]))) continue;
    size_t k = j;
    while (k < text.size() && std::isspace(static_cast<unsigned char>(text[k]))) ++k;
    if (k < text.size() && !std::isupper(static_cast<unsigned char>(text[k])) &&
        !std::isdigit(static_cast<unsigned char>(text[k]))) {
      continue;
    }
    if (c == '.') {
      size_t w = i;
      while (w > start && std::isalpha(static_cast<unsigned char>(text[w - 1]))) --w;
      std::string word(text.substr(w, i - w));
      for (char& ch : word) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
      bool initial = word.size() == 1 && w > start && text[w - 1] == '.';  // "e.g.", "i.e."
      if (initial || abbreviations().contains(word)) continue;
    }
    emit(j);
  }
  emit(text.size());
  return out;
}

// `text` cut to at most `max` bytes at a word boundary, with an ellipsis when cut.
std::string shorten(const std::string& text, size_t max) {
  if (text.size() <= max) return text;
  std::string cut = core::utf8_prefix(text, max);  // never splits a character
  size_t space = cut.find_last_of(' ');
  if (space != std::string::npos && space > max / 2) cut.resize(space);
  while (!cut.empty() && (cut.back() == ',' || cut.back() == ';' || cut.back() == ':' || cut.back() == ' ')) {
    cut.pop_back();
  }
  return cut + "\xe2\x80\xa6";
}

std::string cite(const OutlinePassage& p) {
  std::string out = p.file_name.empty() ? std::string("document") : p.file_name;
  if (p.page > 0) out += ", page " + std::to_string(p.page);
  if (!p.section.empty()) out += ", \u201c" + p.section + "\u201d";
  return out;
}

struct Group {
  std::string title;
  std::vector<size_t> sentences;  // indexes into the sentence list, in document order
  double weight = 0;              // the sum of its best sentences' scores
  size_t first = 0, last = 0;     // the group's first and last sentence, before choosing
};

}  // namespace

core::Result<Deck> outline_from_passages(const std::string& title, const std::string& subtitle,
                                         const std::vector<OutlinePassage>& passages, const OutlineOptions& options) {
  std::vector<Sentence> sentences;
  for (size_t i = 0; i < passages.size(); ++i) {
    for (std::string& s : split_sentences(passages[i].text)) {
      if (word_count(s) < 3) continue;
      Sentence sentence{.text = std::move(s), .passage = i, .terms = {}, .score = 0};
      sentence.terms = terms_of(sentence.text);
      if (!sentence.terms.empty()) sentences.push_back(std::move(sentence));
    }
  }
  if (sentences.empty()) return Error(Code::InvalidInput, "the documents hold no sentences to build slides from");

  // Inverse document frequency over sentences; a sentence scores the mean weight of its distinct
  // terms times a gentle length factor (a long sentence is not better just for being long).
  std::unordered_map<std::string, size_t> df;
  for (const Sentence& s : sentences) {
    std::set<std::string_view> seen(s.terms.begin(), s.terms.end());
    for (std::string_view t : seen) ++df[std::string(t)];
  }
  const double n = static_cast<double>(sentences.size());
  for (Sentence& s : sentences) {
    std::set<std::string_view> seen(s.terms.begin(), s.terms.end());
    double sum = 0;
    for (std::string_view t : seen) sum += std::log(1.0 + n / static_cast<double>(df[std::string(t)]));
    double mean = sum / static_cast<double>(seen.size());
    s.score = mean * std::log(2.0 + static_cast<double>(seen.size()));
  }

  // Sections in document order: consecutive passages under one heading of one file.
  std::vector<Group> groups;
  size_t last_passage = SIZE_MAX;
  for (size_t i = 0; i < sentences.size(); ++i) {
    const OutlinePassage& p = passages[sentences[i].passage];
    bool same = last_passage != SIZE_MAX && passages[last_passage].section == p.section &&
                passages[last_passage].file_name == p.file_name;
    if (!same || p.section.empty()) {
      // Text without headings is one group per file, split into stretches below.
      bool same_file_unheaded = last_passage != SIZE_MAX && p.section.empty() &&
                                passages[last_passage].section.empty() &&
                                passages[last_passage].file_name == p.file_name;
      if (!same_file_unheaded) groups.push_back(Group{.title = p.section, .sentences = {}, .weight = 0});
    }
    groups.back().sentences.push_back(i);
    last_passage = sentences[i].passage;
  }

  // A group without a heading that has more sentences than a few slides can hold is cut into
  // stretches, as many as the slide budget left allows, titled by file and pages.
  const size_t max_slides = std::max<size_t>(1, options.max_slides);
  const size_t per_slide = std::max<size_t>(1, options.bullets_per_slide);
  std::vector<Group> split;
  for (Group& g : groups) {
    if (!g.title.empty() || g.sentences.size() <= per_slide * 2) {
      split.push_back(std::move(g));
      continue;
    }
    size_t budget = std::max<size_t>(1, max_slides / std::max<size_t>(1, groups.size()));
    size_t parts = std::clamp<size_t>(g.sentences.size() / (per_slide * 2), 1, budget);
    size_t each = (g.sentences.size() + parts - 1) / parts;
    for (size_t at = 0; at < g.sentences.size(); at += each) {
      Group part;
      part.sentences.assign(g.sentences.begin() + static_cast<std::ptrdiff_t>(at),
                            g.sentences.begin() + static_cast<std::ptrdiff_t>(std::min(at + each, g.sentences.size())));
      split.push_back(std::move(part));
    }
  }
  groups = std::move(split);

  // Each group's best sentences (in document order), and its weight for choosing among groups.
  for (Group& g : groups) {
    g.first = g.sentences.front();
    g.last = g.sentences.back();
    std::vector<size_t> best = g.sentences;
    std::stable_sort(best.begin(), best.end(),
                     [&](size_t a, size_t b) { return sentences[a].score > sentences[b].score; });
    if (best.size() > per_slide) best.resize(per_slide);
    std::sort(best.begin(), best.end());
    g.weight = 0;
    for (size_t s : best) g.weight += sentences[s].score;
    g.sentences = std::move(best);
  }
  if (groups.size() > max_slides) {
    std::vector<size_t> order(groups.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::stable_sort(order.begin(), order.end(),
                     [&](size_t a, size_t b) { return groups[a].weight > groups[b].weight; });
    order.resize(max_slides);
    std::sort(order.begin(), order.end());
    std::vector<Group> kept;
    for (size_t i : order) kept.push_back(std::move(groups[i]));
    groups = std::move(kept);
  }

  Deck deck{.title = title, .subtitle = subtitle, .author = {}, .slides = {}};
  for (Group& g : groups) {
    DeckSlide slide;
    const OutlinePassage& first = passages[sentences[g.first].passage];
    const OutlinePassage& last = passages[sentences[g.last].passage];
    if (!g.title.empty()) {
      slide.title = shorten(g.title, 120);
    } else {
      slide.title = first.file_name.empty() ? std::string("Document") : first.file_name;
      if (first.page > 0 && last.page > first.page) {
        slide.title += ", pages " + std::to_string(first.page) + "\u2013" + std::to_string(last.page);
      } else if (first.page > 0) {
        slide.title += ", page " + std::to_string(first.page);
      }
    }
    std::vector<std::string> sources;
    for (size_t k = 0; k < g.sentences.size(); ++k) {
      const Sentence& s = sentences[g.sentences[k]];
      slide.bullets.push_back(shorten(s.text, options.max_bullet_chars));
      std::string where = cite(passages[s.passage]);
      if (std::find(sources.begin(), sources.end(), where) == sources.end()) sources.push_back(where);
    }
    slide.notes = "Sources:";
    for (size_t k = 0; k < sources.size(); ++k) slide.notes += "\n[" + std::to_string(k + 1) + "] " + sources[k];
    deck.slides.push_back(std::move(slide));
  }
  if (auto ok = check_deck(deck); !ok) return ok.error();
  return deck;
}

namespace {

core::Result<std::string> string_field(const json::object& o, std::string_view key, const std::string& path,
                                       bool required) {
  const json::value* v = o.if_contains(key);
  if (v == nullptr || v->is_null()) {
    if (required) return Error(Code::MissingField, path + " is required", path);
    return std::string();
  }
  if (!v->is_string()) return Error(Code::InvalidInput, path + " must be a string", path);
  return std::string(v->as_string());
}

}  // namespace

core::Result<Deck> deck_from_json(const json::value& outline) {
  if (!outline.is_object()) return Error(Code::InvalidInput, "outline must be an object", "outline");
  const json::object& o = outline.as_object();
  Deck deck;
  auto title = string_field(o, "title", "outline.title", true);
  if (!title) return title.error();
  auto subtitle = string_field(o, "subtitle", "outline.subtitle", false);
  if (!subtitle) return subtitle.error();
  deck.title = squeeze(*title);
  deck.subtitle = squeeze(*subtitle);
  if (deck.title.empty()) return Error(Code::InvalidInput, "outline.title is empty", "outline.title");
  const json::value* slides = o.if_contains("slides");
  if (slides == nullptr || !slides->is_array()) {
    return Error(Code::InvalidInput, "outline.slides must be an array of slides", "outline.slides");
  }
  if (slides->as_array().size() > kMaxDeckSlides) {
    return Error(Code::InvalidInput, "an outline has at most " + std::to_string(kMaxDeckSlides) + " slides",
                 "outline.slides");
  }
  for (size_t i = 0; i < slides->as_array().size(); ++i) {
    std::string path = "outline.slides[" + std::to_string(i) + "]";
    const json::value& v = slides->as_array()[i];
    if (!v.is_object()) return Error(Code::InvalidInput, path + " must be an object", path);
    DeckSlide slide;
    auto t = string_field(v.as_object(), "title", path + ".title", true);
    if (!t) return t.error();
    slide.title = squeeze(*t);
    if (slide.title.empty()) return Error(Code::InvalidInput, path + ".title is empty", path + ".title");
    auto notes = string_field(v.as_object(), "notes", path + ".notes", false);
    if (!notes) return notes.error();
    slide.notes = *notes;
    if (const json::value* bullets = v.as_object().if_contains("bullets"); bullets != nullptr && !bullets->is_null()) {
      if (!bullets->is_array()) {
        return Error(Code::InvalidInput, path + ".bullets must be an array of strings", path + ".bullets");
      }
      for (const json::value& b : bullets->as_array()) {
        if (!b.is_string()) {
          return Error(Code::InvalidInput, path + ".bullets must be an array of strings", path + ".bullets");
        }
        std::string text = squeeze(b.as_string());
        if (!text.empty()) slide.bullets.push_back(std::move(text));
      }
    }
    deck.slides.push_back(std::move(slide));
  }
  if (auto ok = check_deck(deck); !ok) {
    Error e = ok.error();
    return Error(Code::InvalidInput, e.message, "outline");
  }
  return deck;
}

json::value deck_to_json(const Deck& deck) {
  json::array slides;
  for (const DeckSlide& s : deck.slides) {
    json::array bullets;
    for (const std::string& b : s.bullets) bullets.emplace_back(b);
    slides.push_back(json::object{{"title", s.title}, {"bullets", std::move(bullets)}, {"notes", s.notes}});
  }
  return json::object{{"title", deck.title}, {"subtitle", deck.subtitle}, {"slides", std::move(slides)}};
}

}  // namespace docent::engines
