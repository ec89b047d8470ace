// The extraction engine: value parsers, GST checks, and generated documents of every kind and
// layout extracted and compared field by field with their ground truth.

#include "engines/extraction.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/json/serialize.hpp>
#include <random>

#include "engines/extraction_internal.h"
#include "engines/layout.h"
#include "support/business_docs.h"
#include "support/extraction_score.h"
#include "unit/engines/pdf_fixtures.h"

namespace docent::engines {
namespace {

namespace fs = std::filesystem;
namespace bd = business_docs;
using extraction::parse_amount_in_words;
using extraction::parse_date;
using extraction::parse_number;
using ::testing::HasSubstr;

// ---- values -----------------------------------------------------------------------------------------

TEST(ExtractionValuesTest, IndianAndWesternNumbers) {
  EXPECT_DOUBLE_EQ(*parse_number("1,23,456.78"), 123456.78);
  EXPECT_DOUBLE_EQ(*parse_number("123,456.78"), 123456.78);
  EXPECT_DOUBLE_EQ(*parse_number("\xe2\x82\xb9 1,234"), 1234);
  EXPECT_DOUBLE_EQ(*parse_number("Rs. 99.50"), 99.5);
  EXPECT_DOUBLE_EQ(*parse_number("-0.40"), -0.4);
  EXPECT_DOUBLE_EQ(*parse_number("(12.00)"), -12);
  EXPECT_DOUBLE_EQ(*parse_number("18%"), 18);
  EXPECT_DOUBLE_EQ(*parse_number("1,200/-"), 1200);
  EXPECT_FALSE(parse_number("INV-12"));
  EXPECT_FALSE(parse_number("12/04/2026"));
  EXPECT_FALSE(parse_number(""));
  EXPECT_FALSE(parse_number("Nos"));
}

TEST(ExtractionValuesTest, DatesInEveryIndianFormatBecomeIso) {
  EXPECT_EQ(parse_date("01/04/2026"), "2026-04-01");
  EXPECT_EQ(parse_date("01-04-2026"), "2026-04-01");
  EXPECT_EQ(parse_date("01.04.2026"), "2026-04-01");
  EXPECT_EQ(parse_date("01-Apr-2026"), "2026-04-01");
  EXPECT_EQ(parse_date("1 April 2026"), "2026-04-01");
  EXPECT_EQ(parse_date("April 1, 2026"), "2026-04-01");
  EXPECT_EQ(parse_date("2026-04-01"), "2026-04-01");
  EXPECT_EQ(parse_date("29/02/2028"), "2028-02-29");
  EXPECT_FALSE(parse_date("29/02/2026"));  // not a leap year
  EXPECT_FALSE(parse_date("31/04/2026"));
  EXPECT_FALSE(parse_date("13/13/2026"));
  EXPECT_FALSE(parse_date("INV/26-27/1"));
}

TEST(ExtractionValuesTest, AmountsInIndianWords) {
  EXPECT_DOUBLE_EQ(*parse_amount_in_words("Rupees One Lakh Twenty Thousand Only"), 120000);
  EXPECT_DOUBLE_EQ(*parse_amount_in_words("Rupees Two Crore Five Lakh Three Thousand Four Hundred and Nine Only"),
                   20503409);
  EXPECT_DOUBLE_EQ(*parse_amount_in_words("INR Eighty Three Thousand Eight Hundred Twenty Three Only"), 83823);
  EXPECT_DOUBLE_EQ(*parse_amount_in_words("Rupees Five Hundred and Paise Fifty Only"), 500.5);
  EXPECT_DOUBLE_EQ(*parse_amount_in_words("Rupees Five Hundred and Fifty Paise Only"), 500.5);
  EXPECT_FALSE(parse_amount_in_words("Rupees Banana Only"));
  EXPECT_FALSE(parse_amount_in_words("Only"));
}

TEST(ExtractionValuesTest, GeneratorWordsReadBack) {
  for (double v : {1.0, 19.0, 100.0, 1234.5, 100000.0, 120500.75, 9999999.99, 12345678.0}) {
    auto back = parse_amount_in_words(bd::amount_in_words(v));
    ASSERT_TRUE(back) << bd::amount_in_words(v);
    EXPECT_NEAR(*back, v, 0.001) << bd::amount_in_words(v);
  }
  EXPECT_EQ(bd::indian_number(1234567.891), "12,34,567.89");
  EXPECT_EQ(bd::indian_number(999), "999.00");
}

// ---- GST ------------------------------------------------------------------------------------------

TEST(GstTest, ChecksumOfKnownGstins) {
  EXPECT_TRUE(gstin_checksum_ok("27AAPFU0939F1ZV"));
  EXPECT_TRUE(gstin_checksum_ok("29AAGCB7383J1Z4"));
  EXPECT_FALSE(gstin_checksum_ok("27AAPFU0939F1ZW"));  // one off
  EXPECT_FALSE(gstin_checksum_ok("27AAPFU0939F1Z"));   // short
  EXPECT_FALSE(gstin_checksum_ok("27aapfu0939f1zv"));  // lower case is not a GSTIN
  EXPECT_EQ(gstin_check_char("27AAPFU0939F1Z"), 'V');
}

TEST(GstTest, EngineAndGeneratorAgreeOnCheckCharacters) {
  for (std::string first14 : {"27AAPFU0939F1Z", "07AAACB2230M1Z", "33ABCDE1234F2Z", "09KJAPT3595D2Z"}) {
    EXPECT_EQ(gstin_check_char(first14), bd::gstin_check(first14)) << first14;
  }
}

TEST(GstTest, StateNames) {
  EXPECT_EQ(gst_state_name("27"), "Maharashtra");
  EXPECT_EQ(gst_state_name("29"), "Karnataka");
  EXPECT_EQ(gst_state_name("07"), "Delhi");
  EXPECT_EQ(gst_state_name("00"), "");
  EXPECT_EQ(gst_state_name("40"), "");
}

TEST(ExtractionNamesTest, KindsAndLabels) {
  for (DocKind k : {DocKind::Invoice, DocKind::PurchaseOrder, DocKind::DeliveryChallan, DocKind::EwayBill}) {
    EXPECT_EQ(parse_kind(kind_name(k)), k);
  }
  EXPECT_FALSE(parse_kind("receipt"));
  EXPECT_EQ(kind_title(DocKind::EwayBill), "E-way bill");
  EXPECT_EQ(field_label("seller_gstin"), "Seller GSTIN");
  EXPECT_EQ(field_label("hsn_sac"), "HSN/SAC");
  EXPECT_EQ(field_label("ewaybill_number"), "E-way bill number");
  EXPECT_EQ(field_label("grand_total"), "Grand total");
}

// ---- documents ----------------------------------------------------------------------------------

class ExtractionDocTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = fixtures::make_temp_dir("extraction-test"); }
  void TearDown() override { fs::remove_all(dir_); }

  struct Run {
    bd::Truth truth;
    Extraction x;
  };
  Run run(const bd::Spec& spec, Ocr* ocr = nullptr) {
    const fs::path pdf = dir_ / (spec.kind + std::to_string(spec.seed) + ".pdf");
    auto truth = bd::write_document(pdf, spec);
    EXPECT_TRUE(truth);
    auto pages = pdf_words(pdf, ParseLimits{}, ocr);
    EXPECT_TRUE(pages.ok()) << pages.error().message;
    return Run{*truth, extract_fields(*parse_kind(spec.kind), *pages)};
  }
  static void expect_exact(const Run& r) {
    const bd::Score f = bd::score_fields(r.x, r.truth), l = bd::score_lines(r.x, r.truth);
    EXPECT_EQ(f.false_negative + f.false_positive, 0) << ::testing::PrintToString(f.mismatches);
    EXPECT_EQ(l.false_negative + l.false_positive, 0) << ::testing::PrintToString(l.mismatches);
    EXPECT_EQ(r.x.lines.size(), r.truth.lines.size());
  }
  fs::path dir_;
};

TEST_F(ExtractionDocTest, EveryKindAndLayoutMatchesItsGroundTruth) {
  int seed = 100;
  for (std::string kind : {"invoice", "po", "dc"}) {
    for (std::string layout : {"left", "boxes"}) {
      for (std::string font : {"DejaVu Sans", "DejaVu Serif", "DejaVu Sans Mono"}) {
        SCOPED_TRACE(kind + " " + layout + " " + font);
        expect_exact(run({.kind = kind, .layout = layout, .font = font, .seed = static_cast<uint64_t>(seed++)}));
      }
    }
  }
  for (int i = 0; i < 3; ++i) {
    SCOPED_TRACE("ewaybill " + std::to_string(i));
    expect_exact(run({.kind = "ewaybill", .seed = static_cast<uint64_t>(seed++)}));
  }
}

TEST_F(ExtractionDocTest, InvoiceFieldsAreTypedLocatedAndChecked) {
  Run r = run({.kind = "invoice", .layout = "boxes", .inter_state = false, .seed = 7});
  const Field* total = r.x.field("grand_total");
  ASSERT_NE(total, nullptr);
  EXPECT_EQ(total->value.type, TypedValue::Type::Amount);
  EXPECT_EQ(total->value.currency, "INR");
  EXPECT_EQ(total->source.page, 1);
  EXPECT_GT(total->source.box.x1, total->source.box.x0);
  EXPECT_GT(total->confidence, 0.9);
  const Field* date = r.x.field("document_date");
  ASSERT_NE(date, nullptr);
  EXPECT_EQ(date->value.type, TypedValue::Type::Date);
  // Intra-state: CGST and SGST, every check passes.
  EXPECT_NE(r.x.field("cgst_total"), nullptr);
  EXPECT_EQ(r.x.field("igst_total"), nullptr);
  for (const Check& c : r.x.checks) EXPECT_TRUE(c.passed) << c.name << " " << c.field << ": " << c.detail;
  auto has = [&](std::string_view name) {
    return std::any_of(r.x.checks.begin(), r.x.checks.end(), [&](const Check& c) { return c.name == name; });
  };
  for (std::string_view name : {"gstin_checksum", "gstin_state", "date_valid", "line_tax", "line_sum", "tax_total",
                                "grand_total", "amount_in_words"}) {
    EXPECT_TRUE(has(name)) << name;
  }
}

TEST_F(ExtractionDocTest, InterStateInvoiceHasIgst) {
  Run r = run({.kind = "invoice", .inter_state = true, .seed = 8});
  expect_exact(r);
  EXPECT_NE(r.x.field("igst_total"), nullptr);
  EXPECT_EQ(r.x.field("cgst_total"), nullptr);
  ASSERT_FALSE(r.x.lines.empty());
  EXPECT_NE(r.x.lines[0].cell("igst_amount"), nullptr);
}

TEST_F(ExtractionDocTest, TablesContinueAcrossPagesWithAndWithoutARepeatedHeader) {
  for (bool repeat : {true, false}) {
    SCOPED_TRACE(repeat ? "repeated header" : "no repeated header");
    Run r = run(
        {.kind = "invoice", .layout = repeat ? "boxes" : "left", .items = 70, .repeat_header = repeat, .seed = 11});
    ASSERT_GE(r.truth.pages, 2);
    expect_exact(r);
    ASSERT_EQ(r.x.lines.size(), 70u);
    EXPECT_EQ(r.x.lines.back().number, 70);
    EXPECT_GT(r.x.lines.back().cells.front().source.page, 1);
  }
}

TEST_F(ExtractionDocTest, EwayBillNumberFormatIsChecked) {
  Run r = run({.kind = "ewaybill", .seed = 5});
  const Field* n = r.x.field("ewaybill_number");
  ASSERT_NE(n, nullptr);
  EXPECT_EQ(n->value.text.size(), 12u);
  auto check = std::find_if(r.x.checks.begin(), r.x.checks.end(),
                            [](const Check& c) { return c.name == "ewaybill_format"; });
  ASSERT_NE(check, r.x.checks.end());
  EXPECT_TRUE(check->passed);
}

TEST_F(ExtractionDocTest, WrongValuesFailTheirChecks) {
  Run r = run({.kind = "invoice", .inter_state = false, .seed = 9});
  for (Field& f : r.x.fields) {
    if (f.name == "seller_gstin") f.value.text[14] = f.value.text[14] == 'A' ? 'B' : 'A';
    if (f.name == "grand_total") f.value.number += 100;
  }
  validate(r.x);
  auto failed = [&](std::string_view name, std::string_view field) {
    return std::any_of(r.x.checks.begin(), r.x.checks.end(),
                       [&](const Check& c) { return c.name == name && c.field == field && !c.passed; });
  };
  EXPECT_TRUE(failed("gstin_checksum", "seller_gstin"));
  for (Field& f : r.x.fields) {
    if (f.name == "buyer_state") f.value.text = f.value.text == "Goa" ? "Kerala" : "Goa";
  }
  validate(r.x);
  EXPECT_TRUE(failed("gstin_state", "buyer_state"));
  EXPECT_TRUE(failed("grand_total", "grand_total"));
  EXPECT_TRUE(failed("amount_in_words", "amount_in_words"));
}

TEST_F(ExtractionDocTest, ScannedInvoiceIsReadThroughOcr) {
  auto ocr = Ocr::create();
  if (!ocr) GTEST_SKIP() << ocr.error().message;
  Run r =
      run({.kind = "invoice", .layout = "left", .font = "DejaVu Sans", .scanned = true, .scan_dpi = 250, .seed = 12},
          ocr->get());
  EXPECT_TRUE(r.x.ocr);
  const bd::Score s = [&] {
    bd::Score all = bd::score_fields(r.x, r.truth);
    all.add(bd::score_lines(r.x, r.truth));
    return all;
  }();
  EXPECT_GE(s.f1(), 0.85) << ::testing::PrintToString(s.mismatches);
  const Field* total = r.x.field("grand_total");
  ASSERT_NE(total, nullptr);
  EXPECT_LT(total->confidence, 1.0);
}

TEST_F(ExtractionDocTest, ScannedRuledTableIsReadOnceItsRulesAreErased) {
  auto ocr = Ocr::create();
  if (!ocr) GTEST_SKIP() << ocr.error().message;
  Run r = run({.kind = "dc", .layout = "boxes", .font = "DejaVu Serif", .scanned = true, .seed = 31}, ocr->get());
  const bd::Score lines = bd::score_lines(r.x, r.truth);
  EXPECT_EQ(r.x.lines.size(), r.truth.lines.size()) << ::testing::PrintToString(lines.mismatches);
  EXPECT_GE(lines.f1(), 0.85) << ::testing::PrintToString(lines.mismatches);
}

// Words as a plain letterhead prints them, without a "Seller" or "Buyer" heading.
PageWords page_of(const std::vector<std::vector<std::string>>& rows) {
  PageWords p{.number = 1, .width = 595, .height = 842};
  double y = 50;
  for (const auto& row : rows) {
    double x = 40;
    for (const std::string& text : row) {
      if (text.empty()) {
        x += 60;  // a column gap
        continue;
      }
      const double w = 6.0 * static_cast<double>(text.size());
      p.words.push_back(PositionedWord{.text = text, .box = Box{x, y, x + w, y + 12}});
      x += w + 3;
    }
    y += 16;
  }
  return p;
}

TEST_F(ExtractionDocTest, BareGstinLinesGoToTheIssuerFirst) {
  const std::string other = std::string("07AAACB2230M1Z") + gstin_check_char("07AAACB2230M1Z");
  Extraction x = extract_fields(DocKind::Invoice, {page_of({{"Kaveri", "Steel", "Works"},
                                                            {"GSTIN:", "27AAPFU0939F1ZV"},
                                                            {"Invoice", "No:", "A-17"},
                                                            {"GSTIN:", other}})});
  ASSERT_NE(x.field("seller_gstin"), nullptr);
  EXPECT_EQ(x.field("seller_gstin")->value.text, "27AAPFU0939F1ZV");
  ASSERT_NE(x.field("buyer_gstin"), nullptr);
  EXPECT_EQ(x.field("buyer_gstin")->value.text, other);
  ASSERT_NE(x.field("document_number"), nullptr);
  EXPECT_EQ(x.field("document_number")->value.text, "A-17");
}

TEST_F(ExtractionDocTest, NumberWordAfterALabelIsNotPartOfTheValue) {
  Extraction x = extract_fields(DocKind::Invoice, {page_of({{"Customer", "GSTIN", "No.:", "27AAPFU0939F1ZV"},
                                                            {"Vehicle", "Number:", "MH12AB1234"}})});
  ASSERT_NE(x.field("buyer_gstin"), nullptr);
  EXPECT_EQ(x.field("buyer_gstin")->value.text, "27AAPFU0939F1ZV");
  ASSERT_NE(x.field("vehicle_number"), nullptr);
  EXPECT_EQ(x.field("vehicle_number")->value.text, "MH12AB1234");
}

TEST_F(ExtractionDocTest, GarbageWordsNeverCrashOrInventTotals) {
  std::mt19937 rng(5);
  const std::vector<std::string> vocabulary = {"Total",        "GSTIN",  ":",    "1,23", "Qty", "Rate",       "Amount",
                                               "Description",  "Rupees", "Only", "-",    "%",   "31/02/2026", "Grand",
                                               "\xe2\x82\xb9", ""};
  for (int round = 0; round < 200; ++round) {
    PageWords p{.number = 1, .width = 595, .height = 842};
    const int n = static_cast<int>(rng() % 120);
    for (int i = 0; i < n; ++i) {
      const double x = rng() % 600, y = rng() % 850, w = rng() % 80, h = rng() % 20;
      p.words.push_back(PositionedWord{.text = vocabulary[rng() % vocabulary.size()], .box = Box{x, y, x + w, y + h}});
    }
    Extraction x = extract_fields(DocKind::Invoice, {p});
    for (const Field& f : x.fields) {
      EXPECT_FALSE(f.raw.empty()) << f.name;
      EXPECT_GE(f.confidence, 0);
      EXPECT_LE(f.confidence, 1);
    }
  }
}

TEST_F(ExtractionDocTest, BlankDocumentGivesNoFieldsAndAWarning) {
  const fs::path pdf = dir_ / "blank.pdf";
  ASSERT_TRUE(fixtures::write_text_pdf(pdf, {{}}));
  auto pages = pdf_words(pdf, ParseLimits{}, nullptr);
  ASSERT_TRUE(pages.ok());
  Extraction x = extract_fields(DocKind::Invoice, *pages);
  EXPECT_TRUE(x.fields.empty());
  EXPECT_TRUE(x.lines.empty());
  ASSERT_EQ(x.warnings.size(), 1u);
}

TEST_F(ExtractionDocTest, ProseGivesNoInventedFields) {
  const fs::path pdf = dir_ / "prose.pdf";
  ASSERT_TRUE(
      fixtures::write_text_pdf(pdf, {{.heading = "Minutes",
                                      .paragraphs = {"The committee met on a Tuesday and discussed the garden.",
                                                     "Nobody mentioned money, taxes or any numbers at all."}}}));
  auto pages = pdf_words(pdf, ParseLimits{}, nullptr);
  ASSERT_TRUE(pages.ok());
  Extraction x = extract_fields(DocKind::Invoice, *pages);
  EXPECT_TRUE(x.fields.empty()) << x.fields.front().name;
  EXPECT_TRUE(x.lines.empty());
  ASSERT_EQ(x.warnings.size(), 1u);
  EXPECT_THAT(x.warnings[0], HasSubstr("no recognisable fields"));
}

TEST_F(ExtractionDocTest, JsonRoundTrips) {
  Run r = run({.kind = "invoice", .seed = 21});
  const boost::json::value j = to_json(r.x);
  auto back = extraction_from_json(j);
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(boost::json::serialize(to_json(*back)), boost::json::serialize(j));
  EXPECT_EQ(j.at("kind"), "invoice");
  EXPECT_TRUE(j.at("fields").at("grand_total").at("value").is_double());
  EXPECT_FALSE(extraction_from_json(boost::json::value{{"kind", "receipt"}}).ok());
  EXPECT_FALSE(extraction_from_json(boost::json::value{{"kind", "invoice"}, {"fields", 3}}).ok());
}

}  // namespace
}  // namespace docent::engines
