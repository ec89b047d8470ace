# chatbot-platform.txt, "Chat API" and "Document API": their HTTP examples sent exactly as written (method, path,
# headers, JSON body) with Python requests, the host and key changed, and the answers checked
# against the seed's response examples. (Its SDK examples name packages that do not exist.)
import json
import os

import requests

BASE = os.environ["BASE"] + "/api"
headers = {"Content-Type": "application/json", "Authorization": "Bearer " + os.environ["KEY"]}

# Start a chat, streaming (the seed's body as written: "gpt-4" is a preference docent maps to its
# default model).
r = requests.post(BASE + "/chat", headers=headers, stream=True, data=json.dumps({
    "message": "Hello, how can you help me today?",
    "model": "gpt-4",
    "stream": True,
    "attachments": [],
}))
assert r.status_code == 200, r.text
assert r.headers["Content-Type"].startswith("text/event-stream"), r.headers
events = [json.loads(line[6:]) for line in r.iter_lines(decode_unicode=True) if line.startswith("data: ")]
assert events and events[-1]["type"] == "done", events
assert all(e["type"] == "text" and isinstance(e["content"], str) for e in events[:-1]), events
assert "".join(e["content"] for e in events[:-1]), events

# Not streaming: the seed's members; a question the uploaded file answers, cited.
r = requests.post(BASE + "/chat", headers=headers, json={
    "message": "What is machine learning?",
    "model": "gpt-4",
    "stream": False,
    "attachments": [],
})
assert r.status_code == 200, r.text
chat = r.json()
for member in ("id", "message", "model", "usage", "created_at"):
    assert member in chat, (member, chat)
for member in ("prompt_tokens", "completion_tokens", "total_tokens"):
    assert isinstance(chat["usage"][member], int), chat
assert "improve from examples" in chat["message"], chat

# Continue Existing Chat
r = requests.post(BASE + "/chat/" + chat["id"] + "/messages", headers=headers, json={
    "message": "Can you help me write a Python function?",
    "stream": False,
})
assert r.status_code == 200, r.text
assert r.json()["message"], r.json()

# Get Chat History
r = requests.get(BASE + "/chat/" + chat["id"] + "/history", headers={"Authorization": "Bearer " + os.environ["KEY"]})
assert r.status_code == 200, r.text
history = r.json()
assert history["chat_id"] == chat["id"], history
roles = [m["role"] for m in history["messages"]]
assert roles == ["user", "assistant", "user", "assistant"], roles
for m in history["messages"]:
    for member in ("id", "role", "content", "timestamp"):
        assert member in m, (member, m)
assert history["messages"][0]["content"] == "What is machine learning?", history

# Another chat id: not found.
r = requests.get(BASE + "/chat/chat_nope/history", headers=headers)
assert r.status_code == 404, r.text

# Document API: its four HTTP examples as written.
# Create Document
r = requests.post(BASE + "/documents", headers=headers, data=json.dumps({
    "title": "My Document",
    "content": "# Document Title\n\nThis is the document content.",
    "type": "markdown",
}))
assert r.status_code in (200, 201), r.text
doc = r.json()
assert set(doc) == {"id", "title", "content", "type", "version", "created_at", "updated_at"}, doc
assert doc["title"] == "My Document" and doc["type"] == "markdown" and doc["version"] == 1, doc
assert doc["content"] == "# Document Title\n\nThis is the document content.", doc

# Update Document
r = requests.put(BASE + "/documents/" + doc["id"], headers=headers, data=json.dumps({
    "content": "# Updated Document Title\n\nThis is the updated content.",
    "title": "Updated Document",
}))
assert r.status_code == 200, r.text
assert r.json()["version"] == 2 and r.json()["title"] == "Updated Document", r.json()

# Get Document
r = requests.get(BASE + "/documents/" + doc["id"], headers={"Authorization": "Bearer " + os.environ["KEY"]})
assert r.status_code == 200, r.text
assert r.json()["content"] == "# Updated Document Title\n\nThis is the updated content.", r.json()
assert r.json()["created_at"] == doc["created_at"], r.json()

# List Documents
r = requests.get(BASE + "/documents?type=markdown&limit=10&offset=0",
                 headers={"Authorization": "Bearer " + os.environ["KEY"]})
assert r.status_code == 200, r.text
listed = r.json()
assert doc["id"] in [d["id"] for d in listed["documents"]], listed
assert all(d["type"] == "markdown" for d in listed["documents"]), listed
assert listed["total"] >= 1, listed
print("chatbot requests: ok")
