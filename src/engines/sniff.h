#pragma once
// What a file is, from its bytes (libmagic), never from what the client says it is.
//
//   auto mime = sniff_mime(path);                 // "application/pdf"
//   DocumentKind kind = kind_of(mime, "a.txt");   // Pdf: the bytes decide
//
// The filename's extension only refines text: a text/* file named .md or .markdown is
// Markdown, .csv or .tsv is Csv, .html or .htm is Html. It can never make bytes of one format
// parse as another.

#include <filesystem>
#include <string>
#include <string_view>

namespace docent::engines {

enum class DocumentKind { Pdf, Docx, Html, Markdown, Csv, Text, Image, Unsupported };

// The MIME type of DOCX files, which sniff_mime returns for any zip holding word/document.xml.
inline constexpr std::string_view kDocxMime = "application/vnd.openxmlformats-officedocument.wordprocessingml.document";

// The MIME type of the file's contents, e.g. "application/pdf", "text/plain", "image/png",
// "inode/x-empty" for an empty file. A zip archive holding word/document.xml is kDocxMime
// (libmagic calls some DOCX files application/zip). "application/octet-stream" when the file
// cannot be read or the type is unknown. Thread-safe: each thread has its own libmagic handle.
std::string sniff_mime(const std::filesystem::path& file);

// As sniff_mime, for bytes in memory (the whole file, or at least its first few KiB).
std::string sniff_mime_bytes(std::string_view bytes);

// The parser for a sniffed MIME type; `filename` (the client's name for the file, may be empty)
// only refines text types, as above.
DocumentKind kind_of(std::string_view mime, std::string_view filename);

// A stable lower-case name for a kind: "pdf", "docx", "html", "markdown", "csv", "text",
// "image", "unsupported".
std::string_view kind_name(DocumentKind kind);

}  // namespace docent::engines
