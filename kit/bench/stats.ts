/** One request as the load generator saw it; status 0 = no HTTP answer (connection refused, reset, timeout). */
export interface Sample {
  status: number;
  ms: number;
  /** The function's own split (Server-Timing), when it sent one. */
  timing?: Timing;
}

/** Milliseconds the function reports per request: body read, decode, waiting for a worker, predict. */
export interface Timing {
  read?: number;
  decode?: number;
  queue?: number;
  infer?: number;
}

export interface LevelResult {
  concurrency: number;
  requests: number;
  ok: number;
  non2xx: number;
  /** Count per status that was not 2xx ("0" = no answer). */
  errors: Record<string, number>;
  /** Latency of the 2xx answers, ms (null when none). */
  p50_ms: number | null;
  p90_ms: number | null;
  p99_ms: number | null;
  mean_ms: number | null;
  /** 2xx answers per second of the level's wall time. */
  throughput: number;
  wall_s: number;
  /** Seed 3's response vs predict: mean ms the client waited, and what the function spent inside. */
  split: { response_ms: number | null; predict_ms: number | null; queue_ms: number | null; decode_ms: number | null; outside_ms: number | null };
}

const round1 = (x: number) => Math.round(x * 10) / 10;
const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null);

/** Nearest-rank percentile of sorted values. */
export function percentile(sorted: number[], p: number): number | null {
  if (!sorted.length) return null;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

/** Server-Timing: "read;dur=1.2, decode;dur=30.5, queue;dur=0.0, infer;dur=250.1" (other metrics ignored). */
export function parseServerTiming(header: string | null | undefined): Timing | undefined {
  if (!header) return undefined;
  const out: Timing = {};
  for (const part of header.split(',')) {
    const [name, ...params] = part.trim().split(';');
    const dur = params.map((p) => /^\s*dur=([0-9.]+)\s*$/.exec(p)).find(Boolean);
    if (dur && (name === 'read' || name === 'decode' || name === 'queue' || name === 'infer')) out[name] = Number(dur[1]);
  }
  return Object.keys(out).length ? out : undefined;
}

export function summarize(concurrency: number, samples: Sample[], wallMs: number): LevelResult {
  const ok = samples.filter((s) => s.status >= 200 && s.status < 300);
  const errors: Record<string, number> = {};
  for (const s of samples) if (!(s.status >= 200 && s.status < 300)) errors[String(s.status)] = (errors[String(s.status)] ?? 0) + 1;
  const ms = ok.map((s) => s.ms).sort((a, b) => a - b);
  const r = (x: number | null) => (x === null ? null : round1(x));
  const timed = ok.filter((s) => s.timing);
  const part = (k: keyof Timing) => r(mean(timed.map((s) => s.timing![k]).filter((x): x is number => x !== undefined)));
  const inside = timed.map((s) => (s.timing!.read ?? 0) + (s.timing!.decode ?? 0) + (s.timing!.queue ?? 0) + (s.timing!.infer ?? 0));
  const response = r(mean(timed.map((s) => s.ms)));
  return {
    concurrency,
    requests: samples.length,
    ok: ok.length,
    non2xx: samples.length - ok.length,
    errors,
    p50_ms: r(percentile(ms, 50)),
    p90_ms: r(percentile(ms, 90)),
    p99_ms: r(percentile(ms, 99)),
    mean_ms: r(mean(ms)),
    throughput: wallMs > 0 ? Math.round((ok.length / (wallMs / 1000)) * 100) / 100 : 0,
    wall_s: round1(wallMs / 1000),
    split: {
      response_ms: response,
      predict_ms: part('infer'),
      queue_ms: part('queue'),
      decode_ms: part('decode'),
      outside_ms: timed.length ? r(mean(timed.map((s, i) => s.ms - inside[i]!))) : null,
    },
  };
}
