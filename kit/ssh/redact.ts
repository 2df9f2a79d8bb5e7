import { StringDecoder } from 'node:string_decoder';

const MASK = '***';

/**
 * Every secret the kit handles (passwords, passphrases, tokens) is registered here, and every
 * string bound for a log, an error or --json output passes through redact(). Output read from a
 * node goes through stream(), which also catches a secret split across two chunks.
 */
export class Redactor {
  private readonly secrets = new Set<string>();
  /** Longest first, so a secret containing another is masked whole; rebuilt only when a secret is added. */
  private ordered: string[] = [];
  private orderedBytes: Buffer[] = [];

  add(secret: string | undefined): void {
    // Very short values would blank out ordinary words; such secrets are refused elsewhere.
    if (!secret || secret.length < 4) return;
    const size = this.secrets.size;
    this.secrets.add(secret);
    // The same secret as it appears inside a JSON string ("a\"b", "c\\d").
    this.secrets.add(JSON.stringify(secret).slice(1, -1));
    if (this.secrets.size === size) return;
    this.ordered = [...this.secrets].sort((a, b) => b.length - a.length);
    this.orderedBytes = this.ordered.map((s) => Buffer.from(s, 'utf8'));
  }

  redact(text: string): string {
    let out = text;
    for (const s of this.ordered) out = out.split(s).join(MASK);
    return out;
  }

  /** Redacts every string inside a JSON-like value (keys included), whatever characters they hold. */
  redactValue<T>(value: T): T {
    const walk = (v: unknown): unknown => {
      if (typeof v === 'string') return this.redact(v);
      if (Array.isArray(v)) return v.map(walk);
      if (v !== null && typeof v === 'object' && !(v instanceof Date)) {
        return Object.fromEntries(Object.entries(v).map(([k, x]) => [this.redact(k), walk(x)]));
      }
      return v;
    };
    return walk(value) as T;
  }

  /** A redacting decoder for one byte stream: push() chunks as they come, end() once. */
  stream(markers: string[] = []): RedactingStream {
    return new RedactingStream(this, markers);
  }

  /** For RedactingStream: the byte forms of the secrets, longest first. */
  secretBytes(): readonly Buffer[] {
    return this.orderedBytes;
  }
}

/**
 * Works on bytes, before decoding: a chunk boundary may fall inside a secret or inside a UTF-8
 * character. The tail of what came so far that could still grow into a secret is held back until
 * the next chunk (or end()) tells which it is.
 */
export class RedactingStream {
  private pending: Buffer = Buffer.alloc(0);
  private readonly decoder = new StringDecoder('utf8');
  private readonly markers: Buffer[];

  /** `markers`: text that is never held back when a chunk ends with it (e.g. a prompt waiting for an answer). */
  constructor(
    private readonly r: Redactor,
    markers: string[] = [],
  ) {
    this.markers = markers.map((m) => Buffer.from(m, 'utf8'));
  }

  push(chunk: Buffer | string): string {
    const secrets = this.r.secretBytes();
    // Secrets are only ever added, so with none there is nothing held back either.
    if (!secrets.length) return this.decoder.write(typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk);
    this.pending = Buffer.concat([this.pending, typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk]);
    const masked = mask(this.pending, secrets);
    const hold = this.markers.some((m) => endsWith(masked, m)) ? 0 : heldTail(masked, secrets);
    this.pending = masked.subarray(masked.length - hold);
    return this.decoder.write(masked.subarray(0, masked.length - hold));
  }

  end(): string {
    const rest = mask(this.pending, this.r.secretBytes());
    this.pending = Buffer.alloc(0);
    return this.decoder.write(rest) + this.decoder.end();
  }
}

const MASK_BYTES = Buffer.from(MASK);

function endsWith(buf: Buffer, tail: Buffer): boolean {
  return buf.length >= tail.length && buf.subarray(buf.length - tail.length).equals(tail);
}

function mask(buf: Buffer, secrets: readonly Buffer[]): Buffer {
  let out = buf;
  for (const s of secrets) {
    if (out.indexOf(s) < 0) continue;
    const parts: Buffer[] = [];
    let from = 0;
    for (let at = out.indexOf(s); at >= 0; at = out.indexOf(s, from)) {
      parts.push(out.subarray(from, at), MASK_BYTES);
      from = at + s.length;
    }
    parts.push(out.subarray(from));
    out = Buffer.concat(parts);
  }
  return out;
}

/** How many bytes at the end of buf are a proper prefix of some secret. */
function heldTail(buf: Buffer, secrets: readonly Buffer[]): number {
  let hold = 0;
  for (const s of secrets) {
    // Earliest start first (the longest prefix); only where the secret's first byte is.
    for (let at = buf.indexOf(s[0]!, Math.max(0, buf.length - s.length + 1)); at >= 0 && buf.length - at > hold; at = buf.indexOf(s[0]!, at + 1)) {
      if (buf.subarray(at).equals(s.subarray(0, buf.length - at))) {
        hold = buf.length - at;
        break;
      }
    }
  }
  return hold;
}
