// docent payload encryption, version 1, written from docs/ENCRYPTION.md alone, with Node's
// built-in crypto (no packages).
import crypto from 'node:crypto';

export const ENCRYPTED_JSON = 'application/vnd.docent.encrypted+json';
export const ENCRYPTED_PART = 'application/vnd.docent.encrypted';
const SALT = Buffer.from('docent payload encryption');

export function deriveKeys(apiKey) {
  const keys = {};
  for (const direction of ['request', 'response']) {
    for (const use of ['enc', 'mac']) {
      const info = Buffer.from(`docent v1 ${direction} ${use}`);
      keys[`${direction} ${use}`] = Buffer.from(crypto.hkdfSync('sha256', Buffer.from(apiKey), SALT, info, 32));
    }
  }
  return keys;
}

function macInput(version, ts, iv, ct) {
  const head = Buffer.alloc(9);
  head.writeUInt8(version, 0);
  head.writeBigInt64BE(BigInt(ts), 1);
  return Buffer.concat([head, iv, ct]);
}

export function seal(keys, direction, plaintext, ts = Math.floor(Date.now() / 1000), iv = crypto.randomBytes(16)) {
  const cipher = crypto.createCipheriv('aes-256-cbc', keys[`${direction} enc`], iv);  // PKCS#7 by default
  const ct = Buffer.concat([cipher.update(Buffer.from(plaintext)), cipher.final()]);
  const mac = crypto.createHmac('sha256', keys[`${direction} mac`]).update(macInput(1, ts, iv, ct)).digest();
  return { v: 1, ts, iv: iv.toString('base64'), ct: ct.toString('base64'), mac: mac.toString('base64') };
}

export class Rejected extends Error {}

const B64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

export function openEnvelope(keys, direction, envelope, window = 300, now = Math.floor(Date.now() / 1000)) {
  const e = typeof envelope === 'string' ? JSON.parse(envelope) : envelope;
  const names = Object.keys(e).sort().join(',');
  if (names !== 'ct,iv,mac,ts,v') throw new Rejected('fields');
  if (!Number.isInteger(e.v) || e.v < 0 || e.v > 255 || !Number.isInteger(e.ts)) throw new Rejected('types');
  for (const f of ['iv', 'ct', 'mac']) if (typeof e[f] !== 'string' || !B64.test(e[f])) throw new Rejected('base64');
  const iv = Buffer.from(e.iv, 'base64'), ct = Buffer.from(e.ct, 'base64'), tag = Buffer.from(e.mac, 'base64');
  if (iv.length !== 16 || tag.length !== 32 || ct.length === 0 || ct.length % 16) throw new Rejected('lengths');
  const expected = crypto.createHmac('sha256', keys[`${direction} mac`]).update(macInput(e.v, e.ts, iv, ct)).digest();
  if (!crypto.timingSafeEqual(expected, tag)) throw new Rejected('mac');  // first, in constant time
  if (e.v !== 1) throw new Rejected('version');
  if (Math.abs(now - e.ts) > window) throw new Rejected('timestamp');
  try {
    const decipher = crypto.createDecipheriv('aes-256-cbc', keys[`${direction} enc`], iv);
    return Buffer.concat([decipher.update(ct), decipher.final()]);
  } catch {
    throw new Rejected('padding');
  }
}
