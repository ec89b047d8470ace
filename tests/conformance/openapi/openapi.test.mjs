// The published contract (docs/OPENAPI.md), checked against the real binary:
// - the document is valid OpenAPI 3.1 (@readme/openapi-parser, a maintained validator);
// - its (method, path) set is the route table's (`docent routes --json`), both ways, naming any
//   undocumented or stale route;
// - every schema compiles (ajv, JSON Schema 2020-12) and answers of the live server validate
//   against the schema of their operation and status;
// - every example request of the five seeds (seed_examples.json) matches a documented operation,
//   its query names documented parameters, and its JSON body validates against the request
//   schema; the examples of routes not served yet are listed as gaps, which must fail;
// - /openapi.json, /swagger/v1/swagger.json, /docs and /api/postman-collection.json are served
//   without credentials, with ETags.
//
// Run by tests/conformance/openapi/run.sh (ctest `openapi_contract`); DOCENT_BINARY names the binary.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { validate } from '@readme/openapi-parser';
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';

const here = path.dirname(fileURLToPath(import.meta.url));
const binary = process.env.DOCENT_BINARY || path.resolve(here, '../../../build/docent');
const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options', 'trace'];
const DOC_ID = 'urn:docent:openapi';

let tmp;
let server;
let baseUrl;
let adminKey;
let doc;   // the document as `docent openapi` prints it
let ajv;

function runDocent(args) {
  return spawnSync(binary, args, { cwd: tmp, encoding: 'utf8', env: { ...process.env, DOCENT_LOG_LEVEL: 'warn' } });
}

function startDocent(dataDir) {
  return new Promise((resolve, reject) => {
    const child = spawn(binary, ['serve', '--host', '127.0.0.1', '--port', '0', '--data', dataDir], {
      cwd: tmp,
      env: { ...process.env, DOCENT_LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`docent printed no URL within 30 s; stdout:\n${out}\nstderr:\n${err}`));
    }, 30_000);
    child.stderr.on('data', (d) => { err += d; });
    child.stdout.on('data', (d) => {
      out += d;
      const url = out.match(/listening on (http:\/\/127\.0\.0\.1:\d+)/);
      const key = out.match(/admin key: (dk_[0-9A-Za-z]+)/);
      if (!url || !key) return;
      clearTimeout(timer);
      resolve({ child, url: url[1], key: key[1] });
    });
    child.on('error', (e) => { clearTimeout(timer); reject(e); });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`docent exited (${code ?? signal}) before listening; stderr:\n${err}`));
    });
  });
}

// "~" and "/" escaped for a JSON pointer.
const pointer = (...parts) => parts.map((p) => String(p).replace(/~/g, '~0').replace(/\//g, '~1')).join('/');

function operations() {
  const out = [];
  for (const [p, item] of Object.entries(doc.paths)) {
    for (const m of METHODS) if (item[m]) out.push({ path: p, method: m, op: item[m] });
  }
  return out;
}

// The documented operation a concrete or templated path (":id", "{id}" or a value) is for:
// literal segments must be equal; a template segment takes any one segment. The most literal
// match wins, as in the router.
function findOperation(method, examplePath) {
  const segs = examplePath.split('/');
  let best = null;
  let bestScore = -1;
  for (const [p, item] of Object.entries(doc.paths)) {
    if (!item[method]) continue;
    const tsegs = p.split('/');
    if (tsegs.length !== segs.length) continue;
    let score = 0;
    let ok = true;
    for (let i = 0; i < segs.length && ok; i++) {
      const param = /^\{[^}]+\}$/.test(tsegs[i]);
      const exampleParam = /^(\{[^}]+\}|:.+)$/.test(segs[i]);
      if (tsegs[i] === segs[i] || (param && exampleParam)) score += tsegs[i] === segs[i] ? 2 : 1;
      else if (param) score += 0;
      else ok = false;
    }
    if (ok && score > bestScore) { best = { path: p, op: item[method] }; bestScore = score; }
  }
  return best;
}

function validatorAt(...parts) {
  return ajv.getSchema(`${DOC_ID}#/${pointer(...parts)}`) || ajv.compile({ $ref: `${DOC_ID}#/${pointer(...parts)}` });
}

function errorsText(v) {
  return ajv.errorsText(v.errors, { separator: '\n  ' });
}

before(async () => {
  assert.ok(fs.existsSync(binary), `no docent binary at ${binary} (set DOCENT_BINARY)`);
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'docent-openapi-'));
  const printed = runDocent(['openapi']);
  assert.equal(printed.status, 0, printed.stderr);
  doc = JSON.parse(printed.stdout);
  ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: true });
  addFormats(ajv);
  ajv.addFormat('binary', true);
  ajv.addSchema(structuredClone(doc), DOC_ID);
  const started = await startDocent(path.join(tmp, 'data'));
  server = started.child;
  baseUrl = started.url;
  adminKey = started.key;
  process.once('exit', () => { if (server.exitCode === null && server.signalCode === null) server.kill('SIGKILL'); });
});

after(async () => {
  if (server && server.exitCode === null && server.signalCode === null) {
    const exited = new Promise((resolve) => server.once('exit', resolve));
    server.kill('SIGTERM');
    const killer = setTimeout(() => server.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(killer);
  }
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

test('the document is valid OpenAPI 3.1 (@readme/openapi-parser)', async () => {
  assert.equal(doc.openapi, '3.1.0');
  const result = await validate(structuredClone(doc));
  assert.ok(result.valid, JSON.stringify(result.errors ?? result, null, 2));
});

test('every route is documented and every documented operation is a route (both ways)', () => {
  const routes = JSON.parse(runDocent(['routes', '--json']).stdout);
  const live = new Map(routes.map((r) => [`${r.method} ${r.path.replace(/\.\.\.\}/g, '}')}`, r]));
  const documented = new Map(operations().map((o) => [`${o.method.toUpperCase()} ${o.path}`, o]));
  const undocumented = [...live.keys()].filter((k) => !documented.has(k));
  const stale = [...documented.keys()].filter((k) => !live.has(k));
  assert.deepEqual(undocumented, [], `routes with no operation in src/api/<face>/openapi.json: ${undocumented.join(', ')}`);
  assert.deepEqual(stale, [], `documented operations no route serves: ${stale.join(', ')}`);
  // Public routes, and only they, need no credentials.
  for (const [name, r] of live) {
    const { op } = documented.get(name);
    assert.equal(Array.isArray(op.security) && op.security.length === 0, r.public, `${name}: security does not say public=${r.public}`);
  }
  const check = runDocent(['openapi', '--check']);
  assert.equal(check.status, 0, check.stderr);
});

test('every operation has a summary, a face tag, a success answer and its face\'s error envelope', () => {
  const faces = new Set(doc.tags.map((t) => t.name));
  assert.deepEqual([...faces].sort(), ['chatbot', 'chatpdf', 'native', 'nexus', 'sherpa', 'spherechat']);
  const ids = new Set();
  for (const { path: p, method, op } of operations()) {
    const name = `${method.toUpperCase()} ${p}`;
    assert.ok(op.summary, `${name} has no summary`);
    assert.ok(faces.has(op.tags?.[0]), `${name} has no face tag`);
    assert.ok(!ids.has(op.operationId), `${name}: operationId ${op.operationId} is used twice`);
    ids.add(op.operationId);
    assert.ok(Object.keys(op.responses).some((s) => /^2\d\d$/.test(s)), `${name} documents no 2xx answer`);
    assert.match(op.responses.default?.$ref ?? '', /^#\/components\/responses\/[A-Z][a-z]+Error$/, `${name} has no error envelope`);
    for (const [status, r] of Object.entries(op.responses)) {
      for (const [media, m] of Object.entries(r.content ?? {})) {
        if (media === 'text/event-stream') assert.ok(m['x-sse-events'], `${name} ${status}: an event stream names its events`);
      }
    }
  }
});

test('every schema compiles as JSON Schema 2020-12', () => {
  for (const name of Object.keys(doc.components.schemas)) {
    assert.ok(validatorAt('components', 'schemas', name), name);
  }
  for (const { path: p, method, op } of operations()) {
    for (const [media, m] of Object.entries(op.requestBody?.content ?? {})) {
      if (m.schema) validatorAt('paths', p, method, 'requestBody', 'content', media, 'schema');
      if (m.example !== undefined) {
        const v = validatorAt('paths', p, method, 'requestBody', 'content', media, 'schema');
        assert.ok(v(m.example), `${method.toUpperCase()} ${p}: the documented example does not fit its schema:\n  ${errorsText(v)}`);
      }
    }
  }
});

test('each seed example request matches a documented operation and its schema; gaps still fail', () => {
  const { examples } = JSON.parse(fs.readFileSync(path.join(here, 'seed_examples.json'), 'utf8'));
  assert.ok(examples.length >= 60, 'the seeds show more examples than this');
  const problems = [];
  const closedGaps = [];
  for (const ex of examples) {
    const where = `${ex.seed}:${ex.line} ${ex.method} ${ex.path}`;
    const found = [];
    const method = ex.method.toLowerCase();
    const match = findOperation(method, ex.path);
    if (!match) {
      found.push('no documented operation');
    } else {
      const { path: p, op } = match;
      const params = (op.parameters ?? []).filter((x) => x.in === 'query').map((x) => x.name);
      for (const q of Object.keys(ex.query ?? {})) if (!params.includes(q)) found.push(`query ${q} is not documented`);
      const content = op.requestBody?.content ?? {};
      if (ex.json !== undefined) {
        if (!content['application/json']) {
          found.push('takes no JSON body');
        } else {
          const v = validatorAt('paths', p, method, 'requestBody', 'content', 'application/json', 'schema');
          if (!v(ex.json)) found.push(`body does not validate: ${errorsText(v)}`);
        }
      }
      if (ex.form) {
        const schema = content['multipart/form-data']?.schema;
        const resolved = schema?.$ref ? doc.components.schemas[schema.$ref.split('/').pop()] : schema;
        if (!resolved) found.push('takes no multipart form');
        else for (const f of ex.form) if (!resolved.properties?.[f]) found.push(`form field ${f} is not documented`);
      }
    }
    if (ex.gap && found.length === 0) closedGaps.push(`${where} (${ex.gap})`);
    if (!ex.gap && found.length) problems.push(`${where}: ${found.join('; ')}`);
  }
  assert.deepEqual(problems, [], 'seed examples the description refuses');
  assert.deepEqual(closedGaps, [], 'these known gaps now pass: remove their "gap" from seed_examples.json');
});

async function get(p, headers = {}) {
  return fetch(baseUrl + p, { headers });
}

test('the contract is served without credentials, with ETags, as the same document', async () => {
  const a = await get('/openapi.json');
  assert.equal(a.status, 200);
  assert.match(a.headers.get('content-type'), /application\/json/);
  const etag = a.headers.get('etag');
  assert.match(etag, /^"[0-9a-f]{32}"$/);
  const served = await a.json();
  assert.deepEqual(served, doc, 'GET /openapi.json is not what `docent openapi` prints');
  const again = await get('/openapi.json', { 'If-None-Match': etag });
  assert.equal(again.status, 304);
  const swagger = await get('/swagger/v1/swagger.json');
  assert.equal(swagger.status, 200);
  assert.deepEqual(await swagger.json(), doc);

  const page = await get('/docs');
  assert.equal(page.status, 200);
  assert.match(page.headers.get('content-type'), /text\/html/);
  const html = await page.text();
  assert.match(html, /openapi\.json/);
  // No CDN: nothing the page loads names another host.
  assert.doesNotMatch(html, /(src|href)\s*=\s*["']?(https?:)?\/\//i);
  assert.doesNotMatch(html, /fetch\(\s*["'`]https?:/i);
});

test('the Postman collection (v2.1) has a folder per face and a request per operation', async () => {
  const r = await get('/api/postman-collection.json');
  assert.equal(r.status, 200);
  const c = await r.json();
  assert.equal(c.info.schema, 'https://schema.getpostman.com/json/collection/v2.1.0/collection.json');
  assert.deepEqual(c.item.map((f) => f.name).sort(), doc.tags.map((t) => t.name).sort());
  const requests = c.item.flatMap((f) => f.item);
  assert.equal(requests.length, operations().length);
  assert.ok(c.variable.some((v) => v.key === 'baseUrl'));
  assert.equal(c.auth.type, 'bearer');
  const login = requests.find((x) => x.request.url.raw === '{{baseUrl}}/v1/auth/login');
  assert.ok(login, 'POST /v1/auth/login is in the collection');
  assert.equal(login.request.method, 'POST');
  assert.equal(login.request.auth?.type, 'noauth', 'a public route sends no key');
  assert.deepEqual(JSON.parse(login.request.body.raw), { login: 'alice', password: 'correct horse battery' });
  const status = requests.find((x) => x.request.url.raw === '{{baseUrl}}/api/files/:file_id/status');
  assert.ok(status, 'path parameters become :variables');
  assert.deepEqual(status.request.url.variable.map((v) => v.key), ['file_id']);
  const upload = requests.find((x) => x.request.url.raw === '{{baseUrl}}/v1/files' && x.request.method === 'POST');
  assert.equal(upload.request.body.mode, 'formdata');
  assert.ok(upload.request.body.formdata.some((f) => f.key === 'file' && f.type === 'file'));
});

// Live answers validate against the schema of their operation and status.
async function checkAnswer(method, p, { body, headers = {}, template } = {}) {
  const init = { method: method.toUpperCase(), headers: { Authorization: `Bearer ${adminKey}`, ...headers } };
  if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers['Content-Type'] = 'application/json';
  }
  const r = await fetch(baseUrl + p, init);
  const text = await r.text();
  const match = template ? { path: template, op: doc.paths[template]?.[method] } : findOperation(method, p.split('?')[0]);
  assert.ok(match?.op, `${method.toUpperCase()} ${p} is documented`);
  const status = String(r.status);
  const response = match.op.responses[status] ?? match.op.responses.default;
  assert.ok(response, `${method.toUpperCase()} ${p} answered ${status}, which is not documented`);
  const ctype = (r.headers.get('content-type') || '').split(';')[0];
  let v;
  if (response.$ref) {
    const name = response.$ref.split('/').pop();
    v = validatorAt('components', 'responses', name, 'content', 'application/json', 'schema');
  } else {
    assert.ok(response.content?.[ctype], `${method.toUpperCase()} ${p} answered ${status} ${ctype}, not documented`);
    v = validatorAt('paths', match.path, method, 'responses', status, 'content', ctype, 'schema');
  }
  const value = JSON.parse(text);
  assert.ok(v(value), `${method.toUpperCase()} ${p} ${status}: the answer does not fit its schema:\n  ${errorsText(v)}\n${text.slice(0, 2000)}`);
  return { status: r.status, value };
}

test('live answers of every face fit their documented schemas', async () => {
  // Things to read back.
  const folder = await checkAnswer('post', '/v1/folders', { body: { name: 'contract-check' } });
  assert.equal(folder.status, 201);
  const conv = await checkAnswer('post', '/v1/conversations', { body: { title: 'contract' } });
  const session = await checkAnswer('post', '/api/sessions', { body: { title: 'contract' } });
  const key = await checkAnswer('post', '/v1/keys', { body: { name: 'contract' } });
  const sherpaFolder = await checkAnswer('post', '/api/folders/create', { body: { Name: 'contract-sherpa' } });
  const note = await checkAnswer('post', '/api/knowledge', { body: { title: 'Refunds', content: 'Refunds are paid within 14 days.' } });
  const log = await checkAnswer('post', '/api/log/create', { body: { RobotGUID: '16f94238-ede9-435b-a001-1489b32e7dc2',
    ProcessVersionGUID: 'c39713ea-d8b9-4669-976e-5ff39677dc64', JobGUID: '70ce211b-3c9a-48f6-8e71-11088b41b825', Level: 1, Message: 'contract' } });
  await checkAnswer('post', '/v1/plans', { body: { name: 'contract-plan', questionPerDay: 5 } });

  const gets = [
    '/health', '/v1/health', '/v1/accounts', '/v1/accounts/me', '/v1/keys', `/v1/keys/${key.value.id}`, '/v1/plans',
    '/v1/plans/contract-plan', '/v1/usage', '/v1/audit', '/v1/files', '/v1/folders', `/v1/folders/${folder.value.id}`,
    '/v1/vector_stores', '/v1/models', '/v1/models/docent-extractive', '/v1/conversations',
    `/v1/conversations/${conv.value.id}`, `/v1/conversations/${conv.value.id}/messages`, '/v1/extractions', '/v1/webhooks',
    '/api/sessions', `/api/sessions/${session.value.session_id}`, '/api/key', '/api/folders/list',
    `/api/folders/read/${sherpaFolder.value.guid}`, '/api/threads/models', `/api/log/read/${log.value.guid}`,
    '/api/webhooks', `/api/files/${note.value.id}/status`, '/v1/files/nope', '/api/sessions/nope', '/api/pdf/download/nope',
    '/api/account/read/nope', '/conversations/summarize',
  ];
  for (const p of gets) await checkAnswer('get', p);
  await checkAnswer('post', '/v1/search', { body: { query: 'refunds' } });
  await checkAnswer('post', '/api/knowledge/search', { body: { query: 'refunds' } });
  await checkAnswer('post', '/api/files/search', { body: { text_for_search: 'refunds' } });
  await checkAnswer('post', '/api/log/list', { body: [] });
  await checkAnswer('post', '/v1/embeddings', { body: { input: 'hello' } });
  await checkAnswer('post', '/v1/chat/completions', { body: { messages: [{ role: 'user', content: 'Where are refunds?' }] } });
  await checkAnswer('post', '/v1/echo', { body: { hello: 'world' } });
  await checkAnswer('post', '/api/chat', { body: { message: 'What about refunds?' } });
  await checkAnswer('post', '/v1/folders', { body: { name: 42 } });  // a 400 in OpenAI's envelope
  await checkAnswer('post', '/api/process/text', { body: {} });     // a 400 in nexus's envelope
  await checkAnswer('put', '/user/upgrade-plan', { body: {} });    // a 400 in chatpdf's envelope
  await checkAnswer('delete', `/api/sessions/${session.value.session_id}`);
  await checkAnswer('delete', `/v1/conversations/${conv.value.id}`);
});

// Reads a whole Server-Sent Events answer and validates each event's data against the schema the
// operation names for that event (x-sse-events; `message` for unnamed events).
async function checkStream(method, p, { body, headers = {} } = {}) {
  const init = { method: method.toUpperCase(), headers: { Authorization: `Bearer ${adminKey}`, ...headers } };
  if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers['Content-Type'] = 'application/json';
  }
  const r = await fetch(baseUrl + p, init);
  assert.equal(r.status, 200, `${method.toUpperCase()} ${p}: ${await r.clone().text()}`);
  assert.match(r.headers.get('content-type') || '', /^text\/event-stream/);
  const match = findOperation(method, p);
  const media = match.op.responses['200'].content['text/event-stream'];
  const events = media['x-sse-events'];
  const text = await r.text();
  let count = 0;
  for (const block of text.split(/\n\n/)) {
    const lines = block.split('\n').filter((l) => l && !l.startsWith(':'));
    if (!lines.length) continue;
    const name = (lines.find((l) => l.startsWith('event:')) || 'event: message').slice(6).trim();
    const data = lines.filter((l) => l.startsWith('data:')).map((l) => l.slice(5).trimStart()).join('\n');
    if (data === '[DONE]') continue;
    const key = events[name] ? name : Object.keys(events).find((k) => k.endsWith('*') && name.startsWith(k.slice(0, -1)));
    assert.ok(key, `${p}: event ${name} is not documented (x-sse-events: ${Object.keys(events).join(', ')})`);
    const v = validatorAt('paths', match.path, method, 'responses', '200', 'content', 'text/event-stream', 'x-sse-events', key);
    assert.ok(v(JSON.parse(data)), `${p}: event ${name} does not fit its schema:\n  ${errorsText(v)}\n${data}`);
    count++;
  }
  assert.ok(count > 0, `${p} sent no events`);
}

test('streamed answers send the events their operations document', async () => {
  await checkStream('post', '/api/process/text', { body: { message: 'What is the refund policy?' } });
  await checkStream('post', '/v1/process/text', { body: { message: 'Hello' } });
  await checkStream('post', '/v1/chat/completions', { body: { stream: true, stream_options: { include_usage: true },
    messages: [{ role: 'system', content: 'Refunds are paid within 14 days.' }, { role: 'user', content: 'When are refunds paid?' }] } });
  await checkStream('post', '/api/chat', { body: { message: 'When are refunds paid?', stream: true } });
  const conv = await checkAnswer('post', '/v1/conversations', { body: { title: 'streamed' } });
  await checkStream('post', `/v1/conversations/${conv.value.id}/messages`, { body: { content: 'When are refunds paid?', stream: true } });
  await checkStream('post', '/v1/responses', { body: { input: 'When are refunds paid?', stream: true } });
});

test('uploads, devices and their reads fit their schemas', async () => {
  const upload = async (p, field, extra = {}) => {
    const form = new FormData();
    form.append(field, new Blob(['Shipping takes five working days.\n'], { type: 'text/plain' }), 'shipping.txt');
    for (const [k, v] of Object.entries(extra)) form.append(k, v);
    const r = await fetch(baseUrl + p, { method: 'POST', headers: { Authorization: `Bearer ${adminKey}` }, body: form });
    const text = await r.text();
    const { path: tp, op } = findOperation('post', p);
    const status = String(r.status);
    assert.ok(op.responses[status], `POST ${p} answered ${status}: ${text}`);
    const v = validatorAt('paths', tp, 'post', 'responses', status, 'content', 'application/json', 'schema');
    const value = JSON.parse(text);
    assert.ok(v(value), `POST ${p} ${status}: ${errorsText(v)}\n${text}`);
    return value;
  };
  const file = await upload('/v1/files', 'file', { purpose: 'assistants' });
  await checkAnswer('get', `/v1/files/${file.id}`);
  await checkStream('get', `/v1/files/${file.id}/events`);  // ends once the file is read
  const sherpa = await upload('/api/files/uploadfile', 'file');
  await checkAnswer('get', `/api/files/read/${sherpa.guid}`);
  const chatbot = await upload('/api/files/upload', 'file', { description: 'shipping' });
  await checkAnswer('get', `/api/files/${chatbot.id}/status`);
  await checkAnswer('get', '/api/threads/getUpdates?assistant_id=a&thread_id=1');
  await checkAnswer('post', '/api/threads/chat', { body: { thread_id: 7, role: 'user', content: 'How long is shipping?' } });
  await checkAnswer('get', '/api/threads/getUpdates?assistant_id=a&thread_id=7');
  await checkAnswer('post', '/api/threads/message', { body: { model: 'docent-extractive', messages: [{ role: 'user', content: 'How long is shipping?' }] } });
  const store = await checkAnswer('post', '/v1/vector_stores', { body: { name: 'contract', file_ids: [file.id] } });
  await checkAnswer('get', `/v1/vector_stores/${store.value.id}/files`);
  await checkAnswer('get', `/v1/vector_stores/${store.value.id}/files/${file.id}`);
  await checkAnswer('post', `/v1/vector_stores/${store.value.id}/search`, { body: { query: 'shipping' } });

  const device = await checkAnswer('post', '/auth/register-device', { body: { deviceId: 'contract-device-1' } });
  assert.equal(device.status, 200);
  const asDevice = { Authorization: '', 'Device-Id': 'contract-device-1' };
  for (const p of ['/user/quota', '/conversations']) await checkAnswer('get', p, { headers: asDevice });
  await checkAnswer('put', '/user/upgrade-plan', { body: { packageType: 'no-such-plan' }, headers: asDevice });
});

test('create, read, change and delete answers fit their schemas on every face', async () => {
  const account = await checkAnswer('post', '/v1/accounts', { body: { login: 'contract-user', password: 'a long password' } });
  await checkAnswer('patch', `/v1/accounts/${account.value.id}`, { body: { tier: 'premium', rate_limits: { nexus_text: '60/min' } } });
  await checkAnswer('delete', `/v1/accounts/${account.value.id}`);
  const sherpa = await checkAnswer('post', '/api/account/create', { body: { Login: 'contract-robot', Password: 'a long password' } });
  await checkAnswer('get', `/api/account/read/${sherpa.value.guid}`);
  await checkAnswer('put', '/api/account/update', { body: { Guid: sherpa.value.guid, Phone: '+1 555 0100' } });
  await checkAnswer('delete', `/api/account/delete/${sherpa.value.guid}`);
  const folder = await checkAnswer('post', '/api/folders/create', { body: { Name: 'contract-crud' } });
  await checkAnswer('put', '/api/folders/update', { body: { Guid: folder.value.guid, Name: 'contract-crud-2' } });
  await checkAnswer('post', '/api/files/create', { body: { name: 'crud.txt', file: 'Crud notes.' } });
  await checkAnswer('put', '/api/files/update', { body: { Name: 'crud.txt', name_new: 'crud2.txt' } });
  await checkAnswer('delete', '/api/files/delete', { body: { file_folder_guid: folder.value.guid, type_processing: 2 } });
  await checkAnswer('delete', '/api/log/purge', { body: { Time: 1 } });
  await checkAnswer('post', '/api/key/assign');
  const session = await checkAnswer('post', '/api/sessions');
  await checkAnswer('post', '/api/clear-history', { body: { session_id: session.value.session_id } });
  const hook = await checkAnswer('get', '/v1/webhooks/nope');
  assert.equal(hook.status, 404);
  await checkAnswer('post', '/v1/responses', { body: { input: 'When are refunds paid?' } });
  await checkAnswer('get', '/v1/keys?include_revoked=true');
  await checkAnswer('get', '/v1/audit?action=key.create&limit=5');
  // Documents on both faces, and job reads (a missing job answers each face's error envelope).
  const nd = await checkAnswer('post', '/v1/documents', { body: { title: 'Contract doc', content: '# Terms\n\nPaid in 14 days.', type: 'markdown' } });
  assert.equal(nd.status, 201);
  await checkAnswer('patch', `/v1/documents/${nd.value.id}`, { body: { content: '# Terms\n\nPaid in 30 days.' } });
  for (const p of ['/v1/documents', '/v1/documents?type=markdown&limit=5', `/v1/documents/${nd.value.id}`,
    `/v1/documents/${nd.value.id}/versions`, `/v1/documents/${nd.value.id}/versions/2`, '/v1/documents/nope']) await checkAnswer('get', p);
  await checkAnswer('delete', `/v1/documents/${nd.value.id}`);
  const cd = await checkAnswer('post', '/api/documents', { body: { title: 'Chatbot doc', content: 'Plain notes.' } });
  assert.equal(cd.status, 201);
  await checkAnswer('put', `/api/documents/${cd.value.id}`, { body: { title: 'Chatbot doc 2' } });
  for (const p of ['/api/documents', `/api/documents/${cd.value.id}`, `/api/documents/${cd.value.id}/versions`,
    `/api/documents/${cd.value.id}/versions/1`, '/api/documents/nope']) await checkAnswer('get', p);
  await checkAnswer('delete', `/api/documents/${cd.value.id}`);
  await checkAnswer('get', '/v1/jobs/nope');
  await checkAnswer('get', '/api/status/nope');
});
