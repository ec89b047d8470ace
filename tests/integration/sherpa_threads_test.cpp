// The sherpa seed's AI Server chat: /api/threads/message, /models, /chat and /getUpdates — a fact
// on page 3 answered with a citation to page 3, getUpdates offsets, the seed's errors, other
// accounts' threads, and the seed's own request examples sent by curl, Python requests and Node
// fetch with only the host and key changed.

#include "support/http_client.h"
#include "support/pdf_writer.h"
#include "support/server_process.h"

#include <gtest/gtest.h>

#include <thread>

namespace docent::testing {
namespace {

namespace json = boost::json;


// getUpdates' content is JSON text: {"type":"text","text":{"value":...,"annotations":[...]}}.
json::object content_of(const json::value& message) {
  return json::parse(message.at("content").as_string()).as_object();
}
std::string text_of(const json::value& message) { return str(content_of(message).at("text").at("value")); }

// The code points [from, to) of UTF-8 text (annotation indexes count characters, not bytes).
std::string code_points(const std::string& text, int64_t from, int64_t to) {
  std::string out;
  int64_t n = -1;
  for (unsigned char c : text) {
    if ((c & 0xC0) != 0x80) ++n;
    if (n >= from && n < to) out.push_back(static_cast<char>(c));
  }
  return out;
}

class SherpaThreadsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { server_ = new ServerProcess(); }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }

  std::string make_user_key(const std::string& login) { return create_user_key(client, server_->admin_key(), login); }

  // Uploads through the storage face and waits until it is indexed; returns its number ("id").
  int64_t upload(const std::string& key, const std::string& name, const std::string& bytes,
                 const std::string& folder_guid = "") {
    std::vector<MultipartPart> parts{{"file", name, "", bytes}};
    if (!folder_guid.empty()) parts.push_back({"folder_id", "", "", folder_guid});
    auto res = client.request("POST", "/api/files/uploadfile", multipart_body("sh", parts),
                              {{"Authorization", "Bearer " + key},
                               {"Content-Type", "multipart/form-data; boundary=sh"}});
    EXPECT_EQ(res.status, 200) << res.body;
    auto o = res.json().as_object();
    const std::string guid = str(o.at("guid"));
    last_guid = guid;
    for (int i = 0;
         i < 400 && str(client.get("/api/files/read/" + guid, bearer(key)).json().at("status")) != "processed"; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return o.at("id").as_int64();
  }

  json::array updates(const std::string& key, int64_t thread, int64_t offset) {
    auto res = client.get("/api/threads/getUpdates?assistant_id=a1&offset=" + std::to_string(offset) +
                              "&thread_id=" + std::to_string(thread),
                          bearer(key));
    EXPECT_EQ(res.status, 200) << res.body;
    EXPECT_EQ(res.json().at("result"), 1) << res.body;
    return res.json().at("data").as_array();
  }

  static ServerProcess* server_;
  HttpClient client{server_->port()};
  std::string last_guid;  // of the file upload() sent last
};
ServerProcess* SherpaThreadsTest::server_ = nullptr;

const std::string kPolicyPdf = make_pdf({{"Expense handbook, introduction."},
                                         {"Meals are reimbursed at cost."},
                                         {"Hotel bookings above 180 euros per night need a director's approval."}});

TEST_F(SherpaThreadsTest, AUserMessageIsAnsweredWithAPage3CitationAndGetUpdatesPagesByOffset) {
  const std::string key = make_user_key("sherpa-chat");
  const int64_t file = upload(key, "handbook.pdf", kPolicyPdf);

  auto sent =
      client.post_json("/api/threads/chat",
                       R"({"thread_id":5,"role":"user","content":"Which hotel bookings need a director's approval?",)"
                       R"("assistant_id":"a1","title":"Travel","file_id":[)" +
                           std::to_string(file) + R"(],"info":{"TestPrm":"TestData"}})",
                       bearer(key));
  ASSERT_EQ(sent.status, 200) << sent.body;
  auto data = sent.json().at("data").as_object();
  EXPECT_EQ(sent.json().at("result"), 1);
  EXPECT_EQ(data.at("message_id"), 1);
  EXPECT_EQ(data.at("answer_id"), 2);
  EXPECT_EQ(data.at("thread_id"), 5);
  EXPECT_EQ(data.at("file_id"), json::value(json::array({file})));
  EXPECT_EQ(data.at("folder_id"), json::value(json::array()));
  EXPECT_EQ(data.at("info"), R"({"TestPrm":"TestData"})");

  auto all = updates(key, 5, 0);
  ASSERT_EQ(all.size(), 2u);
  const auto& question = all[0].as_object();
  EXPECT_EQ(question.at("id"), "1");
  EXPECT_EQ(question.at("role"), "user");
  EXPECT_EQ(question.at("thread_id"), "5");
  EXPECT_EQ(question.at("is_deleted"), "0");
  EXPECT_EQ(question.at("assistant_id"), "a1");
  EXPECT_EQ(question.at("info"), R"({"TestPrm":"TestData"})");
  EXPECT_EQ(question.at("file_id"), json::value("[" + std::to_string(file) + "]"));
  EXPECT_EQ(question.at("folder_id"), "[]");
  EXPECT_TRUE(question.at("update_id").is_null());
  EXPECT_EQ(str(question.at("created")).size(), 19u);  // "2024-09-11 09:08:48"
  auto q = content_of(all[0]);
  EXPECT_EQ(q.at("type"), "text");
  EXPECT_EQ(q.at("text").at("value"), "Which hotel bookings need a director's approval?");
  EXPECT_EQ(q.at("text").at("annotations"), json::value(json::array()));

  const auto& answer = all[1].as_object();
  EXPECT_EQ(answer.at("id"), "2");
  EXPECT_EQ(answer.at("role"), "assistant");
  EXPECT_TRUE(answer.at("file_id").is_null());
  EXPECT_NE(text_of(all[1]).find("180 euros"), std::string::npos) << text_of(all[1]);
  auto notes = content_of(all[1]).at("text").at("annotations").as_array();
  ASSERT_FALSE(notes.empty()) << all[1];
  EXPECT_EQ(notes[0].at("type"), "file_citation");
  EXPECT_EQ(notes[0].at("file_citation").at("page"), 3);
  EXPECT_EQ(notes[0].at("file_citation").at("file_id"), file);
  const std::string marker = str(notes[0].at("text"));
  EXPECT_EQ(code_points(text_of(all[1]), notes[0].at("start_index").as_int64(), notes[0].at("end_index").as_int64()),
            marker);

  // Offsets: only what came after the given message.
  auto after_question = updates(key, 5, 1);
  ASSERT_EQ(after_question.size(), 1u);
  EXPECT_EQ(after_question[0].at("id"), "2");
  EXPECT_TRUE(updates(key, 5, 2).empty());

  // An assistant's message is kept as it is and answers nothing; its id continues the thread.
  auto note = client.post_json("/api/threads/chat",
                               R"({"thread_id":"5","role":"assistant","content":"Anything else?"})", bearer(key));
  ASSERT_EQ(note.status, 200) << note.body;
  EXPECT_EQ(note.json().at("data").at("message_id"), 3);
  EXPECT_FALSE(note.json().at("data").as_object().contains("answer_id"));
  auto last = updates(key, 5, 2);
  ASSERT_EQ(last.size(), 1u);
  EXPECT_EQ(text_of(last[0]), "Anything else?");
  EXPECT_EQ(last[0].at("role"), "assistant");

  // A follow-up in the same thread still answers from its file.
  auto again = client.post_json(
      "/api/threads/chat",
      R"({"thread_id":5,"role":"user","content":"Above how many euros per night is approval needed?"})", bearer(key));
  ASSERT_EQ(again.status, 200) << again.body;
  EXPECT_EQ(again.json().at("data").at("message_id"), 4);
  auto follow = updates(key, 5, 4);
  ASSERT_EQ(follow.size(), 1u);
  EXPECT_NE(text_of(follow[0]).find("180"), std::string::npos) << text_of(follow[0]);
}

TEST_F(SherpaThreadsTest, FoldersAndGuidsAttachAsContext) {
  const std::string key = make_user_key("sherpa-folders");
  auto made = client.post_json("/api/folders/create", R"({"Name":"Policies"})", bearer(key));
  ASSERT_EQ(made.status, 200) << made.body;
  const std::string guid = str(made.json().at("guid"));
  const int64_t folder = client.get("/api/folders/read/" + guid, bearer(key)).json().at("id").as_int64();
  const int64_t inside = upload(key, "handbook.pdf", kPolicyPdf, guid);
  const int64_t other = upload(key, "other.pdf", make_pdf({{"Hotel bookings are never approved on Sundays."}}));

  // The folder named as the seed allows, an object with "id": only its file answers.
  auto sent =
      client.post_json("/api/threads/chat",
                       R"({"thread_id":8,"role":"user","content":"Which hotel bookings need a director's approval?",)"
                       R"("folder_id":[{"id":)" +
                           std::to_string(folder) + "}]}",
                       bearer(key));
  ASSERT_EQ(sent.status, 200) << sent.body;
  EXPECT_EQ(sent.json().at("data").at("folder_id"), json::value(json::array({folder})));
  auto all = updates(key, 8, 0);
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].at("folder_id"), json::value("[" + std::to_string(folder) + "]"));
  auto notes = content_of(all[1]).at("text").at("annotations").as_array();
  ASSERT_FALSE(notes.empty()) << all[1];
  for (const auto& n : notes) {
    EXPECT_EQ(n.at("file_citation").at("file_id"), inside) << all[1];
    EXPECT_EQ(n.at("file_citation").at("page"), 3) << all[1];
  }

  // A file's guid works where its number does, and shows as its number.
  auto by_guid = client.post_json("/api/threads/chat",
                                  R"({"thread_id":8,"role":"system","content":"Noted.","file_id":[")" + last_guid +
                                      R"("]})",
                                  bearer(key));
  ASSERT_EQ(by_guid.status, 200) << by_guid.body;
  EXPECT_EQ(by_guid.json().at("data").at("file_id"), json::value(json::array({other})));
}

TEST_F(SherpaThreadsTest, MessageAnswersTheLastUserMessageInAThread) {
  const std::string key = make_user_key("sherpa-message");
  upload(key, "handbook.pdf", kPolicyPdf);

  // No thread named: one is made and its number returned. The model is the seed's vLLM path,
  // served by nobody here, so the built-in engine answers (and says so in "model").
  auto res =
      client.post_json("/api/threads/message",
                       R"({"messages":[{"content":"Answer briefly.","role":"system","name":"System"},)"
                       R"({"content":"Which hotel bookings need a director's approval?","role":"user","name":"Ivan"}],)"
                       R"("model":"/model-store/meta-llama/Meta-Llama-3-8B-Instruct","temperature":0.7,)"
                       R"("assistant_id":"123e4567-e89b-12d3-a456-426614174000"})",
                       bearer(key));
  ASSERT_EQ(res.status, 200) << res.body;
  auto data = res.json().at("data").as_object();
  EXPECT_EQ(data.at("role"), "assistant");
  EXPECT_EQ(data.at("model"), "docent-extractive");
  EXPECT_EQ(data.at("message_id"), 2);
  EXPECT_GT(data.at("usage").at("total_tokens").as_int64(), 0);
  EXPECT_NE(text_of(data).find("180 euros"), std::string::npos) << res.body;
  EXPECT_EQ(content_of(data).at("text").at("annotations").at(0).at("file_citation").at("page"), 3) << res.body;
  const std::string thread = str(data.at("thread_id"));

  // The thread holds the question (not the system message) and the answer.
  auto all = updates(key, std::stoll(thread), 0);
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].at("role"), "user");
  EXPECT_EQ(all[0].at("assistant_id"), "123e4567-e89b-12d3-a456-426614174000");

  // Named thread, earlier turns: they seed the new thread's history before the question.
  auto named = client.post_json(
      "/api/threads/message",
      R"({"messages":[{"content":"Hello","role":"user"},{"content":"Hi!","role":"assistant"},)"
      R"({"content":"Are meals reimbursed?","role":"user"}],"model":"docent-extractive","thread_id":77})",
      bearer(key));
  ASSERT_EQ(named.status, 200) << named.body;
  EXPECT_EQ(named.json().at("data").at("thread_id"), "77");
  auto turns = updates(key, 77, 0);
  ASSERT_EQ(turns.size(), 4u);
  EXPECT_EQ(text_of(turns[0]), "Hello");
  EXPECT_EQ(text_of(turns[1]), "Hi!");
  EXPECT_EQ(text_of(turns[2]), "Are meals reimbursed?");
  EXPECT_NE(text_of(turns[3]).find("at cost"), std::string::npos) << text_of(turns[3]);
}

TEST_F(SherpaThreadsTest, ModelsListInTheVllmShape) {
  auto res = client.get("/api/threads/models", bearer(server_->admin_key()));
  ASSERT_EQ(res.status, 200) << res.body;
  auto o = res.json().as_object();
  EXPECT_EQ(o.at("object"), "list");
  bool found = false;
  for (const auto& m : o.at("data").as_array()) {
    EXPECT_EQ(m.at("object"), "model");
    EXPECT_EQ(m.at("root"), m.at("id"));
    EXPECT_TRUE(m.at("parent").is_null());
    const auto& perm = m.at("permission").at(0).as_object();
    EXPECT_EQ(perm.at("object"), "model_permission");
    EXPECT_EQ(str(perm.at("id")).rfind("modelperm-", 0), 0u);
    EXPECT_EQ(perm.at("organization"), "*");
    found = found || m.at("id") == "docent-extractive";
  }
  EXPECT_TRUE(found) << res.body;
  EXPECT_EQ(client.get("/api/threads/models").status, 401);
}

TEST_F(SherpaThreadsTest, BadInputIsA400InTheSeedsErrorShape) {
  const std::string key = make_user_key("sherpa-bad");
  auto expect = [&](const std::string& method, const std::string& target, const std::string& body, int status,
                    const std::string& field) {
    auto res = method == "GET" ? client.get(target, bearer(key)) : client.post_json(target, body, bearer(key));
    EXPECT_EQ(res.status, status) << target << " " << body << " -> " << res.body;
    boost::system::error_code ec;
    auto v = json::parse(res.body, ec);
    ASSERT_FALSE(ec) << res.body;
    EXPECT_TRUE(v.at("error").is_string()) << res.body;
    if (!field.empty()) {
      EXPECT_EQ(v.at("field"), json::value(field)) << res.body;
    }
  };
  const std::string chat = "/api/threads/chat";
  expect("POST", chat, R"({"role":"user","content":"hi"})", 400, "thread_id");
  expect("POST", chat, R"({"thread_id":1,"content":"hi"})", 400, "role");
  expect("POST", chat, R"({"thread_id":1,"role":"user"})", 400, "content");
  expect("POST", chat, R"({"thread_id":1,"role":"robot","content":"hi"})", 400, "role");
  expect("POST", chat, R"({"thread_id":1,"role":"user","content":"  "})", 400, "content");
  expect("POST", chat, R"({"thread_id":0,"role":"user","content":"hi"})", 400, "thread_id");
  expect("POST", chat, R"({"thread_id":"abc","role":"user","content":"hi"})", 400, "thread_id");
  expect("POST", chat, R"({"thread_id":1.5,"role":"user","content":"hi"})", 400, "thread_id");
  expect("POST", chat, R"({"thread_id":1,"role":"user","content":"hi","temperature":5})", 400, "temperature");
  expect("POST", chat, R"({"thread_id":1,"role":"user","content":"hi","temperature":"hot"})", 400, "temperature");
  expect("POST", chat, R"({"thread_id":1,"role":"user","content":"hi","file_id":"x"})", 400, "file_id");
  expect("POST", chat, R"({"thread_id":1,"role":"user","content":"hi","file_id":[true]})", 400, "file_id");
  expect("POST", chat, R"({"thread_id":1,"role":"user","content":"hi","file_id":[999999]})", 404, "file_id");
  expect("POST", chat, R"({"thread_id":1,"role":"user","content":"hi","folder_id":[{"id":999999}]})", 404, "folder_id");
  expect("POST", chat, R"({"thread_id":1,"role":"user","content":"hi","info":7})", 400, "info");
  expect("POST", chat, R"({"thread_id":1,)", 400, "");
  const std::string message = "/api/threads/message";
  expect("POST", message, R"({"model":"m"})", 400, "messages");
  expect("POST", message, R"({"messages":[],"model":"m"})", 400, "messages");
  expect("POST", message, R"({"messages":[{"content":"hi","role":"user"}]})", 400, "model");
  expect("POST", message, R"({"messages":[{"content":"hi","role":"user"}],"model":""})", 400, "model");
  expect("POST", message, R"({"messages":[{"role":"user"}],"model":"m"})", 400, "messages[0].content");
  expect("POST", message, R"({"messages":[{"content":"hi","role":"king"}],"model":"m"})", 400, "messages[0].role");
  expect("POST", message, R"({"messages":[{"content":"only rules","role":"system"}],"model":"m"})", 400, "messages");
  expect("POST", message, R"({"messages":"hi","model":"m"})", 400, "messages");
  expect("POST", message, R"({"messages":[{"content":"hi"}],"model":"m","thread_id":-3})", 400, "thread_id");
  const std::string get_updates = "/api/threads/getUpdates";
  expect("GET", get_updates + "?thread_id=1", "", 400, "assistant_id");
  expect("GET", get_updates + "?assistant_id=a", "", 400, "thread_id");
  expect("GET", get_updates + "?assistant_id=a&thread_id=x", "", 400, "thread_id");
  expect("GET", get_updates + "?assistant_id=a&thread_id=1&offset=-1", "", 400, "offset");
  expect("GET", get_updates + "?assistant_id=a&thread_id=424242", "", 404, "thread_id");
  // Nothing above made a thread.
  expect("GET", get_updates + "?assistant_id=a&thread_id=1", "", 404, "thread_id");
}

TEST_F(SherpaThreadsTest, AnotherAccountsThreadNumberIsNotTheCallers) {
  const std::string alice = make_user_key("sherpa-alice");
  const std::string bob = make_user_key("sherpa-bob");
  const int64_t file = upload(alice, "alice.pdf", make_pdf({{"Alice keeps the spare keys in the blue drawer."}}));
  auto mine = client.post_json("/api/threads/chat",
                               R"({"thread_id":7,"role":"user","content":"Where are the spare keys?","file_id":[)" +
                                   std::to_string(file) + "]}",
                               bearer(alice));
  ASSERT_EQ(mine.status, 200) << mine.body;

  // Bob cannot read Alice's thread 7: the seed's error shape, 404.
  auto read = client.get("/api/threads/getUpdates?assistant_id=a&offset=0&thread_id=7", bearer(bob));
  EXPECT_EQ(read.status, 404) << read.body;
  EXPECT_EQ(read.json().at("error"), "thread 7 not found");
  // Nor attach her file by its number.
  auto steal = client.post_json("/api/threads/chat",
                                R"({"thread_id":7,"role":"user","content":"Where are the keys?","file_id":[)" +
                                    std::to_string(file) + "]}",
                                bearer(bob));
  EXPECT_EQ(steal.status, 404) << steal.body;
  EXPECT_EQ(steal.json().at("field"), "file_id");
  // His own thread 7 is his alone and answers from his (empty) files, not hers.
  auto his = client.post_json("/api/threads/chat",
                              R"({"thread_id":7,"role":"user","content":"Where are the spare keys?"})", bearer(bob));
  ASSERT_EQ(his.status, 200) << his.body;
  auto bobs = updates(bob, 7, 0);
  ASSERT_EQ(bobs.size(), 2u);
  EXPECT_EQ(text_of(bobs[1]).find("blue drawer"), std::string::npos) << text_of(bobs[1]);
  auto alices = updates(alice, 7, 0);
  ASSERT_EQ(alices.size(), 2u);
  EXPECT_NE(text_of(alices[1]).find("blue drawer"), std::string::npos) << text_of(alices[1]);
}

// The seed's examples, each sent as written by the client the seed's readers use, changing only
// the host and the key. The seed's numbers must exist for its chat example: files 101 and 102,
// folders 201 and 202, so a fresh server is filled up to them first.
TEST(SherpaThreadsSeedExamples, RunAsWrittenWithCurlPythonAndNode) {
  ServerProcess server;
  HttpClient client(server.port());
  const std::string key = server.admin_key();
  for (int i = 1; i <= 202; ++i) {
    auto res = client.post_json("/api/folders/create", R"({"Name":"Folder )" + std::to_string(i) + R"("})",
                                bearer(key));
    ASSERT_EQ(res.status, 200) << res.body;
  }
  std::vector<std::string> files;
  for (int i = 1; i <= 102; ++i) {
    auto res = client.post_json("/api/files/create",
                                R"({"name":"note)" + std::to_string(i) + R"(.txt","file":"Note number )" +
                                    std::to_string(i) + R"( of the seed run."})",
                                bearer(key));
    ASSERT_EQ(res.status, 200) << res.body;
    files.push_back(res.header("location"));
  }
  for (const auto& file : files) {  // indexed, so the thread over 101 and 102 can be asked at once
    for (int i = 0; i < 1200 && str(client.get(file, bearer(key)).json().at("status")) != "processed"; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
  const std::string base = "http://127.0.0.1:" + std::to_string(server.port());
  const std::map<std::string, std::string> env{{"BASE", base}, {"KEY", key}};

  // curl: "Sending a Message in the Chat", the request body exactly as the seed shows it.
  auto chat = run_program({"/usr/bin/curl", "-sS", "-X", "POST", base + "/api/threads/chat", "-H",
                           "Authorization: Bearer " + key, "-H", "Content-Type: application/json", "-d",
                           R"({
 "thread_id": 200,
 "role": "assistant",
 "content": "Hello! How can I help you today?",
 "file_id": [101, 102],
 "folder_id": [201, 202],
 "info": ""
})"});
  ASSERT_EQ(chat.exit_code, 0) << chat.err;
  auto c = json::parse(chat.out).as_object();
  EXPECT_EQ(c.at("result"), 1) << chat.out;
  EXPECT_EQ(c.at("data").at("message_id"), 1);
  EXPECT_EQ(c.at("data").at("thread_id"), 200);
  EXPECT_EQ(c.at("data").at("file_id"), json::value(json::array({101, 102})));
  EXPECT_EQ(c.at("data").at("folder_id"), json::value(json::array({201, 202})));
  EXPECT_EQ(c.at("data").at("info"), "");

  // Python requests: "Retrieving a Response from the Neural Network". The seed's body lacks the
  // comma after "messages": [...]; that one character is added, nothing else changed.
  auto message = run_program({"/usr/bin/python3", "-c", R"PY(
import json, os, requests
body = {
    "messages": [
        {"content": "Hello, how are you?", "role": "user", "name": "Ivan"},
        {"content": "All good, thank you!", "role": "system", "name": "System"},
    ],
    "model": "/model-store/meta-llama/Meta-Llama-3-8B-Instruct",
    "temperature": 0.7,
    "assistant_id": "123e4567-e89b-12d3-a456-426614174000",
    "thread_id": 200,
}
r = requests.post(os.environ["BASE"] + "/api/threads/message", json=body,
                  headers={"Authorization": "Bearer " + os.environ["KEY"]})
print(json.dumps({"status": r.status_code, "body": r.json()}))
)PY"},
                             env);
  ASSERT_EQ(message.exit_code, 0) << message.err;
  auto m = json::parse(message.out).as_object();
  EXPECT_EQ(m.at("status"), 200) << message.out;
  EXPECT_EQ(m.at("body").at("result"), 1) << message.out;
  EXPECT_EQ(m.at("body").at("data").at("thread_id"), "200");
  EXPECT_EQ(m.at("body").at("data").at("role"), "assistant");

  // Node fetch: the models, then a thread 221 with the seed's "hello" and its getUpdates request.
  auto node = run_program({"/usr/bin/node", "-e", R"JS(
const base = process.env.BASE, headers = { Authorization: `Bearer ${process.env.KEY}` };
(async () => {
  const models = await (await fetch(`${base}/api/threads/models`, { headers })).json();
  const hello = await fetch(`${base}/api/threads/chat`, {
    method: "POST",
    headers: { ...headers, "Content-Type": "application/json" },
    body: JSON.stringify({ thread_id: 221, role: "user", content: "hello",
                           assistant_id: "123e4567-e89b-12d3-a456-426614174000", info: "{\"TestPrm\":\"TestData\"}" }),
  });
  const updates = await fetch(
    `${base}/api/threads/getUpdates?assistant_id=123e4567-e89b-12d3-a456-426614174000&offset=0&thread_id=221`,
    { headers });
  console.log(JSON.stringify({ models, hello: hello.status, status: updates.status, updates: await updates.json() }));
})().catch((e) => { console.error(e); process.exit(1); });
)JS"},
                          env);
  ASSERT_EQ(node.exit_code, 0) << node.err;
  auto n = json::parse(node.out).as_object();
  EXPECT_EQ(n.at("models").at("object"), "list") << node.out;
  EXPECT_EQ(n.at("hello"), 200) << node.out;
  EXPECT_EQ(n.at("status"), 200) << node.out;
  auto u = n.at("updates").at("data").as_array();
  ASSERT_EQ(u.size(), 2u) << node.out;
  EXPECT_EQ(u[0].at("id"), "1");
  EXPECT_EQ(u[0].at("content"), R"({"type":"text","text":{"value":"hello","annotations":[]}})");
  EXPECT_EQ(u[0].at("info"), R"({"TestPrm":"TestData"})");
  EXPECT_EQ(u[0].at("thread_id"), "221");
  EXPECT_EQ(u[0].at("assistant_id"), "123e4567-e89b-12d3-a456-426614174000");
  EXPECT_EQ(u[1].at("role"), "assistant");
}

}  // namespace
}  // namespace docent::testing
