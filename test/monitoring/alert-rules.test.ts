import { execFile } from 'node:child_process';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { ensureMonitoringImages } from '../../kit/lab/gateway/monitoring/image.ts';

/**
 * The stack's scaling rules, run by the real Prometheus rule engine (Debian's promtool, in the lab's
 * Prometheus image): the alert the gateway scales on must follow queueing, not traffic.
 */
const PROMETHEUS_DIR = resolve(import.meta.dirname, '../../swarm/prometheus');
let dir: string;
let images: { prometheus: string; alertmanager: string };

function inImage(image: string, entrypoint: string, args: string[]): Promise<{ code: number; out: string }> {
  return new Promise((done) =>
    execFile('docker', ['run', '--rm', '-v', `${dir}:/p:ro`, '-w', '/p', '--entrypoint', entrypoint, image, ...args], { timeout: 120_000 }, (err, stdout, stderr) =>
      done({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, out: stdout + stderr }),
    ),
  );
}

beforeAll(async () => {
  images = await ensureMonitoringImages();
  dir = await mkdtemp(join(tmpdir(), 'edgefaas-rules-'));
  await cp(PROMETHEUS_DIR, dir, { recursive: true });
}, 900_000);
afterAll(() => (dir ? rm(dir, { recursive: true, force: true }) : undefined));

/** One function's replica gauges, 5 s apart (promtool's expanding notation: '3x24' = 25 samples of 3). */
const replica = (fn: string, ip: string, queue: string, busy: string, workers: string) => [
  { series: `edgefaas_queue_depth{function_name="${fn}",instance="${ip}:8080"}`, values: queue },
  { series: `edgefaas_workers_busy{function_name="${fn}",instance="${ip}:8080"}`, values: busy },
  { series: `edgefaas_workers{function_name="${fn}",instance="${ip}:8080"}`, values: workers },
];

const firing = (fn: string) => ({
  exp_labels: { function_name: fn, service: 'gateway', severity: 'major' },
  exp_annotations: { description: `Requests to ${fn} wait for a free worker`, summary: `${fn} is queueing: scale up` },
});

async function promtoolTest(name: string, test: object): Promise<{ code: number; out: string }> {
  await writeFile(join(dir, `${name}.yml`), stringify({ rule_files: ['alert.rules.yml'], evaluation_interval: '5s', tests: [{ interval: '5s', ...test }] }));
  return inImage(images.prometheus, 'promtool', ['test', 'rules', `${name}.yml`]);
}

describe('the scaling alert (swarm/prometheus/alert.rules.yml)', () => {
  it('is valid for Prometheus and Alertmanager, and scrapes each function replica through tasks.NAME', async () => {
    const prom = await inImage(images.prometheus, 'promtool', ['check', 'config', 'prometheus.yml']);
    expect(prom.out).toContain('SUCCESS: 1 rules found');
    expect(prom.code, prom.out).toBe(0);
    const am = await inImage(images.alertmanager, 'amtool', ['check-config', 'alertmanager.yml']);
    expect(am.code, am.out).toBe(0);
    const config = parse(await readFile(join(dir, 'prometheus.yml'), 'utf8'));
    const functions = config.scrape_configs.find((j: { job_name: string }) => j.job_name === 'functions');
    expect(functions.dns_sd_configs[0]).toMatchObject({ names: ['tasks.classify', 'tasks.catdog'], type: 'A', port: 8080 });
    expect(functions.relabel_configs[0]).toMatchObject({ source_labels: ['__meta_dns_name'], target_label: 'function_name' });
  });

  it('fires on sustained queueing, stays firing while the added replicas are busy, resolves when idle', async () => {
    // classify: queueing 2 minutes, then (scaled up) busy without a queue for 2 minutes, then idle.
    const r = await promtoolTest('sustained', {
      input_series: [
        ...replica('classify', '10.0.1.5', '0x12 3x24 0x24 0x24', '1x12 2x24 2x24 0x24', '2x86'),
        ...replica('classify', '10.0.1.7', '0x12 2x24 0x24 0x24', '1x12 2x24 2x24 0x24', '2x86'),
      ],
      alert_rule_test: [
        { eval_time: '50s', alertname: 'FunctionQueueing', exp_alerts: [] },
        { eval_time: '2m', alertname: 'FunctionQueueing', exp_alerts: [firing('classify')] },
        { eval_time: '4m', alertname: 'FunctionQueueing', exp_alerts: [firing('classify')] },
        { eval_time: '6m30s', alertname: 'FunctionQueueing', exp_alerts: [] },
      ],
    });
    expect(r.code, r.out).toBe(0);
  });

  it('does not fire on a short burst, or on steady traffic that never waits for a worker', async () => {
    const r = await promtoolTest('quiet', {
      input_series: [
        ...replica('catdog', '10.0.1.6', '0x12 6 4 0x60', '1x12 2 2 1x60', '2x74'),
        // Many requests per second, every one served at once: busy, never queued.
        ...replica('classify', '10.0.1.8', '0x74', '2x74', '2x74'),
        { series: 'gateway_function_invocation_total{function_name="classify",code="200"}', values: '0+60x74' },
      ],
      alert_rule_test: [
        { eval_time: '1m', alertname: 'FunctionQueueing', exp_alerts: [] },
        { eval_time: '5m', alertname: 'FunctionQueueing', exp_alerts: [] },
      ],
    });
    expect(r.code, r.out).toBe(0);
  });
});
