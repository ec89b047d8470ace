// quantum-nexus.txt, "Rate Limiting": the seed's error-handling snippet as written
// (`response.status === 429`, `Retry-After`), run until docent refuses. Changed: the relative URL
// is resolved against $BASE and the key is sent as X-API-Key, by a wrapper around fetch; `options`
// (which the seed leaves to the reader) asks a question without a message, so that every answer,
// admitted or refused, is the JSON the snippet's `response.json()` reads. The key is a fresh
// account's, so that the other examples' questions do not share its counters.
import assert from 'node:assert/strict';

const base = process.env.BASE;
const admin = { 'Authorization': `Bearer ${process.env.KEY}`, 'Content-Type': 'application/json' };
const credentials = JSON.stringify({ login: 'nexus-rate-limit', password: 'nexus-rate-limit-pw' });
assert.equal((await fetch(`${base}/v1/accounts`, { method: 'POST', headers: admin, body: credentials })).status, 201);
const login = await (await fetch(`${base}/v1/auth/login`, {
  method: 'POST', headers: { 'Content-Type': 'application/json' }, body: credentials,
})).json();
const key = login.api_key.key;

const realFetch = globalThis.fetch;
const seen = [];
globalThis.fetch = async (url, options = {}) => {
  const response = await realFetch(new URL(url, base),
    { ...options, headers: { ...(options.headers || {}), 'X-API-Key': key } });
  seen.push(response);
  return response;
};
const logged = [];
const log = console.log;
console.log = (...args) => { logged.push(args.join(' ')); log(...args); };
const options = { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}' };

for (let i = 0; i < 11; i++) {
  const body = await (
// ---- the seed's snippet ----
fetch('/api/process/text', options)
.then(response => {
if (response.status === 429) {
const retryAfter = response.headers.get('Retry-After');
console.log(`Rate limited. Retry after ${retryAfter} seconds`);
}
return response.json();
})
// ---- end of the snippet ----
  );
  assert.equal(body.success, false);
}

// The default nexus_text limit is 10 a minute: ten answers, then the refusal the seed documents.
assert.deepEqual(seen.map((r) => r.status), [...Array(10).fill(400), 429]);
assert.equal(logged.length, 1, logged.join('\n'));
const match = logged[0].match(/^Rate limited\. Retry after (\d+) seconds$/);
assert.ok(match, logged[0]);
assert.ok(Number(match[1]) > 0 && Number(match[1]) <= 60, logged[0]);
for (const r of seen) {
  assert.equal(r.headers.get('X-RateLimit-Limit'), '10');
  assert.match(r.headers.get('X-RateLimit-Reset'), /^\d{10}$/);
}
assert.equal(seen[9].headers.get('X-RateLimit-Remaining'), '0');
