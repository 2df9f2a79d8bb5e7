import type { BenchResult } from './run.ts';

const cell = (v: number | null | undefined) => (v === null || v === undefined ? '-' : String(v));

function rows(r: BenchResult): string[][] {
  return r.levels.map((l) => [
    String(l.concurrency),
    String(l.requests),
    cell(l.p50_ms),
    cell(l.p90_ms),
    cell(l.p99_ms),
    cell(l.mean_ms),
    cell(l.throughput),
    Object.keys(l.errors).length ? Object.entries(l.errors).map(([s, n]) => `${s === '0' ? 'no answer' : s}×${n}`).join(' ') : '0',
    cell(l.split.response_ms),
    cell(l.split.predict_ms),
    cell(l.split.queue_ms),
  ]);
}

const HEAD = ['conc', 'reqs', 'p50 ms', 'p90 ms', 'p99 ms', 'mean ms', 'img/s', 'non-2xx', 'response ms', 'predict ms', 'queue ms'];

/** The table as plain columns for a terminal. */
export function textTable(r: BenchResult): string {
  const all = [HEAD, ...rows(r)];
  const widths = HEAD.map((_, i) => Math.max(...all.map((row) => row[i]!.length)));
  return all.map((row) => row.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n');
}

function coldLine(r: BenchResult): string {
  if (!r.cold) return 'cold start: not measured (--no-cold)';
  if (r.cold.first_answer_ms === null) return `cold start: no answer from a new replica (${r.cold.note})`;
  return `cold start: a new replica's first answer after ${r.cold.first_answer_ms} ms (${r.cold.attempts} attempt(s)); warm p50 at concurrency 1: ${cell(r.levels.find((l) => l.concurrency === 1)?.p50_ms)} ms`;
}

export function markdown(r: BenchResult): string {
  return [
    `# edgefaas bench ${r.function}`,
    '',
    `${r.started} · gateway ${r.gateway} · photo ${r.photo} (${r.photo_bytes} bytes) · ${r.replicas} replica(s) · ${r.requests_per_level} requests per level`,
    '',
    `| ${HEAD.join(' | ')} |`,
    `|${HEAD.map(() => '---').join('|')}|`,
    ...rows(r).map((row) => `| ${row.join(' | ')} |`),
    '',
    coldLine(r),
    '',
    'response = what the client waited; predict, queue = the function\'s own Server-Timing (model predict, waiting for a free worker).',
    '',
  ].join('\n');
}

export function summaryText(r: BenchResult): string {
  return [textTable(r), coldLine(r)].join('\n');
}
