/**
 * Deterministic content hashing for directory records: canonical JSON (object keys
 * sorted, `undefined` dropped) hashed with SHA-256. Pure TypeScript so it runs the same in
 * the renderer, the workstation core and the server.
 */

/** JSON with object keys sorted at every level; `undefined` values are left out. */
export function canonicalJson(value: unknown): string {
  // The engine's JSON.stringify over a key-sorted copy gives the same text as writing it out
  // by hand, several times faster on the tens of thousands of records an import hashes. The
  // engine lists array-index keys ("0", "12") first whatever the order, so a value holding
  // such a key is written out by hand.
  const copy = sortedCopy(value);
  return copy === INDEX_KEYS ? handWritten(value) : JSON.stringify(copy);
}

const INDEX_KEYS = Symbol('index keys');
const INDEX_KEY = /^(0|[1-9]\d*)$/;

function sortedCopy(value: unknown): unknown {
  if (value === null) return null;
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError('canonicalJson: non-finite number');
      return value;
    case 'object': {
      if (Array.isArray(value)) {
        const out: unknown[] = [];
        for (const v of value) {
          const c = v === undefined ? null : sortedCopy(v);
          if (c === INDEX_KEYS) return INDEX_KEYS;
          out.push(c);
        }
        return out;
      }
      const obj = value as Record<string, unknown>;
      const keys = Object.keys(obj)
        .filter((k) => obj[k] !== undefined)
        .sort();
      // No prototype, so a "__proto__" key is an own property like any other.
      const out = Object.create(null) as Record<string, unknown>;
      for (const k of keys) {
        if (INDEX_KEY.test(k)) return INDEX_KEYS;
        const c = sortedCopy(obj[k]);
        if (c === INDEX_KEYS) return INDEX_KEYS;
        out[k] = c;
      }
      return out;
    }
    default:
      throw new TypeError(`canonicalJson: cannot encode ${typeof value}`);
  }
}

/** The same text, written out piece by piece. */
function handWritten(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map((v) => (v === undefined ? 'null' : handWritten(v))).join(',')}]`;
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj)
    .filter((k) => obj[k] !== undefined)
    .sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${handWritten(obj[k])}`).join(',')}}`;
}

/**
 * The UTF-8 encoding of `text`, followed by SHA-256's padding, in one array sized up front:
 * a directory import hashes tens of megabytes, and growing a plain array byte by byte was
 * most of the cost.
 */
function paddedUtf8(text: string): { bytes: Uint8Array; length: number } {
  // At most 3 bytes per UTF-16 unit, then 1 + up to 63 padding + 8 length bytes.
  const bytes = new Uint8Array(Math.ceil((text.length * 3 + 9) / 64) * 64 + 64);
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    let cp = text.charCodeAt(i);
    if (cp >= 0xd800 && cp <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        cp = 0x10000 + ((cp - 0xd800) << 10) + (next - 0xdc00);
        i++;
      }
    }
    if (cp >= 0xd800 && cp <= 0xdfff) cp = 0xfffd; // lone surrogate
    if (cp < 0x80) bytes[n++] = cp;
    else if (cp < 0x800) {
      bytes[n++] = 0xc0 | (cp >> 6);
      bytes[n++] = 0x80 | (cp & 63);
    } else if (cp < 0x10000) {
      bytes[n++] = 0xe0 | (cp >> 12);
      bytes[n++] = 0x80 | ((cp >> 6) & 63);
      bytes[n++] = 0x80 | (cp & 63);
    } else {
      bytes[n++] = 0xf0 | (cp >> 18);
      bytes[n++] = 0x80 | ((cp >> 12) & 63);
      bytes[n++] = 0x80 | ((cp >> 6) & 63);
      bytes[n++] = 0x80 | (cp & 63);
    }
  }
  const bitLength = n * 8;
  bytes[n++] = 0x80;
  while (n % 64 !== 56) bytes[n++] = 0;
  // 64-bit big-endian length; strings here are far below 2^53 bits.
  const hi = Math.floor(bitLength / 0x100000000);
  const lo = bitLength >>> 0;
  for (const word of [hi, lo]) {
    bytes[n++] = (word >>> 24) & 255;
    bytes[n++] = (word >>> 16) & 255;
    bytes[n++] = (word >>> 8) & 255;
    bytes[n++] = word & 255;
  }
  return { bytes, length: n };
}

const K = new Int32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]);

/** SHA-256 of the UTF-8 encoding of `text`, as 64 lower-case hex digits. */
export function sha256Hex(text: string): string {
  const { bytes, length } = paddedUtf8(text);
  let h0 = 0x6a09e667, h1 = 0xbb67ae85, h2 = 0x3c6ef372, h3 = 0xa54ff53a;
  let h4 = 0x510e527f, h5 = 0x9b05688c, h6 = 0x1f83d9ab, h7 = 0x5be0cd19;
  const w = new Int32Array(64);
  // Written out with local variables: this loop is where a directory import spends its
  // hashing time, and V8 keeps locals in registers where array slots and closures it cannot.
  for (let off = 0; off < length; off += 64) {
    for (let i = 0; i < 16; i++) {
      const j = off + i * 4;
      w[i] = (bytes[j]! << 24) | (bytes[j + 1]! << 16) | (bytes[j + 2]! << 8) | bytes[j + 3]!;
    }
    for (let i = 16; i < 64; i++) {
      const x = w[i - 15]!;
      const y = w[i - 2]!;
      const s0 = ((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3);
      const s1 = ((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10);
      w[i] = (w[i - 16]! + s0 + w[i - 7]! + s1) | 0;
    }
    let a = h0, b = h1, c = h2, d = h3, e = h4, f = h5, g = h6, h = h7;
    for (let i = 0; i < 64; i++) {
      const S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
      const ch = (e & f) ^ (~e & g);
      const t1 = (h + S1 + ch + K[i]! + w[i]!) | 0;
      const S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
      const maj = (a & b) ^ (a & c) ^ (b & c);
      const t2 = (S0 + maj) | 0;
      h = g;
      g = f;
      f = e;
      e = (d + t1) | 0;
      d = c;
      c = b;
      b = a;
      a = (t1 + t2) | 0;
    }
    h0 = (h0 + a) | 0; h1 = (h1 + b) | 0; h2 = (h2 + c) | 0; h3 = (h3 + d) | 0;
    h4 = (h4 + e) | 0; h5 = (h5 + f) | 0; h6 = (h6 + g) | 0; h7 = (h7 + h) | 0;
  }
  return [h0, h1, h2, h3, h4, h5, h6, h7].map((x) => (x >>> 0).toString(16).padStart(8, '0')).join('');
}

/** Stable hash of a JSON-like value: SHA-256 of its canonical JSON. */
export function contentHashOf(value: unknown): string {
  return sha256Hex(canonicalJson(value));
}
