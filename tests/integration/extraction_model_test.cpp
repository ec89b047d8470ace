// The extraction's model pass against an OpenAI-compatible upstream on loopback
// (tests/integration/fake_json_upstream.py): it fills only fields the rules missed and the
// document's text bears out, marked as the model's; without an upstream there is no pass.

#include "support/extraction_support.h"
#include "support/http_client.h"
#include "support/pdf_writer.h"
#include "support/server_process.h"

#include <gtest/gtest.h>

#include <csignal>
#include <fstream>
#include <thread>

namespace docent::testing {
namespace {

namespace json = boost::json;

using FakeUpstream = FakeJsonUpstream;

const std::string kLetter = make_pdf({{"Dear reader", "Consignee Lotus Agencies will collect the goods"}});

TEST(ExtractionUpstream, FillsWhatTheRulesMissed) {
  TempDir dir;
  FakeUpstream upstream(dir.path(), R"({"buyer_name": "Lotus Agencies", "seller_name": "Invented Corp"})");
  ServerProcess server({.args = {"--llm-url", upstream.url()}, .env = {{"DOCENT_LLM_ALLOW_PRIVATE", "true"}}});
  HttpClient client(server.port());

  auto res = post_files(client, "/api/pdf/dc", server.admin_key(), {{"letter.pdf", kLetter}});
  ASSERT_EQ(res.status, 200) << res.body;
  EXPECT_EQ(res.json().at("message"), "PDF processed successfully");
  std::string id(res.json().at("fileId").as_string());

  auto native = client.get("/v1/extractions/" + id, {{"Authorization", "Bearer " + server.admin_key()}});
  ASSERT_EQ(native.status, 200) << native.body;
  auto x = native.json();
  const auto& doc = x.at("documents").at(0);
  const auto& fields = doc.at("fields").as_object();
  ASSERT_TRUE(fields.contains("buyer_name")) << native.body;
  EXPECT_EQ(fields.at("buyer_name").at("value"), "Lotus Agencies");
  EXPECT_EQ(fields.at("buyer_name").at("origin"), "model");
  EXPECT_EQ(fields.at("buyer_name").at("confidence").to_number<double>(), 0.5);
  EXPECT_FALSE(fields.at("buyer_name").as_object().contains("page"));
  EXPECT_FALSE(fields.contains("seller_name"));  // not in the document: refused
  EXPECT_NE(json::serialize(doc.at("warnings")).find("filled by the model fake-json"), std::string::npos)
      << doc.at("warnings");

  // The request named the missing fields in a JSON schema and carried the document's text.
  std::string sent = upstream.requests();
  EXPECT_NE(sent.find("\"json_schema\""), std::string::npos) << sent;
  EXPECT_NE(sent.find("Consignee Lotus Agencies"), std::string::npos);
  EXPECT_NE(sent.find("\"model\":\"fake-json\""), std::string::npos);

  auto book = read_workbook(
      client.get("/api/pdf/download/" + id, {{"Authorization", "Bearer " + server.admin_key()}}).body);
  bool model_row = false;
  for (const auto& row : book.at("Summary").at("rows").as_array()) {
    if (row.at(1) == "Lotus Agencies") model_row = row.at(5) == "model";
  }
  EXPECT_TRUE(model_row) << json::serialize(book.at("Summary"));
}

TEST(ExtractionUpstream, NoUpstreamNoPass) {
  ServerProcess server;
  HttpClient client(server.port());
  auto res = post_files(client, "/api/pdf/dc", server.admin_key(), {{"letter.pdf", kLetter}});
  ASSERT_EQ(res.status, 200) << res.body;
  EXPECT_NE(std::string(res.json().at("message").as_string()).find("no recognisable fields"), std::string::npos);
}

}  // namespace
}  // namespace docent::testing
