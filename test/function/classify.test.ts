/**
 * The classifier as users meet it: a real process, the real ResNet50, real photos, over HTTP.
 * One server for the whole file (loading the model is the slow part).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeRgb } from '../../function/src/preprocess.ts';
import { photo, startFunctionProcess, waitReady, type FunctionProcess } from './support.ts';

interface Answer {
  model: string;
  predictions: Array<{ label: string; class: number; score: number }>;
  timings_ms: { decode: number; queue: number; infer: number };
}

let fn: FunctionProcess;
let earlyPost: { status: number; retryAfter: string | null; body: unknown };
/** Every POST this file sends, by status, to check /metrics against. */
const sent = new Map<number, number>();

async function post(body: BodyInit | Buffer, init: { headers?: Record<string, string>; query?: string } = {}): Promise<Response> {
  const res = await fetch(`${fn.url}/${init.query ?? ''}`, { method: 'POST', body: body as BodyInit, headers: init.headers });
  sent.set(res.status, (sent.get(res.status) ?? 0) + 1);
  return res;
}

async function classify(bytes: Buffer, query = ''): Promise<Answer> {
  const res = await post(bytes, { query });
  expect(res.status, await res.clone().text()).toBe(200);
  return (await res.json()) as Answer;
}

const dogJpg = readFileSync(photo('dog.jpg'));
const isDog = (c: number) => c >= 151 && c <= 268;

beforeAll(async () => {
  fn = await startFunctionProcess({ max_inflight: '2' });
  const res = await post(dogJpg);
  earlyPost = { status: res.status, retryAfter: res.headers.get('retry-after'), body: await res.json() };
  await waitReady(fn.url);
});

afterAll(async () => {
  await fn?.stop();
});

describe('start-up', () => {
  it('answers health 503 until the model is loaded, then 200', async () => {
    expect(fn.firstHealth).toBe(503);
    expect((await fetch(`${fn.url}/_/health`)).status).toBe(200);
  });

  it('refuses to classify before the model is loaded, saying to retry', () => {
    expect(earlyPost.status).toBe(503);
    expect(earlyPost.retryAfter).toBe('2');
    expect(earlyPost.body).toEqual({ error: expect.stringContaining('still loading') });
  });

  it('logs and shows its backend and workers', async () => {
    const info = (await (await fetch(`${fn.url}/_/info`)).json()) as Record<string, unknown>;
    expect(info).toMatchObject({ model: 'resnet50', ready: true, workers: 1, backend: expect.stringMatching(/^(onnxruntime|tensorflow|wasm)$/) });
    expect(fn.output()).toMatch(/ready, backend (onnxruntime|tensorflow|wasm)( \(SIMD\))?, 1 worker/);
  });
});

describe('answers of Keras ResNet50 on real photos', () => {
  it("dog.jpg: a dog breed, malamute first (Keras' own answer with exact preprocessing)", async () => {
    const a = await classify(dogJpg);
    expect(a.model).toBe('resnet50');
    expect(isDog(a.predictions[0]!.class)).toBe(true);
    expect(a.predictions.map((p) => p.label)).toEqual(['malamute', 'Eskimo_dog', 'Siberian_husky']);
    expect(a.predictions[0]!.score).toBeCloseTo(0.422, 2);
    expect(a.timings_ms.infer).toBeGreaterThan(0);
  });

  it("stamps answers with of-watchdog's X-Duration-Seconds", async () => {
    const res = await post(dogJpg);
    await res.arrayBuffer();
    const seconds = Number(res.headers.get('x-duration-seconds'));
    expect(res.headers.get('x-duration-seconds')).toMatch(/^\d+\.\d{6}$/);
    expect(seconds).toBeGreaterThan(0.01);
    expect(seconds).toBeLessThan(60);
  });

  it('eagle.jpg: a bird of prey', async () => {
    const a = await classify(readFileSync(photo('eagle.jpg')));
    expect(['kite', 'bald_eagle', 'vulture', 'great_grey_owl']).toContain(a.predictions[0]!.label);
  });

  it('giraffe.jpg: ImageNet has no giraffe class; the zebra beside it is in the top 3', async () => {
    const labels = JSON.parse(readFileSync(`${process.env.MODEL_DIR ?? `${process.env.HOME}/.cache/edgefaas/models/resnet50`}/labels.json`, 'utf8')) as Record<string, string>;
    expect(Object.values(labels)).not.toContain('giraffe');
    const a = await classify(readFileSync(photo('giraffe.jpg')));
    expect(a.predictions.map((p) => p.label)).toContain('zebra');
  });

  it('horses.jpg: a hoofed mammal (ImageNet classes 339-355; its only horse is sorrel)', async () => {
    const a = await classify(readFileSync(photo('horses.jpg')));
    expect(a.predictions[0]!.class).toBeGreaterThanOrEqual(339);
    expect(a.predictions[0]!.class).toBeLessThanOrEqual(355);
  });

  it('person.jpg (a woman, her dog and a horse): the horse as a hoofed mammal, the dog in the top 3', async () => {
    const a = await classify(readFileSync(photo('person.jpg')));
    expect(a.predictions[0]!.class).toBeGreaterThanOrEqual(339);
    expect(a.predictions[0]!.class).toBeLessThanOrEqual(355);
    expect(a.predictions.some((p) => isDog(p.class))).toBe(true);
  });

  it('kite.jpg (kites over a beach): parachute and seashore', async () => {
    const a = await classify(readFileSync(photo('kite.jpg')));
    expect(a.predictions.slice(0, 2).map((p) => p.label).sort()).toEqual(['parachute', 'seashore']);
  });
});

describe('inputs', () => {
  it('raw body, multipart and JSON base64 give identical answers', async () => {
    const raw = await classify(dogJpg, '?top=5');
    const form = new FormData();
    form.append('note', 'not the image');
    form.append('image', new Blob([dogJpg], { type: 'image/jpeg' }), 'dog.jpg');
    const viaForm = await post(form, { query: '?top=5' });
    const viaJson = await post(JSON.stringify({ img: dogJpg.toString('base64') }), { query: '?top=5', headers: { 'Content-Type': 'application/json' } });
    expect(viaForm.status).toBe(200);
    expect(viaJson.status).toBe(200);
    const f = (await viaForm.json()) as Answer;
    const j = (await viaJson.json()) as Answer;
    expect(raw.predictions).toHaveLength(5);
    expect(f.predictions).toEqual(raw.predictions);
    expect(j.predictions).toEqual(raw.predictions);
  });

  it('reads a chunked body, as the gateway forwards it', async () => {
    const parts = [dogJpg.subarray(0, 50_000), dogJpg.subarray(50_000)];
    const body = new ReadableStream({
      pull(controller) {
        const next = parts.shift();
        if (next) controller.enqueue(new Uint8Array(next));
        else controller.close();
      },
    });
    const res = await fetch(`${fn.url}/`, { method: 'POST', body, duplex: 'half' } as RequestInit);
    sent.set(res.status, (sent.get(res.status) ?? 0) + 1);
    expect(res.status).toBe(200);
    expect(((await res.json()) as Answer).predictions[0]!.label).toBe('malamute');
  });

  it('reads a JSON body sent without a JSON content type (curl -d)', async () => {
    const res = await post(JSON.stringify({ img: dogJpg.toString('base64') }), { headers: { 'Content-Type': 'application/x-www-form-urlencoded' } });
    expect(res.status).toBe(200);
    expect(((await res.json()) as Answer).predictions[0]!.label).toBe('malamute');
  });

  it('multipart without an "image" field takes the first file', async () => {
    const form = new FormData();
    form.append('photo', new Blob([dogJpg]), 'dog.jpg');
    const res = await post(form);
    expect(res.status).toBe(200);
    expect(((await res.json()) as Answer).predictions[0]!.label).toBe('malamute');
  });

  it('PNG and lossless WebP of the same pixels answer as the JPEG does', async () => {
    const { data, width, height } = await decodeRgb(dogJpg);
    const raw = { raw: { width, height, channels: 3 as const } };
    const jpeg = await classify(dogJpg);
    for (const bytes of [await sharp(data, raw).png().toBuffer(), await sharp(data, raw).webp({ lossless: true }).toBuffer()]) {
      expect((await classify(bytes)).predictions).toEqual(jpeg.predictions);
    }
  });

  it('an animated GIF is classified by its first frame', async () => {
    const gif = execFileSync('/usr/bin/python3', [
      '-c',
      'import sys, io\nfrom PIL import Image\nf=[Image.open(p).convert("RGB") for p in sys.argv[1:]]\nb=io.BytesIO()\nf[0].save(b, "GIF", save_all=True, append_images=f[1:], duration=500)\nsys.stdout.buffer.write(b.getvalue())',
      photo('dog.jpg'),
      photo('eagle.jpg'),
    ]);
    expect((await sharp(gif).metadata()).pages).toBe(2);
    const a = await classify(gif);
    expect(isDog(a.predictions[0]!.class)).toBe(true);
  });

  it('answers lines of "label score" to Accept: text/plain', async () => {
    const res = await post(dogJpg, { headers: { Accept: 'text/plain' } });
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(await res.text()).toBe('malamute 0.422\nEskimo_dog 0.210\nSiberian_husky 0.084\n');
  });

  it('?top=N gives N answers, at most 20', async () => {
    expect((await classify(dogJpg, '?top=20')).predictions).toHaveLength(20);
    const res = await post(dogJpg, { query: '?top=21' });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ error: 'top=21 is not a whole number from 1 to 20' });
  });
});

/** Sends a body in 1 MB chunks without Content-Length; returns the status and how much was sent by then. */
function streamHuge(url: string, totalBytes: number, declareLength = false): Promise<{ status: number; body: string; sentWhenAnswered: number }> {
  return new Promise((resolve, reject) => {
    const chunk = Buffer.alloc(1 << 20, 0xab);
    let written = 0;
    let answered = false;
    const headers: Record<string, string> = { 'Content-Type': 'application/octet-stream' };
    if (declareLength) headers['Content-Length'] = String(totalBytes);
    const req = httpRequest(url, { method: 'POST', headers }, (res) => {
      answered = true;
      const sentWhenAnswered = written;
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode!, body, sentWhenAnswered }));
      res.on('error', reject);
    });
    req.on('error', (err) => (answered ? undefined : reject(err)));
    const pump = () => {
      while (!answered && written < totalBytes) {
        written += chunk.length;
        if (!req.write(chunk)) return void req.once('drain', pump);
      }
      if (!answered) req.end();
    };
    pump();
  });
}

describe('bad input: a 4xx JSON error, and the next request is served', () => {
  const bombPng = () => sharp({ create: { width: 7000, height: 7000, channels: 3, background: '#fff' } }).png({ compressionLevel: 9 }).toBuffer();
  const cases: Array<[string, () => Promise<{ body: Buffer | string; headers?: Record<string, string> }>, number, RegExp]> = [
    ['empty body', async () => ({ body: Buffer.alloc(0) }), 400, /empty body/],
    ['text', async () => ({ body: 'a cat, honestly', headers: { 'Content-Type': 'text/plain' } }), 415, /not an image/],
    ['truncated JPEG', async () => ({ body: dogJpg.subarray(0, 30_000) }), 400, /truncated or corrupt/],
    ['non-image binary (the node executable)', async () => ({ body: readFileSync(process.execPath).subarray(0, 200_000) }), 415, /not an image/],
    ['decompression bomb (49 MP PNG of 150 kB)', async () => ({ body: await bombPng() }), 413, /7000x7000 pixels.*over the limit/],
    ['bad multipart', async () => ({ body: '--xyz\r\nContent-Disposition: form-data; name="image"; filename="a.jpg"\r\n\r\nabc', headers: { 'Content-Type': 'multipart/form-data; boundary=xyz' } }), 400, /bad multipart/],
    ['multipart without boundary', async () => ({ body: 'abc', headers: { 'Content-Type': 'multipart/form-data' } }), 400, /bad multipart/],
    ['multipart without a file', async () => ({ body: '--xyz\r\nContent-Disposition: form-data; name="note"\r\n\r\nhi\r\n--xyz--\r\n', headers: { 'Content-Type': 'multipart/form-data; boundary=xyz' } }), 400, /no file/],
    ['bad base64', async () => ({ body: '{"img": "not base64 at all!"}', headers: { 'Content-Type': 'application/json' } }), 400, /not valid base64/],
    ['JSON without img', async () => ({ body: '{"image": "abc"}', headers: { 'Content-Type': 'application/json' } }), 400, /no "img"/],
    ['broken JSON', async () => ({ body: '{"img": ', headers: { 'Content-Type': 'application/json' } }), 400, /not valid JSON/],
    ['base64 of text', async () => ({ body: JSON.stringify({ img: Buffer.from('hello').toString('base64') }), headers: { 'Content-Type': 'application/json' } }), 415, /not an image/],
  ];

  for (const [name, make, status, message] of cases) {
    it(`${name} -> ${status}`, async () => {
      const { body, headers } = await make();
      const res = await post(body, { headers });
      expect(res.status).toBe(status);
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      expect((await res.json()) as { error: string }).toEqual({ error: expect.stringMatching(message) });
      expect((await classify(dogJpg)).predictions[0]!.label).toBe('malamute');
    });
  }

  for (const declared of [false, true]) {
    it(`a body over the limit (${declared ? 'Content-Length' : 'chunked'}) is refused while it is still streaming`, async () => {
      const total = 256 << 20;
      const r = await streamHuge(`${fn.url}/`, total, declared);
      sent.set(413, (sent.get(413) ?? 0) + 1);
      expect(r.status).toBe(413);
      expect(JSON.parse(r.body)).toEqual({ error: 'request body is over the limit of 10485760 bytes (MAX_BODY_BYTES); send a smaller image' });
      expect(r.sentWhenAnswered).toBeLessThan(total / 4);
      expect((await classify(dogJpg)).predictions[0]!.label).toBe('malamute');
    });
  }

  it('a body announced over the limit with Expect: 100-continue is refused before it is sent', async () => {
    const r = await new Promise<{ status: number; body: string; sentBody: boolean }>((resolve, reject) => {
      let sentBody = false;
      const req = httpRequest(`${fn.url}/`, { method: 'POST', headers: { 'Content-Length': String(50 << 20), Expect: '100-continue' } }, (res) => {
        let body = '';
        res.on('data', (d) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode!, body, sentBody }));
      });
      req.on('continue', () => {
        sentBody = true;
        req.end(Buffer.alloc(50 << 20));
      });
      req.on('error', reject);
      req.flushHeaders();
    });
    sent.set(413, (sent.get(413) ?? 0) + 1);
    expect(r).toMatchObject({ status: 413, sentBody: false });
    expect(JSON.parse(r.body).error).toContain('over the limit');
  });
});

describe('overload and metrics', () => {
  it('answers 429 with Retry-After past max_inflight, and serves the rest', async () => {
    const answers = await Promise.all(Array.from({ length: 6 }, () => post(dogJpg)));
    const statuses = answers.map((r) => r.status).sort();
    expect(statuses.filter((s) => s === 200).length).toBeGreaterThanOrEqual(2);
    const refused = answers.filter((r) => r.status === 429);
    expect(refused.length).toBeGreaterThanOrEqual(1);
    expect(Number(refused[0]!.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(await refused[0]!.json()).toEqual({ error: 'Concurrent request limit exceeded. Max concurrent requests: 2' });
    await Promise.all(answers.map((r) => (r.bodyUsed ? undefined : r.arrayBuffer())));
  });

  it('/metrics counts what was sent, by status', async () => {
    const text = await (await fetch(`${fn.url}/metrics`)).text();
    const counted = new Map<number, number>();
    for (const m of text.matchAll(/^classifier_requests_total\{status="(\d+)"\} (\d+)$/gm)) counted.set(Number(m[1]), Number(m[2]));
    expect(Object.fromEntries(counted)).toEqual(Object.fromEntries(sent));
    const inferences = Number(/^classifier_inference_duration_seconds_count (\d+)$/m.exec(text)?.[1]);
    expect(inferences).toBe(sent.get(200));
    expect(text).toMatch(/^classifier_inflight_requests 0$/m);
    expect(Number(/^classifier_model_load_seconds ([\d.]+)$/m.exec(text)?.[1])).toBeGreaterThan(0);
    expect(text).toMatch(/^classifier_backend_info\{backend="(onnxruntime|wasm|tensorflow)",simd="(true|false)",model="resnet50",workers="1"\} 1$/m);
    // Timed: every request let in (not those refused at the door: 429, the 503 while loading, and the 413 before 100-continue).
    const timed = [...sent.values()].reduce((a, b) => a + b) - (sent.get(429) ?? 0) - (sent.get(503) ?? 0) - 1;
    expect(Number(/^classifier_request_duration_seconds_count (\d+)$/m.exec(text)?.[1])).toBe(timed);
  });
});
