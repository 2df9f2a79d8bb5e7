import { describe, expect, it } from 'vitest';
import { Redactor } from './redact.ts';

const SECRET = 'pa"ss\\wörd-Secret1';

function feed(r: Redactor, chunks: Buffer[]): string {
  const s = r.stream();
  return chunks.map((c) => s.push(c)).join('') + s.end();
}

describe('redaction', () => {
  it('masks a secret with " and \\ in text and inside JSON strings', () => {
    const r = new Redactor();
    r.add(SECRET);
    expect(r.redact(`x ${SECRET} y`)).toBe('x *** y');
    expect(r.redact(JSON.stringify({ a: `in ${SECRET}` }))).not.toContain('ss\\\\w');
    const v = r.redactValue({ error: `bad: ${SECRET}`, list: [SECRET], n: 3 });
    expect(v).toEqual({ error: 'bad: ***', list: ['***'], n: 3 });
    expect(JSON.stringify(v)).not.toContain('Secret1');
  });

  it('masks a secret split across chunks at every byte, and keeps characters split across chunks whole', () => {
    const r = new Redactor();
    r.add(SECRET);
    const text = Buffer.from(`before ${SECRET} middle ✓ after ${SECRET}`);
    for (let cut = 1; cut < text.length; cut++) {
      expect(feed(r, [text.subarray(0, cut), text.subarray(cut)])).toBe('before *** middle ✓ after ***');
    }
    expect(feed(r, [...text].map((b) => Buffer.from([b])))).toBe('before *** middle ✓ after ***');
  });

  it('gives back what only looked like the start of a secret', () => {
    const r = new Redactor();
    r.add(SECRET);
    const s = r.stream();
    expect(s.push('value: pa"s')).toBe('value: ');
    expect(s.push('t')).toBe('pa"st');
    expect(s.push(' pa"ss')).toBe(' ');
    expect(s.end()).toBe('pa"ss');
  });

  it('does not hold back a prompt that waits for an answer', () => {
    const r = new Redactor();
    r.add(']secret-value');
    const s = r.stream(['[prompt]']);
    expect(s.push('[prompt]')).toBe('[prompt]');
  });
});
