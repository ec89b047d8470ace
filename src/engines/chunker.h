#pragma once
// Splitting a parsed Document into chunks for retrieval: pieces of a few hundred words that
// follow the document's structure and keep their page and section exact, so answers can cite
// them.

#include "engines/document.h"

#include <cstddef>
#include <string>
#include <vector>

namespace docent::engines {

struct Chunk {
  std::string text;
  int page = 1;         // Page::number of the one page every byte of text comes from
  std::string section;  // the enclosing headings, outermost first: "Parent > Child"; may be empty
  int position = 0;     // ordinal within the document: 0, 1, 2, ... in reading order
  int start_block = 0;  // index into that page's blocks of the first block text comes from
  int end_block = 0;    // ... and of the last one (inclusive)
};

// Sizes are in bytes of UTF-8 text.
struct ChunkOptions {
  size_t target_chars = 1200;  // paragraphs accumulate up to this
  size_t max_chars = 2000;     // no chunk is longer; a paragraph above this is split
  size_t overlap_chars = 200;  // about this much of a chunk's end starts the next one
};

// Splits doc into chunks, in reading order. The contract:
//  - A chunk never spans pages: its text comes from the blocks [start_block, end_block] of one
//    page, and overlap is never carried across a page break.
//  - A heading starts a new chunk and, with its enclosing headings, becomes the section of the
//    chunks under it (a heading of level L closes open headings of level >= L). The heading's
//    own text opens the chunk, so it takes part in retrieval; consecutive headings with no text
//    between them share one chunk.
//  - Paragraphs (joined by a blank line) accumulate while the chunk stays within target_chars.
//    A paragraph longer than max_chars is split at sentence ends, else at whitespace, else at a
//    code point boundary, into pieces of at most target_chars.
//  - When a section runs on past one chunk, the next chunk on the same page starts with about
//    overlap_chars from the end of the previous one, cut at a sentence start (or, failing that,
//    a word start), shortened or dropped when it would push the chunk past max_chars.
//  - Every chunk is non-empty, at most max_chars (options are clamped so that
//    0 < target_chars <= max_chars and overlap_chars <= target_chars / 2), starts and ends on
//    UTF-8 code point boundaries, and has no leading or trailing whitespace.
std::vector<Chunk> chunk_document(const Document& doc, const ChunkOptions& options = {});

}  // namespace docent::engines
