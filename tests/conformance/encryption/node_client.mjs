// Payload encryption from Node (built-in crypto and fetch), written from docs/ENCRYPTION.md alone
// (docent_payload.mjs), against the live docent run.sh started (BASE, KEY).
import { ENCRYPTED_JSON, ENCRYPTED_PART, Rejected, deriveKeys, openEnvelope, seal } from './docent_payload.mjs';

const { BASE, KEY } = process.env;
const keys = deriveKeys(KEY);
let failures = 0;
const check = (name, ok, detail = '') => {
  console.log((ok ? 'ok      ' : 'FAILED  ') + name + (ok ? '' : `: ${detail}`));
  if (!ok) failures++;
};

async function encrypted(method, path, envelope, key = KEY) {
  const res = await fetch(BASE + path, {
    method,
    body: JSON.stringify(envelope),
    headers: { Authorization: `Bearer ${key}`, 'X-Encryption': 'v1', 'Accept-Encryption': 'v1',
               'Content-Type': ENCRYPTED_JSON },
  });
  return { status: res.status, type: res.headers.get('content-type'), body: await res.text() };
}
const refused = (name, r) => check(name, r.status === 400 && r.body.includes('encrypted payload rejected'),
                                   `${r.status} ${r.body.slice(0, 300)}`);

// An encrypted request and its encrypted response.
let r = await encrypted('POST', '/v1/folders', seal(keys, 'request', '{"name":"Node sealed"}'));
check('encrypted request answered 201', r.status === 201, `${r.status} ${r.body.slice(0, 300)}`);
check('response is an envelope', r.type === ENCRYPTED_JSON && !r.body.includes('Node sealed'), r.type);
const folder = JSON.parse(openEnvelope(keys, 'response', r.body).toString());
check('response decrypts to the folder', folder.name === 'Node sealed', JSON.stringify(folder));

// The nexus face's text question, with X-API-Key: an event stream, every event's data an envelope.
const nexus = await fetch(`${BASE}/api/process/text`, {
  method: 'POST',
  body: JSON.stringify(seal(keys, 'request', '{"message":"hello"}')),
  headers: { 'X-API-Key': KEY, 'X-Encryption': 'v1', 'Accept-Encryption': 'v1', 'Content-Type': ENCRYPTED_JSON },
});
const nexusBody = await nexus.text();
let words = [];
try {
  words = nexusBody.split('\n').filter((l) => l.startsWith('data: '))
    .map((l) => JSON.parse(openEnvelope(keys, 'response', l.slice(6)).toString()));
} catch (e) { words = []; }
check('nexus stream events decrypt', nexus.status === 200 && words.length > 0 && 'complete' in words[words.length - 1],
      `${nexus.status} ${nexusBody.slice(0, 300)}`);

// An encrypted file part, read back in clear.
const text = 'sealed upload from node\n';
const form = new FormData();
form.append('purpose', 'assistants');
form.append('file', new Blob([JSON.stringify(seal(keys, 'request', text))], { type: `${ENCRYPTED_PART}; type=text/plain` }),
            'note.txt');
const up = await fetch(`${BASE}/v1/files`, { method: 'POST', body: form,
                                             headers: { Authorization: `Bearer ${KEY}`, 'X-Encryption': 'v1' } });
const upBody = await up.text();
check('encrypted file part accepted', up.status === 200, `${up.status} ${upBody.slice(0, 300)}`);
if (up.status === 200) {
  const content = await (await fetch(`${BASE}/v1/files/${JSON.parse(upBody).id}/content`,
                                     { headers: { Authorization: `Bearer ${KEY}` } })).text();
  check('stored file is the plaintext', content === text, content.slice(0, 100));
}

// Refusals.
const good = seal(keys, 'request', '{"message":"hi"}');
const alter = (field, fn) => ({ ...good, [field]: fn(Buffer.from(good[field], 'base64')).toString('base64') });
const flipFirst = (b) => { const c = Buffer.from(b); c[0] ^= 1; return c; };
const flipLast = (b) => { const c = Buffer.from(b); c[c.length - 1] ^= 1; return c; };
refused('tampered ciphertext bit', await encrypted('POST', '/api/chat', alter('ct', flipFirst)));
refused('tampered padding block', await encrypted('POST', '/api/chat', alter('ct', flipLast)));
refused('tampered MAC bit', await encrypted('POST', '/api/chat', alter('mac', flipFirst)));
refused('truncated ciphertext', await encrypted('POST', '/api/chat', alter('ct', (b) => b.subarray(0, 16))));
refused('replayed (old timestamp)',
        await encrypted('POST', '/api/chat', seal(keys, 'request', '{"message":"hi"}', good.ts - 3600)));
refused('wrong key', await encrypted('POST', '/api/chat', seal(deriveKeys('dk_not_this_key'), 'request', '{}')));
const once = seal(keys, 'request', '{"name":"node once"}');
check('fresh envelope accepted', (await encrypted('POST', '/v1/folders', once)).status === 201);
refused('exact replay', await encrypted('POST', '/v1/folders', once));
const truncated = await fetch(`${BASE}/api/chat`, {
  method: 'POST', body: JSON.stringify(good).slice(0, -30),
  headers: { Authorization: `Bearer ${KEY}`, 'X-Encryption': 'v1', 'Content-Type': ENCRYPTED_JSON } });
refused('truncated envelope', { status: truncated.status, body: await truncated.text() });

// A tampered response is refused by this client.
r = await encrypted('POST', '/v1/folders', seal(keys, 'request', '{"name":"node tamper"}'));
const env = JSON.parse(r.body);
env.ct = flipFirst(Buffer.from(env.ct, 'base64')).toString('base64');
try { openEnvelope(keys, 'response', env); check('client refuses a tampered response', false, 'opened'); }
catch (e) { check('client refuses a tampered response', e instanceof Rejected, String(e)); }

process.exit(failures ? 1 : 0);
