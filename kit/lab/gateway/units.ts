/** Go's time.ParseDuration for the env timeouts ("5m5s", "60s", "1.5h"); a bare integer is seconds. */
export function parseDurationMs(text: string | undefined, fallbackMs: number): number {
  if (text === undefined || text.trim() === '') return fallbackMs;
  const t = text.trim();
  if (/^\d+$/.test(t)) return Number(t) * 1000;
  const unit: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  let total = 0;
  let rest = t;
  const re = /^(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/;
  while (rest) {
    const m = re.exec(rest);
    if (!m) return fallbackMs;
    total += Number(m[1]) * unit[m[2]!]!;
    rest = rest.slice(m[0].length);
  }
  return total;
}

/** go-units RAMInBytes: binary multiples whatever the suffix ("128m", "128Mi", "1g", "512MB"). */
export function ramInBytes(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)\s*([kmgtp]?)(i?b?)$/i.exec(text.trim());
  if (!m) return undefined;
  const pow = ['', 'k', 'm', 'g', 't', 'p'].indexOf(m[2]!.toLowerCase());
  return Math.round(Number(m[1]) * 1024 ** pow);
}

/** Swarm takes CPU as integer nano-CPUs; anything else is ignored, as faas-swarm does. */
export function nanoCpus(text: string): number | undefined {
  return /^\d+$/.test(text.trim()) ? Number(text.trim()) : undefined;
}
