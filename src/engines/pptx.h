#pragma once
// Presentations as PowerPoint files (Office Open XML, ECMA-376 PresentationML), written with
// libzip: a title slide, then one slide per entry with a title, bullets and speaker notes.
//
//   engines::Deck deck{.title = "Quarterly review", .subtitle = "From 3 documents"};
//   deck.slides.push_back({.title = "Revenue", .bullets = {"Up 12%", "Exports doubled"},
//                          .notes = "Source: report.pdf, page 4"});
//   auto status = engines::write_presentation(out, deck);
//
// The package holds what PowerPoint and LibreOffice need to open it without repair: content
// types, the package and part relationships, document properties, one slide master with a
// title layout and a title-and-content layout, a theme, a notes master (with its theme) and a
// notes page for every slide with notes. Text is XML-escaped and stripped of characters XML 1.0
// cannot carry, so any text a document or a model gives is safe to write.

#include "core/error.h"

#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace docent::engines {

struct DeckSlide {
  std::string title;
  std::vector<std::string> bullets;
  std::string notes;  // speaker notes; empty: the slide has no notes page
};

struct Deck {
  std::string title;
  std::string subtitle;  // on the title slide under the title; may be empty
  std::string author;    // docProps/core.xml dc:creator; may be empty
  std::vector<DeckSlide> slides;
};

// Limits write_presentation enforces, so a model's or a client's outline cannot make a huge file.
inline constexpr size_t kMaxDeckSlides = 200;
inline constexpr size_t kMaxSlideBullets = 30;
inline constexpr size_t kMaxDeckTextBytes = 4096;  // per title, bullet or notes paragraph

// Whether write_presentation can write `deck`: InvalidInput, naming the slide, when the deck has
// no title, a slide has no title, or a limit above is passed.
core::Status check_deck(const Deck& deck);

// Writes `deck` to `out` through a temporary file in out's folder, renamed into place when
// complete. InvalidInput as check_deck; Internal when libzip or the file system fails.
core::Status write_presentation(const std::filesystem::path& out, const Deck& deck);

// The MIME type of what write_presentation writes.
inline constexpr std::string_view kPptxMime =
    "application/vnd.openxmlformats-officedocument.presentationml.presentation";

}  // namespace docent::engines
