// services/extraction: the model pass against a scripted upstream, the text it is shown, and
// the workbook's download name.

#include "services/extraction.h"

#include <boost/json.hpp>
#include <gtest/gtest.h>

namespace docent::services {
namespace {

namespace json = boost::json;
using engines::TypedValue;

// An upstream that answers every chat with `answer` and remembers the request (a stand-in for a
// remote OpenAI-compatible server, which is not part of docent).
class ScriptedUpstream : public engines::LlmProvider {
 public:
  explicit ScriptedUpstream(std::string answer, bool fail = false) : answer_(std::move(answer)), fail_(fail) {}
  std::string name() const override { return "scripted"; }
  core::Result<std::vector<engines::ModelInfo>> list_models(const engines::CancelCheck&) override {
    return std::vector<engines::ModelInfo>{{"m", "scripted", 0}};
  }
  core::Result<engines::ChatResult> chat(const engines::ChatRequest& request, const engines::CancelCheck&) override {
    last = request;
    if (fail_) return core::Error(core::Code::UpstreamError, "upstream said no");
    engines::ChatResult r;
    r.content = answer_;
    return r;
  }
  core::Result<std::unique_ptr<engines::ChatStream>> stream(const engines::ChatRequest&,
                                                            const engines::CancelCheck&) override {
    return core::Error(core::Code::UpstreamError, "not scripted");
  }
  core::Result<engines::EmbeddingResult> embed(const std::string&, const std::vector<std::string>&,
                                               const engines::CancelCheck&) override {
    return core::Error(core::Code::ServiceUnavailable, "no embeddings");
  }
  engines::ChatRequest last;

 private:
  std::string answer_;
  bool fail_;
};

std::vector<engines::PageWords> page_of(const std::vector<std::vector<std::string>>& lines) {
  engines::PageWords page;
  page.width = 595;
  page.height = 842;
  double y = 50;
  for (const auto& line : lines) {
    double x = 40;
    for (const auto& w : line) {
      page.words.push_back({w, {x, y, x + 8.0 * static_cast<double>(w.size()), y + 10}, 1.0});
      x += 8.0 * static_cast<double>(w.size()) + 6;
    }
    y += 14;
  }
  return {page};
}

engines::Extraction with_number() {
  engines::Extraction x;
  engines::Field f;
  f.name = "document_number";
  f.raw = f.value.text = "INV-42";
  f.confidence = 0.95;
  f.source.page = 1;
  x.fields.push_back(f);
  return x;
}

const auto kPages = page_of({{"TAX", "INVOICE"},
                             {"Invoice", "No:", "INV-42", "Date:", "01-Apr-2026"},
                             {"Buyer:", "Sharma", "Traders"},
                             {"Grand", "Total", "1,18,000.00"}});

TEST(ExtractionModelPass, FillsOnlyMissingFieldsTheTextBearsOut) {
  ScriptedUpstream up(R"(Here you go: ```json
{"document_number": "WRONG-1", "buyer_name": "Sharma Traders", "seller_name": "Invented Pvt Ltd",
 "grand_total": 118000, "document_date": "2026-04-01", "due_date": "01/05/2026", "vehicle_number": null}
```)");
  auto x = with_number();
  auto added = fill_missing_fields(x, kPages, up, "m");
  ASSERT_TRUE(added.ok()) << added.error().message;
  EXPECT_EQ(*added, 3);
  EXPECT_EQ(x.field("document_number")->raw, "INV-42");  // found by rule: untouched
  const auto* buyer = x.field("buyer_name");
  ASSERT_NE(buyer, nullptr);
  EXPECT_EQ(buyer->origin, "model");
  EXPECT_EQ(buyer->confidence, kModelConfidence);
  EXPECT_EQ(buyer->source.page, 0);
  EXPECT_EQ(x.field("seller_name"), nullptr);  // not in the text: refused
  const auto* total = x.field("grand_total");
  ASSERT_NE(total, nullptr);
  EXPECT_EQ(total->value.type, TypedValue::Type::Amount);
  EXPECT_EQ(total->value.number, 118000);
  EXPECT_EQ(total->value.currency, "INR");
  const auto* date = x.field("document_date");
  ASSERT_NE(date, nullptr);
  EXPECT_EQ(date->value.type, TypedValue::Type::Date);
  EXPECT_EQ(x.field("due_date"), nullptr);  // not ISO 8601
  EXPECT_EQ(x.field("vehicle_number"), nullptr);

  // The request: a JSON schema of exactly the missing fields, and the document's text.
  const auto& format = up.last.body.at("response_format");
  EXPECT_EQ(format.at("type"), "json_schema");
  const auto& props = format.at("json_schema").at("schema").at("properties").as_object();
  EXPECT_FALSE(props.contains("document_number"));
  EXPECT_TRUE(props.contains("buyer_name"));
  EXPECT_EQ(props.at("grand_total").at("type").at(0), "number");
  const std::string prompt(up.last.body.at("messages").at(1).at("content").as_string());
  EXPECT_NE(prompt.find("Buyer: Sharma Traders"), std::string::npos) << prompt;
}

TEST(ExtractionModelPass, AnswersThatAreNotJsonOrFailuresChangeNothing) {
  ScriptedUpstream prose("I could not read it."), failing("", true);
  for (ScriptedUpstream* up : {&prose, &failing}) {
    auto x = with_number();
    auto added = fill_missing_fields(x, kPages, *up, "m");
    EXPECT_FALSE(added.ok());
    EXPECT_EQ(x.fields.size(), 1u);
  }
}

TEST(ExtractionText, WordsBecomeLinesTopToBottom) { EXPECT_EQ(page_text(page_of({{"a", "b"}, {"c"}})), "a b\nc\n\n"); }

TEST(ExtractionWorkbookName, FromTheUploadOrTheKind) {
  using engines::DocKind;
  EXPECT_EQ(workbook_name(DocKind::Invoice, {"invoice.pdf"}), "invoice_extracted.xlsx");
  EXPECT_EQ(workbook_name(DocKind::Invoice, {"Acme Bill 7.pdf"}), "Acme_Bill_7_extracted.xlsx");
  EXPECT_EQ(workbook_name(DocKind::PurchaseOrder, {"../../etc/passwd"}), "passwd_extracted.xlsx");
  EXPECT_EQ(workbook_name(DocKind::DeliveryChallan, {"\"\";.pdf"}), "dc_extracted.xlsx");
  EXPECT_EQ(workbook_name(DocKind::EwayBill, {"a.pdf", "b.pdf"}), "ewaybill_extracted.xlsx");
}

}  // namespace
}  // namespace docent::services
