import { StringDecoder } from 'node:string_decoder';

const MASK = '***';

/**
 * Every secret the kit handles (passwords, passphrases, tokens) is registered here, and every
 * string bound for a log, an error or --json output passes through redact(). Output read from a
 * node goes through stream(), which also catches a secret split across two chunks.
 */
export class Redactor {
  private readonly secrets = new Set<string>();

  add(secret: string | undefined): void {
    // Very short values would blank out ordinary words; such secrets are refused elsewhere.
    if (!secret || secret.length < 4) return;
    this.secrets.add(secret);
    // The same secret as it appears inside a JSON string ("a\"b", "c\\d").
    this.secrets.add(JSON.stringify(secret).slice(1, -1));
  }

  /** Longest first, so a secret containing another is masked whole. */
  private ordered(): string[] {
    return [...this.secrets].sort((a, b) => b.length - a.length);
  }

  redact(text: string): string {
    let out = text;
    for (const s of this.ordered()) out = out.split(s).join(MASK);
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

  /** For RedactingStream: the byte forms of the secrets. */
  secretBytes(): Buffer[] {
    return this.ordered().map((s) => Buffer.from(s, 'utf8'));
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

  /** `markers`: text that is never held back when a chunk ends with it (e.g. a prompt waiting for an answer). */
  constructor(
    private readonly r: Redactor,
    private readonly markers: string[] = [],
  ) {}

  push(chunk: Buffer | string): string {
    this.pending = Buffer.concat([this.pending, typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk]);
    const secrets = this.r.secretBytes();
    const masked = mask(this.pending, secrets);
    const hold = this.markers.some((m) => masked.toString('utf8').endsWith(m)) ? 0 : heldTail(masked, secrets);
    this.pending = masked.subarray(masked.length - hold);
    return this.decoder.write(masked.subarray(0, masked.length - hold));
  }

  end(): string {
    const rest = mask(this.pending, this.r.secretBytes());
    this.pending = Buffer.alloc(0);
    return this.decoder.write(rest) + this.decoder.end();
  }
}

function mask(buf: Buffer, secrets: Buffer[]): Buffer {
  let out = buf;
  for (const s of secrets) {
    if (out.indexOf(s) < 0) continue;
    const parts: Buffer[] = [];
    let from = 0;
    for (let at = out.indexOf(s); at >= 0; at = out.indexOf(s, from)) {
      parts.push(out.subarray(from, at), Buffer.from(MASK));
      from = at + s.length;
    }
    parts.push(out.subarray(from));
    out = Buffer.concat(parts);
  }
  return out;
}

/** How many bytes at the end of buf are a proper prefix of some secret. */
function heldTail(buf: Buffer, secrets: Buffer[]): number {
  let hold = 0;
  for (const s of secrets) {
    for (let n = Math.min(s.length - 1, buf.length); n > hold; n--) {
      if (buf.subarray(buf.length - n).equals(s.subarray(0, n))) {
        hold = n;
        break;
      }
    }
  }
  return hold;
}
