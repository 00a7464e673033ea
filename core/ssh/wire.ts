// The SSH wire encoding (RFC 4251 §5) that keys and signatures are made of: uint32, string, mpint.
// Reading is strict (lengths within bounds, minimal mpints, nothing left over) so that one key or
// signature has exactly one encoding; a violation throws WireError, which the callers in this
// folder turn into a "malformed" result: nothing hostile escapes as an exception.

/** A blob does not follow the SSH wire encoding; `message` says where and what was expected. */
export class WireError extends Error {}

/** Reads the fields of one SSH wire blob in order. */
export class WireReader {
  private at = 0;
  constructor(
    private readonly bytes: Uint8Array,
    private readonly what: string,
  ) {}

  /** The bytes not read yet. */
  get remaining(): number {
    return this.bytes.length - this.at;
  }

  /** A big-endian uint32. */
  u32(field: string): number {
    if (this.remaining < 4)
      throw new WireError(`${this.what}: expected a 4-byte ${field}, found ${this.remaining} bytes left`);
    const b = this.bytes;
    const v = ((b[this.at]! << 24) >>> 0) + (b[this.at + 1]! << 16) + (b[this.at + 2]! << 8) + b[this.at + 3]!;
    this.at += 4;
    return v;
  }

  /** One byte. */
  u8(field: string): number {
    if (this.remaining < 1) throw new WireError(`${this.what}: expected a 1-byte ${field}, found the end`);
    return this.bytes[this.at++]!;
  }

  /** Fixed-length raw bytes. */
  raw(length: number, field: string): Uint8Array {
    if (this.remaining < length)
      throw new WireError(`${this.what}: expected ${length} bytes of ${field}, found ${this.remaining}`);
    const out = this.bytes.subarray(this.at, this.at + length);
    this.at += length;
    return out;
  }

  /** A length-prefixed byte string. */
  string(field: string): Uint8Array {
    const length = this.u32(`length of ${field}`);
    if (length > this.remaining)
      throw new WireError(`${this.what}: ${field} claims ${length} bytes, only ${this.remaining} follow`);
    return this.raw(length, field);
  }

  /**
   * A string of text without NUL bytes (OpenSSH's "cstring") in UTF-8. Decoding is exact, so the
   * text encodes back to the same bytes (a security key's application is hashed from it).
   */
  text(field: string): string {
    const bytes = this.string(field);
    if (bytes.includes(0)) throw new WireError(`${this.what}: expected ${field} without NUL bytes`);
    try {
      return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
    } catch {
      throw new WireError(`${this.what}: expected ${field} in UTF-8`);
    }
  }

  /** A non-negative mpint in its minimal encoding; gives its magnitude without a sign byte. */
  mpint(field: string): Uint8Array {
    const bytes = this.string(field);
    if (bytes.length === 0) return bytes;
    if (bytes[0]! & 0x80)
      throw new WireError(`${this.what}: expected ${field} to be a positive number, found a negative one`);
    if (bytes[0] === 0 && (bytes.length === 1 || !(bytes[1]! & 0x80))) {
      throw new WireError(`${this.what}: expected ${field} in its shortest form, found a needless leading zero byte`);
    }
    return bytes[0] === 0 ? bytes.subarray(1) : bytes;
  }

  /** Assert that every byte was read. */
  end(): void {
    if (this.remaining !== 0) {
      throw new WireError(`${this.what}: expected nothing after the last field, found ${this.remaining} more bytes`);
    }
  }
}

/** Builds an SSH wire blob. */
export class WireWriter {
  private readonly parts: Uint8Array[] = [];

  /** A big-endian uint32. */
  u32(v: number): this {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, v);
    this.parts.push(b);
    return this;
  }

  /** One byte. */
  u8(v: number): this {
    this.parts.push(Uint8Array.of(v));
    return this;
  }

  /** Raw bytes without a length. */
  raw(bytes: Uint8Array | string): this {
    this.parts.push(typeof bytes === 'string' ? new TextEncoder().encode(bytes) : bytes);
    return this;
  }

  /** A length-prefixed string. */
  string(bytes: Uint8Array | string): this {
    const b = typeof bytes === 'string' ? new TextEncoder().encode(bytes) : bytes;
    return this.u32(b.length).raw(b);
  }

  /** A non-negative mpint from its big-endian magnitude (leading zeros dropped, a sign byte added when needed). */
  mpint(magnitude: Uint8Array): this {
    let i = 0;
    while (i < magnitude.length && magnitude[i] === 0) i++;
    const m = magnitude.subarray(i);
    return this.string(m.length && m[0]! & 0x80 ? concatBytes([Uint8Array.of(0), m]) : m);
  }

  /** The blob. */
  bytes(): Uint8Array {
    return concatBytes(this.parts);
  }
}

/** Concatenate byte arrays. */
export function concatBytes(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** True when two byte arrays hold the same bytes. */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.compare(a, b) === 0;
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
/** Decode base64 only when it is canonical (the alphabet, padding, zero spare bits); else null. */
export function decodeCanonicalBase64(text: string): Uint8Array | null {
  if (text.length % 4 !== 0 || !BASE64.test(text)) return null;
  const bytes = Buffer.from(text, 'base64');
  return bytes.toString('base64') === text ? new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length) : null;
}
