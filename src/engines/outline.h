#pragma once
// Presentation outlines: built from passages of documents by the built-in engine (no model), or
// read from JSON a client or a model wrote.
//
// The built-in outline is extractive: a slide per section of the documents (the heading a chunk
// was found under), or, for text without headings, per stretch of consecutive passages; on each
// slide the section's key sentences, chosen by the weight of their words (TF-IDF over every
// sentence of the deck, so a word every section repeats counts for little), in the order the
// document has them. Every slide's notes cite where its sentences came from (file, page,
// section), so each bullet can be checked against its source. Nothing is written that the
// documents do not say.

#include "core/error.h"
#include "engines/pptx.h"

#include <boost/json/value.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace docent::engines {

struct OutlinePassage {
  std::string text;
  std::string file_name;
  std::string section;  // the heading the text is under; empty when unknown
  int64_t page = 0;     // 0 = unknown
};

struct OutlineOptions {
  size_t max_slides = 10;         // content slides, the title slide not counted
  size_t bullets_per_slide = 4;   // key sentences per slide
  size_t max_bullet_chars = 200;  // longer sentences are cut at a word boundary with "…"
};

// The deck for `title` (and `subtitle`) from `passages` in document order. A passage with no
// sentence of at least three words adds nothing. InvalidInput when no passage has any.
core::Result<Deck> outline_from_passages(const std::string& title, const std::string& subtitle,
                                         const std::vector<OutlinePassage>& passages, const OutlineOptions& options);

// A deck from JSON: {"title", "subtitle"?, "slides": [{"title", "bullets"?: [string], "notes"?}]}.
// InvalidInput, naming the field (e.g. "slides[2].title"), for anything else; the limits of
// write_presentation are checked here too, so a bad outline fails before a job is queued.
core::Result<Deck> deck_from_json(const boost::json::value& outline);

// The JSON form deck_from_json reads.
boost::json::value deck_to_json(const Deck& deck);

}  // namespace docent::engines
