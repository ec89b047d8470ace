// quantum-nexus.txt, "Code Examples", JavaScript: the seed's QuantumAIClient as written (its text
// methods), then its "// Usage" lines; and the session snippet from "Authentication" with its
// localStorage. Changed: the base URL (from $BASE) and the key, sent as X-API-Key by a wrapper
// around fetch so the example's code stays as it is.
import assert from 'node:assert/strict';

const realFetch = globalThis.fetch;
globalThis.fetch = (url, options = {}) =>
  realFetch(url, { ...options, headers: { ...(options.headers || {}), 'X-API-Key': process.env.KEY } });
const store = new Map();
globalThis.localStorage = { setItem: (k, v) => store.set(k, String(v)), getItem: (k) => store.get(k) ?? null };

// ---- the seed's example ----
class QuantumAIClient {
constructor(baseUrl = 'http://localhost:5000') {
this.baseUrl = baseUrl;
this.sessionId = null;
}
async createSession() {
const response = await fetch(`${this.baseUrl}/api/sessions`, {
method: 'POST',
headers: { 'Content-Type': 'application/json' }
});
const data = await response.json();
this.sessionId = data.session_id;
return this.sessionId;
}
async sendMessage(message) {
const response = await fetch(`${this.baseUrl}/api/process/text`, {
method: 'POST',
headers: { 'Content-Type': 'application/json' },
body: JSON.stringify({
message: message,
session_id: this.sessionId
})
});
// Handle streaming response
const reader = response.body.getReader();
const decoder = new TextDecoder();
let fullResponse = '';
while (true) {
const { done, value } = await reader.read();
if (done) break;
const chunk = decoder.decode(value);
const lines = chunk.split('\n');
for (const line of lines) {
if (line.startsWith('data: ')) {
const data = JSON.parse(line.slice(6));
if (data.word) {
fullResponse += data.word;
console.log('Streaming:', data.word);
}
if (data.complete) {
return fullResponse;
}
}
}
}
}
}
// Usage
const client = new QuantumAIClient(process.env.BASE);
await client.createSession();
const response = await client.sendMessage('What is AI?');
console.log(response);
// ---- end of the example ----

assert.ok(client.sessionId, 'createSession gave no session_id');
assert.match(response, /act sensibly in the world/);

// "Authentication": a session kept in localStorage and used for the next request.
await fetch(`${process.env.BASE}/api/sessions`, {
method: 'POST',
headers: { 'Content-Type': 'application/json' }
})
.then(res => res.json())
.then(data => {
const sessionId = data.session_id;
localStorage.setItem('session_id', sessionId);
});
const sessionId = localStorage.getItem('session_id');
const res = await fetch(`${process.env.BASE}/api/process/text`, {
method: 'POST',
headers: { 'Content-Type': 'application/json' },
body: JSON.stringify({
message: "Your message",
session_id: sessionId
})
});
assert.equal(res.status, 200);
assert.match(res.headers.get('content-type'), /text\/event-stream/);
const text = await res.text();
assert.match(text, /^data: \{"word":"[^" ]+ ?","complete":false\}/);
assert.match(text, /data: \{"word":"","complete":true,/);
