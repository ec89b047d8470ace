// quantum-nexus.txt, "Code Examples", JavaScript: the seed's QuantumAIClient as written (its text
// and image methods), then its "// Usage" lines, then analyzeImage on make_image.py's PNG; and the session snippet from "Authentication" with its
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
async analyzeImage(file, question = null) {
const formData = new FormData();
formData.append('image', file);
if (question) formData.append('question', question);
if (this.sessionId) formData.append('session_id', this.sessionId);
const response = await fetch(`${this.baseUrl}/api/process/image${question ? '-with-text' : ''}`, {
method: 'POST',
body: formData
});
const data = await response.json();
return await this.pollJobStatus(data.job_id);
}
async pollJobStatus(jobId, maxAttempts = 60) {
for (let i = 0; i < maxAttempts; i++) {
const response = await fetch(`${this.baseUrl}/api/status/${jobId}`);
const data = await response.json();
if (data.status === 'completed') {
return data.result;
} else if (data.status === 'error') {
throw new Error(data.error);
}
await new Promise(resolve => setTimeout(resolve, 1000));
}
throw new Error('Job timeout');
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

// analyzeImage with a browser-style File (a Blob here), without and with a question.
import { readFileSync } from 'node:fs';
const png = new Blob([readFileSync(`${process.env.WORK}/stop.png`)], { type: 'image/png' });
const result = await client.analyzeImage(png);
assert.equal(result.type, 'image_analysis');
assert.equal(result.analysis.width, 640);
assert.equal(result.analysis.height, 320);
assert.equal(result.analysis.dominant_colors[0], 'red');
assert.ok(result.enhanced_image_base64.startsWith('data:image/jpeg;base64,'));
const answered = await client.analyzeImage(png, 'What is in this image?');
assert.equal(answered.question, 'What is in this image?');
assert.match(answered.answer, /vision\.url/);
