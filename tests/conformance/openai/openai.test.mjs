// The official `openai` npm package, used exactly as its README shows, against a live docent.
// Nothing here knows docent beyond its URL and key: if the SDK cannot read an answer, docent's
// shape is wrong.
//
// Run by tests/conformance/openai/run.sh (ctest label `conformance`); DOCENT_BINARY names the
// binary (default: build/docent of this checkout).

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import OpenAI, { toFile } from 'openai';

const here = path.dirname(fileURLToPath(import.meta.url));
const binary = process.env.DOCENT_BINARY || path.resolve(here, '../../../build/docent');

// The planted fact: the answer to kQuestion, in a file nobody else has seen.
const kFact = 'The spare key to the boathouse hangs behind the barometer in the hallway.';
const kQuestion = 'Where is the spare key to the boathouse?';
const kDocument = [
  'House notes.',
  'The boiler is serviced every October.',
  kFact,
  'Recycling goes out on Tuesday evenings.',
].join('\n');

let server;     // the child process
let tmp;        // its data folder and the uploaded file
let client;     // the SDK, pointed at docent
let uploaded;   // the file and vector store made by the file_search test, reused by the next
let store;

// Starts `docent serve` on a free loopback port and resolves with the URL and first-start admin
// key it prints on stdout. Rejects if it exits first, or prints nothing usable within 30 s.
function startDocent(dataDir) {
  return new Promise((resolve, reject) => {
    const child = spawn(binary, ['serve', '--host', '127.0.0.1', '--port', '0', '--data', dataDir], {
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
      if (!url) return;
      const key = out.match(/admin key: (dk_[0-9A-Za-z]+)/);
      clearTimeout(timer);
      if (!key) {
        child.kill('SIGKILL');
        reject(new Error(`docent printed no first-start admin key; stdout:\n${out}`));
        return;
      }
      resolve({ child, url: url[1], key: key[1] });
    });
    child.on('error', (e) => { clearTimeout(timer); reject(e); });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`docent exited (${code ?? signal}) before listening; stderr:\n${err}`));
    });
  });
}

before(async () => {
  assert.ok(fs.existsSync(binary), `no docent binary at ${binary} (set DOCENT_BINARY)`);
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'docent-openai-'));
  const started = await startDocent(path.join(tmp, 'data'));
  server = started.child;
  // Should the runner die before after() runs, the server must not outlive it.
  process.once('exit', () => { if (server.exitCode === null && server.signalCode === null) server.kill('SIGKILL'); });
  client = new OpenAI({ apiKey: started.key, baseURL: `${started.url}/v1`, maxRetries: 0, timeout: 60_000 });
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

const factChat = [
  { role: 'system', content: 'Visitors park in the quokka lot behind building seven. The canteen closes at three.' },
  { role: 'user', content: 'Where do visitors park?' },
];

test('models.list pages through every model, the built-in engine among them', async () => {
  const ids = [];
  for await (const model of client.models.list()) {
    assert.equal(model.object, 'model');
    assert.equal(typeof model.created, 'number');
    assert.equal(typeof model.owned_by, 'string');
    ids.push(model.id);
  }
  assert.ok(ids.includes('docent-extractive'), ids.join(', '));
  assert.ok(ids.includes('docent-hashed-v1'), ids.join(', '));
});

test('models.retrieve gives one model', async () => {
  const model = await client.models.retrieve('docent-extractive');
  assert.equal(model.id, 'docent-extractive');
  assert.equal(model.object, 'model');
});

test('chat.completions.create answers from the conversation, with usage', async () => {
  const completion = await client.chat.completions.create({ model: 'docent-extractive', messages: factChat });
  assert.equal(completion.object, 'chat.completion');
  assert.equal(completion.model, 'docent-extractive');
  assert.equal(completion.choices.length, 1);
  const choice = completion.choices[0];
  assert.equal(choice.message.role, 'assistant');
  assert.equal(choice.message.content, 'Visitors park in the quokka lot behind building seven. [1]');
  assert.equal(choice.finish_reason, 'stop');
  assert.ok(completion.usage.total_tokens > 0);
  assert.equal(completion.usage.total_tokens, completion.usage.prompt_tokens + completion.usage.completion_tokens);
});

test('a streamed completion iterates chunk by chunk to the same text', async () => {
  const stream = await client.chat.completions.create({
    model: 'docent-extractive',
    messages: factChat,
    stream: true,
    stream_options: { include_usage: true },
  });
  let text = '';
  let chunks = 0;
  let finish = null;
  let usage = null;
  for await (const chunk of stream) {
    assert.equal(chunk.object, 'chat.completion.chunk');
    ++chunks;
    for (const choice of chunk.choices) {
      text += choice.delta?.content ?? '';
      if (choice.finish_reason) finish = choice.finish_reason;
    }
    if (chunk.usage) usage = chunk.usage;
  }
  assert.ok(chunks >= 2, `only ${chunks} chunk(s)`);
  assert.equal(text, 'Visitors park in the quokka lot behind building seven. [1]');
  assert.equal(finish, 'stop');
  assert.ok(usage && usage.total_tokens > 0, 'include_usage sends a final usage chunk');
});

test('embeddings: a string and an array, as floats and as base64', async () => {
  // Without encoding_format the SDK asks for base64 and decodes it to numbers itself.
  const byDefault = await client.embeddings.create({ model: 'docent-hashed-v1', input: 'quokka lot' });
  assert.equal(byDefault.object, 'list');
  assert.equal(byDefault.data.length, 1);
  const decoded = byDefault.data[0].embedding;
  assert.ok(Array.isArray(decoded) && decoded.length > 0);
  assert.ok(decoded.every((x) => typeof x === 'number' && Number.isFinite(x)));
  assert.ok(byDefault.usage.prompt_tokens > 0);

  const floats = await client.embeddings.create({
    model: 'docent-hashed-v1',
    input: ['quokka lot', 'building seven'],
    encoding_format: 'float',
  });
  assert.equal(floats.data.length, 2);
  assert.deepEqual(floats.data.map((d) => d.index), [0, 1]);
  const first = floats.data[0].embedding;
  assert.equal(first.length, decoded.length);
  for (let i = 0; i < first.length; ++i) assert.ok(Math.abs(first[i] - decoded[i]) < 1e-6, `component ${i}`);
  assert.notDeepEqual(floats.data[1].embedding, first);

  // Asked for explicitly, base64 comes back as the string: little-endian float32s.
  const b64 = await client.embeddings.create({ model: 'docent-hashed-v1', input: ['quokka lot'], encoding_format: 'base64' });
  const raw = b64.data[0].embedding;
  assert.equal(typeof raw, 'string');
  const bytes = Buffer.from(raw, 'base64');
  assert.equal(bytes.length, first.length * 4);
  for (let i = 0; i < first.length; ++i) assert.ok(Math.abs(bytes.readFloatLE(i * 4) - first[i]) < 1e-6);
});

test('file_search over a vector store quotes the planted fact and cites the file', async () => {
  const filePath = path.join(tmp, 'house-notes.txt');
  fs.writeFileSync(filePath, kDocument);
  const file = await client.files.create({ file: fs.createReadStream(filePath), purpose: 'assistants' });
  uploaded = file;
  assert.equal(file.object, 'file');
  assert.equal(file.filename, 'house-notes.txt');
  assert.equal(file.purpose, 'assistants');
  assert.equal(file.bytes, Buffer.byteLength(kDocument));

  store = await client.vectorStores.create({ name: 'house notes' });
  assert.equal(store.object, 'vector_store');
  const added = await client.vectorStores.files.createAndPoll(store.id, { file_id: file.id }, { pollIntervalMs: 100 });
  assert.equal(added.status, 'completed', JSON.stringify(added.last_error));
  assert.equal(added.vector_store_id, store.id);
  const listed = [];
  for await (const f of client.vectorStores.files.list(store.id)) listed.push(f.id);
  assert.deepEqual(listed, [file.id]);

  const response = await client.responses.create({
    model: 'docent-extractive',
    input: kQuestion,
    tools: [{ type: 'file_search', vector_store_ids: [store.id] }],
  });
  assert.equal(response.object, 'response');
  assert.equal(response.status, 'completed');
  // output_text is the SDK's own join of the message's text parts.
  assert.ok(response.output_text.includes(kFact), response.output_text);
  assert.ok(!response.output_text.includes('boiler'), response.output_text);
  const search = response.output.find((item) => item.type === 'file_search_call');
  assert.ok(search, 'a file_search_call item');
  assert.deepEqual(search.queries, [kQuestion]);
  const message = response.output.find((item) => item.type === 'message');
  const annotations = message.content.flatMap((part) => part.annotations ?? []);
  const citation = annotations.find((a) => a.type === 'file_citation');
  assert.ok(citation, JSON.stringify(message));
  assert.equal(citation.file_id, file.id);
  assert.equal(citation.filename, 'house-notes.txt');
  assert.equal(response.output_text[citation.index], '[');
});

test('responses.stream: the SDK assembles the typed events into the same cited answer', async () => {
  assert.ok(store && uploaded, 'needs the vector store of the previous test');
  const request = {
    model: 'docent-extractive',
    input: kQuestion,
    tools: [{ type: 'file_search', vector_store_ids: [store.id] }],
  };
  // The helper checks the event order (created, item added, part added, deltas...) as it goes
  // and throws on an event that does not fit the snapshot it is building.
  const stream = client.responses.stream(request);
  let deltas = '';
  stream.on('response.output_text.delta', (event) => { deltas += event.delta; });
  const final = await stream.finalResponse();
  assert.equal(final.status, 'completed');
  assert.ok(deltas.includes(kFact), deltas);
  const message = final.output.find((item) => item.type === 'message');
  const text = message.content.map((part) => part.text).join('');
  assert.equal(text, deltas);
  const citation = message.content.flatMap((part) => part.annotations ?? []).find((a) => a.type === 'file_citation');
  assert.ok(citation, JSON.stringify(message));
  assert.equal(citation.file_id, uploaded.id);
});

test('beta.chat.completions.stream: the SDK assembles the chunks into a final completion', async () => {
  const stream = client.beta.chat.completions.stream({ model: 'docent-extractive', messages: factChat });
  const final = await stream.finalChatCompletion();
  assert.equal(final.choices[0].message.content, 'Visitors park in the quokka lot behind building seven. [1]');
  assert.equal(final.choices[0].finish_reason, 'stop');
});

test('files and vector stores read back through the SDK: retrieve, list, content, search', async () => {
  assert.ok(store && uploaded, 'needs the vector store of the file_search test');
  const file = await client.files.retrieve(uploaded.id);
  assert.equal(file.id, uploaded.id);
  assert.equal(file.filename, 'house-notes.txt');
  const ids = [];
  for await (const f of client.files.list()) ids.push(f.id);
  assert.ok(ids.includes(uploaded.id));
  const content = await client.files.content(uploaded.id);
  assert.equal(await content.text(), kDocument);

  const retrieved = await client.vectorStores.retrieve(store.id);
  assert.equal(retrieved.status, 'completed');
  assert.equal(retrieved.file_counts.completed, 1);
  const hits = [];
  for await (const hit of client.vectorStores.search(store.id, { query: kQuestion })) hits.push(hit);
  assert.ok(hits.length > 0);
  assert.equal(hits[0].file_id, uploaded.id);
  assert.ok(hits[0].content.some((part) => part.type === 'text' && part.text.includes(kFact)), JSON.stringify(hits[0]));
});

test('deleting through the SDK: vector store file, vector store, file; then the file is NotFoundError', async () => {
  assert.ok(store && uploaded, 'needs the vector store of the file_search test');
  const removed = await client.vectorStores.files.del(store.id, uploaded.id);
  assert.equal(removed.deleted, true);
  const dropped = await client.vectorStores.del(store.id);
  assert.equal(dropped.deleted, true);
  const deleted = await client.files.del(uploaded.id);
  assert.equal(deleted.id, uploaded.id);
  assert.equal(deleted.deleted, true);
  await assert.rejects(client.files.retrieve(uploaded.id), (err) => err instanceof OpenAI.NotFoundError && err.status === 404);
});

test('a wrong API key is the SDK\'s AuthenticationError, status 401', async () => {
  const stranger = new OpenAI({ apiKey: 'dk_not_a_key', baseURL: client.baseURL, maxRetries: 0 });
  await assert.rejects(stranger.models.list(), (err) => {
    assert.ok(err instanceof OpenAI.AuthenticationError, `${err?.constructor?.name}: ${err?.message}`);
    assert.equal(err.status, 401);
    return true;
  });
});

test('an unknown model is the SDK\'s NotFoundError, status 404, naming the parameter', async () => {
  await assert.rejects(
    client.chat.completions.create({ model: 'no-such-model', messages: [{ role: 'user', content: 'hi' }] }),
    (err) => {
      assert.ok(err instanceof OpenAI.NotFoundError, `${err?.constructor?.name}: ${err?.message}`);
      assert.ok(err instanceof OpenAI.APIError);
      assert.equal(err.status, 404);
      assert.equal(err.param, 'model');
      assert.match(err.message, /no-such-model/);
      return true;
    },
  );
});

// Speech made by docent's own espeak-ng through audio.speech.create, then heard back by its
// built-in recogniser through audio.transcriptions.create.
const kSpoken = 'this is a test of the speech system. please turn left and stop the car.';
let spokenWav;

test('audio.speech.create streams speech the SDK reads as a WAV file', async () => {
  const response = await client.audio.speech.create({
    model: 'tts-1', voice: 'alloy', input: kSpoken, response_format: 'wav', speed: 0.75,
  });
  assert.equal(response.headers.get('content-type'), 'audio/wav');
  spokenWav = Buffer.from(await response.arrayBuffer());
  assert.equal(spokenWav.subarray(0, 4).toString('latin1'), 'RIFF');
  assert.equal(spokenWav.subarray(8, 12).toString('latin1'), 'WAVE');
  assert.ok(spokenWav.length > 24000 * 2, `only ${spokenWav.length} bytes`);
  const mp3 = await client.audio.speech.create({ model: 'tts-1', voice: 'echo', input: 'Hello.' });
  const bytes = Buffer.from(await mp3.arrayBuffer());
  assert.ok(bytes.length > 500);
  assert.ok(bytes[0] === 0xff || bytes.subarray(0, 3).toString('latin1') === 'ID3', 'an MP3 frame or ID3 tag');
});

test('audio.transcriptions.create hears the words, in json, verbose_json and srt', async () => {
  assert.ok(spokenWav, 'the speech test ran first');
  const plain = await client.audio.transcriptions.create({
    file: await toFile(spokenWav, 'speech.wav'), model: 'whisper-1',
  });
  assert.match(plain.text, /turn left/);
  const verbose = await client.audio.transcriptions.create({
    file: await toFile(spokenWav, 'speech.wav'), model: 'whisper-1', language: 'en',
    response_format: 'verbose_json', timestamp_granularities: ['word', 'segment'],
  });
  assert.equal(verbose.language, 'english');
  assert.ok(verbose.duration > 2);
  assert.ok(verbose.segments.length >= 1);
  for (const s of verbose.segments) assert.ok(s.start <= s.end);
  assert.ok(verbose.words.some((w) => w.word === 'left'));
  const srt = await client.audio.transcriptions.create({
    file: await toFile(spokenWav, 'speech.wav'), model: 'whisper-1', response_format: 'srt',
  });
  assert.match(srt, /^1\n00:00:\d\d,\d{3} --> /);
});

test('a bad audio request is the SDK\'s BadRequestError naming the parameter', async () => {
  await assert.rejects(
    client.audio.transcriptions.create({
      file: await toFile(Buffer.from('not audio at all'), 'x.mp3'), model: 'whisper-1', language: 'xx',
    }),
    (err) => {
      assert.ok(err instanceof OpenAI.BadRequestError, `${err?.constructor?.name}: ${err?.message}`);
      assert.equal(err.param, 'language');
      return true;
    },
  );
  await assert.rejects(
    client.audio.transcriptions.create({ file: await toFile(Buffer.from('not audio at all'), 'x.mp3'), model: 'whisper-1' }),
    (err) => {
      assert.ok(err instanceof OpenAI.BadRequestError, `${err?.constructor?.name}: ${err?.message}`);
      assert.equal(err.code, 'INVALID_FORMAT');
      return true;
    },
  );
  await assert.rejects(
    client.audio.speech.create({ model: 'tts-1', voice: 'alloy', input: 'x'.repeat(4097) }),
    (err) => err instanceof OpenAI.BadRequestError && err.param === 'input',
  );
});
