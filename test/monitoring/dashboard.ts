import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';

export const DASHBOARD_FILE = resolve(import.meta.dirname, '../../swarm/grafana-dashboard.json');

export interface DashboardQuery {
  panel: string;
  refId: string;
  /** As Grafana sends it to Prometheus: its interval macros replaced. */
  expr: string;
}

/** Every query of every panel, with $__rate_interval/$__interval as Grafana fills them for a short range. */
export async function dashboardQueries(): Promise<DashboardQuery[]> {
  const d = JSON.parse(await readFile(DASHBOARD_FILE, 'utf8')) as { panels: Array<{ title: string; targets: Array<{ refId: string; expr: string }> }> };
  return d.panels.flatMap((p) =>
    p.targets.map((t) => ({ panel: p.title, refId: t.refId, expr: t.expr.replaceAll('$__rate_interval', '1m').replaceAll('$__interval', '15s') })),
  );
}

/** GET /api/v1/query on a real Prometheus: the error it reports, or how many series came back. */
export async function instantQuery(prometheus: string, expr: string): Promise<{ status: string; error?: string; series: number }> {
  const res = await fetch(`${prometheus}/api/v1/query?query=${encodeURIComponent(expr)}`, { signal: AbortSignal.timeout(30_000) });
  const body = (await res.json()) as { status: string; error?: string; data?: { result: unknown[] } };
  return { status: body.status, error: body.error, series: body.data?.result.length ?? 0 };
}
