import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureMonitoringImages } from '../../kit/lab/gateway/monitoring/image.ts';
import { DASHBOARD_FILE, dashboardQueries, instantQuery } from './dashboard.ts';

/**
 * swarm/grafana-dashboard.json as Grafana imports it, every query sent to a real Prometheus (the
 * lab's, Debian's package) with an empty store: a query Prometheus refuses fails here. That the
 * queries find data on a running cluster is checked on the lab (test/scaling/cluster.test.ts).
 */
const run = promisify(execFile);
let container = '';
let prometheus = '';

beforeAll(async () => {
  const { prometheus: image } = await ensureMonitoringImages();
  container = (await run('docker', ['run', '-d', '--rm', '--label', 'edgefaas.test=dashboard', image])).stdout.trim();
  const ip = (await run('docker', ['inspect', container, '--format', '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}'])).stdout.trim();
  prometheus = `http://${ip}:9090`;
  for (let i = 0; i < 120; i++) {
    if (await fetch(`${prometheus}/-/ready`).then((r) => r.ok, () => false)) return;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`prometheus in ${container} did not get ready`);
}, 900_000);
afterAll(async () => {
  if (container) await run('docker', ['rm', '-f', container]).catch(() => {});
});

describe('the Grafana dashboard (swarm/grafana-dashboard.json)', () => {
  it('imports as is: a datasource input, and the six panels the seeds watched', async () => {
    const d = JSON.parse(await readFile(DASHBOARD_FILE, 'utf8'));
    expect(d.__inputs).toEqual([expect.objectContaining({ name: 'DS_PROMETHEUS', type: 'datasource', pluginId: 'prometheus' })]);
    expect(d.panels.map((p: { title: string }) => p.title)).toEqual(['Invocations', 'Replicas', 'Duration p50 / p99', 'Request rate', 'Queue depth', 'RSS per replica']);
    for (const p of d.panels) {
      expect(p.datasource).toEqual({ type: 'prometheus', uid: '${DS_PROMETHEUS}' });
      expect(p.targets.length).toBeGreaterThan(0);
    }
    expect(typeof d.uid).toBe('string');
    expect(d.id).toBeUndefined();
  });

  it('every query is one Prometheus accepts', async () => {
    const queries = await dashboardQueries();
    expect(queries.length).toBeGreaterThanOrEqual(6);
    const answers = await Promise.all(queries.map(async (q) => ({ ...q, ...(await instantQuery(prometheus, q.expr)) })));
    expect(answers.filter((a) => a.status !== 'success').map((a) => `${a.panel} ${a.refId}: ${a.error}`)).toEqual([]);
  });
});
