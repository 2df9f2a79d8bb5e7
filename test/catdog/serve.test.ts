/**
 * The catdog function as users meet it: MODEL=catdog, a real process, the committed head on the
 * real ResNet50, the 200 held-out photos of dogs-vs-cats over HTTP. One server for the file.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DOGS_VS_CATS, photo, startFunctionProcess, waitReady, type FunctionProcess } from '../function/support.ts';

interface Prediction {
  label: string;
  class: number;
  score: number;
}
interface Answer {
  model: string;
  predictions: Prediction[];
  imagenet_top1?: Prediction;
}

let fn: FunctionProcess;
/** 200 answers this file has had, to check /metrics against. */
let answered200 = 0;

async function post(body: BodyInit | Buffer, query = '', headers: Record<string, string> = {}): Promise<Response> {
  const res = await fetch(`${fn.url}/${query}`, { method: 'POST', body: body as BodyInit, headers });
  if (res.status === 200) answered200++;
  return res;
}

async function classify(bytes: Buffer, query = ''): Promise<Answer> {
  const res = await post(bytes, query);
  expect(res.status, await res.clone().text()).toBe(200);
  return (await res.json()) as Answer;
}

const validPhotos = ['cat', 'dog'].flatMap((label) => readdirSync(join(DOGS_VS_CATS, 'valid', label)).map((name) => ({ label, file: join(DOGS_VS_CATS, 'valid', label, name) })));
const aCat = readFileSync(validPhotos.find((p) => p.label === 'cat')!.file);

beforeAll(async () => {
  fn = await startFunctionProcess({ MODEL: 'catdog' });
  await waitReady(fn.url, 300_000);
});

afterAll(async () => {
  await fn?.stop();
});

describe('MODEL=catdog', () => {
  it('classifies at least 95% of the 200 held-out photos right, over HTTP', async () => {
    expect(validPhotos).toHaveLength(200);
    const wrong: string[] = [];
    for (const p of validPhotos) {
      const a = await classify(readFileSync(p.file));
      if (a.predictions[0]!.label !== p.label) wrong.push(`${p.label}/${p.file.split('/').pop()} said ${a.predictions[0]!.label}`);
    }
    const accuracy = (validPhotos.length - wrong.length) / validPhotos.length;
    expect(accuracy, `wrong: ${wrong.join(', ')}`).toBeGreaterThanOrEqual(0.95);
  }, 900_000);

  it('answers cat and dog scores that sum to 1, best first, with what ImageNet itself sees', async () => {
    const a = await classify(aCat);
    expect(a.model).toBe('catdog');
    expect(a.predictions.map((p) => p.label)).toEqual(['cat', 'dog']);
    expect(a.predictions[0]!.score).toBeGreaterThan(0.5);
    expect(a.predictions[0]!.score + a.predictions[1]!.score).toBeCloseTo(1, 2);
    expect(a.imagenet_top1).toEqual({ label: expect.any(String), class: expect.any(Number), score: expect.any(Number) });
  });

  it('a photo with no cat or dog still gets an answer, and imagenet_top1 shows why (the same top class the resnet50 answer gives)', async () => {
    const kites = readFileSync(photo('kite.jpg'));
    const a = await classify(kites);
    expect(a.predictions.map((p) => p.label).sort()).toEqual(['cat', 'dog']);
    const imagenet = await classify(kites, '?model=resnet50');
    expect(['parachute', 'seashore']).toContain(a.imagenet_top1!.label);
    expect(a.imagenet_top1).toEqual(imagenet.predictions[0]);
  });

  it('the same process answers ResNet50 with ?model=resnet50 (one base, two models), and refuses an unknown model', async () => {
    const info = (await (await fetch(`${fn.url}/_/info`)).json()) as { model: string; models: string[] };
    expect(info.model).toBe('catdog');
    expect(info.models.sort()).toEqual(['catdog', 'resnet50']);
    const dog = await classify(readFileSync(photo('dog.jpg')), '?model=resnet50');
    expect(dog.model).toBe('resnet50');
    expect(dog.predictions[0]!.label).toBe('malamute');
    expect(dog.imagenet_top1).toBeUndefined();
    const res = await post(aCat, '?model=vgg16');
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ error: 'model=vgg16 is not served here; choose one of resnet50, catdog' });
  });

  it('answers "label score" lines to Accept: text/plain', async () => {
    const res = await post(aCat, '', { Accept: 'text/plain' });
    expect(await res.text()).toMatch(/^cat 0\.\d{3}\ndog 0\.\d{3}\n$/);
  });

  it('serves the upload page, health and metrics (counting every answer) as the resnet50 function does', async () => {
    const page = await fetch(`${fn.url}/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('Model <b>catdog</b>');
    expect((await fetch(`${fn.url}/_/health`)).status).toBe(200);
    const metrics = await (await fetch(`${fn.url}/metrics`)).text();
    expect(metrics).toMatch(/^classifier_backend_info\{backend="(onnxruntime|wasm|tensorflow)",simd="(true|false)",model="catdog",workers="1"\} 1$/m);
    expect(Number(/^classifier_requests_total\{status="200"\} (\d+)$/m.exec(metrics)?.[1] ?? 0)).toBe(answered200);
  });
});

describe('the upload page with MODEL=catdog', () => {
  it('shows cat and dog as bars, and what ImageNet itself sees in the photo', async () => {
    const browser = await chromium.launch({
      executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
    try {
      const page = await browser.newPage();
      await page.goto(`${fn.url}/`);
      await expect(page.title()).resolves.toContain('catdog');
      await page.setInputFiles('#file', photo('kite.jpg'));
      await page.locator('.prediction').first().waitFor({ timeout: 30_000 });
      expect((await page.locator('.prediction .label').allTextContents()).sort()).toEqual(['cat', 'dog']);
      expect(await page.locator('#status').textContent()).toMatch(/^kite\.jpg: \d+ ms, ImageNet sees (parachute|seashore) \(\d+%\)$/);
    } finally {
      await browser.close();
    }
  });
});

describe('bad input to catdog: a 4xx JSON error, and the next request is served', () => {
  const cases: Array<[string, Buffer | string, Record<string, string>, number, RegExp]> = [
    ['empty body', Buffer.alloc(0), {}, 400, /empty body/],
    ['text', 'a cat, honestly', { 'Content-Type': 'text/plain' }, 415, /not an image/],
    ['truncated JPEG', aCat.subarray(0, Math.floor(aCat.length / 3)), {}, 400, /truncated or corrupt/],
    ['non-image binary', readFileSync(process.execPath).subarray(0, 100_000), {}, 415, /not an image/],
    ['bad multipart', '--xyz\r\nContent-Disposition: form-data; name="image"; filename="a.jpg"\r\n\r\nabc', { 'Content-Type': 'multipart/form-data; boundary=xyz' }, 400, /bad multipart/],
    ['JSON without img', '{"image": "abc"}', { 'Content-Type': 'application/json' }, 400, /no "img"/],
    ['broken JSON', '{"img": ', { 'Content-Type': 'application/json' }, 400, /not valid JSON/],
    ['base64 of text', JSON.stringify({ img: Buffer.from('hello').toString('base64') }), { 'Content-Type': 'application/json' }, 415, /not an image/],
  ];
  for (const [name, body, headers, status, message] of cases) {
    it(`${name} -> ${status}`, async () => {
      const res = await post(body, '', headers);
      expect(res.status).toBe(status);
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      expect((await res.json()) as { error: string }).toEqual({ error: expect.stringMatching(message) });
      expect((await classify(aCat)).predictions[0]!.label).toBe('cat');
    });
  }
});
