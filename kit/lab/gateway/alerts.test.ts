import { describe, expect, it } from 'vitest';
import { calculateReplicas } from './alerts.ts';
import { createGateway } from './gateway.ts';
import { readBody } from './http.ts';
import { localServers } from '../../../test/support/local-servers.ts';

const { servers, listen } = localServers();

interface Fn { name: string; replicas: number; availableReplicas: number; labels: Record<string, string> }

/** faas-swarm as the gateway sees it: /system/function/NAME and /system/scale-function/NAME, with a query. */
async function provider(fns: Fn[], scaleStatus = 202) {
  const seen: string[] = [];
  const port = await listen(async (req, res) => {
    const body = (await readBody(req)).toString();
    seen.push(`${req.method} ${req.url} ${body}`.trim());
    const url = new URL(req.url!, 'http://p');
    const read = /^\/system\/function\/(.+)$/.exec(url.pathname);
    const scale = /^\/system\/scale-function\/(.+)$/.exec(url.pathname);
    const f = fns.find((x) => x.name === (read ?? scale)?.[1]);
    if (read) return f ? res.end(JSON.stringify({ ...f, image: 'r/x:1', invocationCount: 0, envProcess: '', annotations: null })) : res.writeHead(404).end();
    if (scale && scaleStatus === 202) f!.replicas = JSON.parse(body).replicas;
    res.writeHead(scale ? scaleStatus : 404).end();
  });
  return { url: `http://127.0.0.1:${port}/`, seen };
}

const creds = { user: 'admin', password: 'pw-0123456789' };
const basic = `Basic ${Buffer.from('admin:pw-0123456789').toString('base64')}`;

async function gateway(providerUrl: string) {
  const gw = createGateway({ providerUrl, creds, upstreamTimeoutMs: 2000, arch: 'x86_64' });
  return `http://127.0.0.1:${await listen((req, res) => void gw.handle(req, res))}`;
}

/** What Alertmanager's webhook posts: a group of alerts, each with its status and labels. */
const alertBody = (status: string, ...names: string[]) =>
  JSON.stringify({ receiver: 'scale-up', status, alerts: names.map((n) => ({ status, labels: { alertname: 'FunctionQueueing', function_name: n } })) });

const post = (gw: string, body: string, auth = basic) => fetch(`${gw}/system/alert`, { method: 'POST', headers: { Authorization: auth }, body });

describe('stand-in gateway /system/alert (gateway 0.18.18)', () => {
  it('scales up by ceil(max/100*factor) per firing alert, stops at max, and goes back to min when resolved', async () => {
    const hot = { name: 'classify', replicas: 1, availableReplicas: 1, labels: { 'com.openfaas.scale.min': '1', 'com.openfaas.scale.max': '3', 'com.openfaas.scale.factor': '34' } };
    const p = await provider([hot]);
    const gw = await gateway(p.url);
    const r = await post(gw, alertBody('firing', 'classify'));
    expect([r.status, await r.text()]).toEqual([200, '']);
    expect(hot.replicas).toBe(3); // step ceil(3/100*34) = 2
    await post(gw, alertBody('firing', 'classify'));
    expect(hot.replicas).toBe(3);
    await post(gw, alertBody('resolved', 'classify'));
    expect(hot.replicas).toBe(1);
    // As the real gateway asks faas-swarm: a namespace query (empty on Swarm), the name from the URL and the body.
    expect(p.seen).toEqual([
      'GET /system/function/classify?namespace=',
      'POST /system/scale-function/classify?namespace= {"serviceName":"classify","replicas":3}',
      'GET /system/function/classify?namespace=',
      'GET /system/function/classify?namespace=',
      'POST /system/scale-function/classify?namespace= {"serviceName":"classify","replicas":1}',
    ]);
  });

  it('takes min 1, max 20, factor 20 when the labels are missing or not whole numbers', async () => {
    const f = { name: 'plain', replicas: 1, availableReplicas: 1, labels: { 'com.openfaas.scale.max': 'lots' } };
    const gw = await gateway((await provider([f])).url);
    await post(gw, alertBody('firing', 'plain'));
    expect(f.replicas).toBe(5);
    await post(gw, alertBody('firing', 'plain'));
    expect(f.replicas).toBe(9);
    await post(gw, alertBody('resolved', 'plain'));
    expect(f.replicas).toBe(1);
  });

  it('with factor 0 a firing alert sets min, as CalculateReplicas does', async () => {
    const f = { name: 'off', replicas: 4, availableReplicas: 4, labels: { 'com.openfaas.scale.min': '2', 'com.openfaas.scale.factor': '0' } };
    const gw = await gateway((await provider([f])).url);
    await post(gw, alertBody('firing', 'off'));
    expect(f.replicas).toBe(2);
    expect(calculateReplicas('firing', 1, 20, 1, 0)).toBe(1);
    expect(calculateReplicas('firing', 4, 20, 1, 20)).toBe(8);
    expect(calculateReplicas('firing', 19, 20, 1, 20)).toBe(20);
  });

  it('splits NAME.NAMESPACE at the last dot and asks for that namespace', async () => {
    const p = await provider([{ name: 'classify', replicas: 1, availableReplicas: 1, labels: {} }]);
    const gw = await gateway(p.url);
    await post(gw, alertBody('firing', 'classify.openfaas-fn'));
    expect(p.seen[0]).toBe('GET /system/function/classify?namespace=openfaas-fn');
  });

  it('skips a function the provider does not know and answers 200', async () => {
    const p = await provider([]);
    const gw = await gateway(p.url);
    const r = await post(gw, alertBody('firing', 'ghost'));
    expect(r.status).toBe(200);
    expect(p.seen).toEqual(['GET /system/function/ghost?namespace=']);
  });

  it('answers 500 naming the scale call when the provider refuses it', async () => {
    const p = await provider([{ name: 'classify', replicas: 1, availableReplicas: 1, labels: {} }], 500);
    const gw = await gateway(p.url);
    const r = await post(gw, alertBody('firing', 'classify'));
    expect([r.status, await r.text()]).toEqual([500, `[0] error scaling HTTP code 500, ${p.url}system/scale-function/classify?namespace=\n`]);
  });

  it('refuses a body that is not an alert with 400, and a caller without credentials with 401', async () => {
    const p = await provider([]);
    const gw = await gateway(p.url);
    const bad = await post(gw, '{"alerts": "nope"}');
    expect([bad.status, await bad.text()]).toEqual([400, 'Unable to parse alert, bad format.']);
    expect((await post(gw, 'not json')).status).toBe(400);
    expect((await post(gw, alertBody('firing', 'x'), 'Basic bm9wZTpub3Bl')).status).toBe(401);
    expect((await fetch(`${gw}/system/alert`, { headers: { Authorization: basic } })).status).toBe(405);
    expect(p.seen).toEqual([]);
  });
});
