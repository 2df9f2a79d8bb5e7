/** The upload page in a real headless Chromium, against the real function and model. */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { photo, REPO, startFunctionProcess, waitReady, type FunctionProcess } from './support.ts';

/** Screenshots kept for a person to look at (gitignored). */
const ARTIFACTS = join(REPO, 'test-artifacts');

/** Pairs of visible page parts whose boxes intersect (1 px of anti-aliasing allowed). */
async function overlaps(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const parts = [
      ...['h1', 'body > p:first-of-type', '#drop', '#preview', '#status', '#error', '#results'].map((sel) => [sel, document.querySelector(sel)] as const),
      ...[...document.querySelectorAll('.prediction > *')].map((el, i) => [`.prediction part ${i}`, el] as const),
    ];
    const boxes = parts
      .map(([name, el]) => ({ name, r: el!.getBoundingClientRect() }))
      .filter(({ r }) => r.width > 0 && r.height > 0);
    const found: string[] = [];
    for (let i = 0; i < boxes.length; i++) {
      for (let j = i + 1; j < boxes.length; j++) {
        const [a, b] = [boxes[i]!, boxes[j]!];
        // #results holds the prediction rows: containment is layout, not overlap.
        if (a.name === '#results' && b.name.startsWith('.prediction')) continue;
        const x = Math.min(a.r.right, b.r.right) - Math.max(a.r.left, b.r.left);
        const y = Math.min(a.r.bottom, b.r.bottom) - Math.max(a.r.top, b.r.top);
        if (x > 1 && y > 1) found.push(`${a.name} overlaps ${b.name} (${x.toFixed(0)}x${y.toFixed(0)} px)`);
      }
    }
    return found;
  });
}

let fn: FunctionProcess;
let browser: Browser;

beforeAll(async () => {
  fn = await startFunctionProcess();
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  await waitReady(fn.url);
});

afterAll(async () => {
  await browser?.close();
  await fn?.stop();
});

it('shows the top classes as bars for a chosen photo', async () => {
  const page = await browser.newPage();
  await page.goto(`${fn.url}/`);
  await expect(page.title()).resolves.toContain('resnet50');
  await page.setInputFiles('#file', photo('dog.jpg'));
  await page.locator('.prediction').first().waitFor({ timeout: 30_000 });
  const labels = await page.locator('.prediction .label').allTextContents();
  expect(labels[0]).toBe('malamute');
  expect(labels).toHaveLength(5);
  const widths = await page.locator('.prediction .bar').evaluateAll((bars) => bars.map((b) => (b as HTMLElement).getBoundingClientRect().width));
  expect(widths[0]).toBeGreaterThan(widths[1]!);
  await expect(page.locator('#error').textContent()).resolves.toBe('');
});

it('classifies a dropped photo too', async () => {
  const page = await browser.newPage();
  await page.goto(`${fn.url}/`);
  const bytes = (await import('node:fs')).readFileSync(photo('eagle.jpg')).toString('base64');
  // A synthetic drop carrying a real file, as dragging one from the desktop does.
  await page.evaluate(async (b64) => {
    const data = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    const dt = new DataTransfer();
    dt.items.add(new File([data], 'eagle.jpg', { type: 'image/jpeg' }));
    document.getElementById('drop')!.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
  }, bytes);
  await page.locator('.prediction').first().waitFor({ timeout: 30_000 });
  expect((await page.locator('.prediction .label').allTextContents())[0]).toBe('bald_eagle');
});

it('says what was wrong with a file that is not an image', async () => {
  const page = await browser.newPage();
  await page.goto(`${fn.url}/`);
  await page.setInputFiles('#file', { name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('not a photo') });
  await page.waitForFunction(() => document.getElementById('error')!.textContent !== '', undefined, { timeout: 30_000 });
  expect(await page.locator('#error').textContent()).toBe('Could not classify notes.txt: not an image: the body is not a JPEG, PNG, WebP or GIF');
  expect(await page.locator('.prediction').count()).toBe(0);
});

it('passes its own query on: /?model=catdog answers cat or dog', async () => {
  const page = await browser.newPage();
  await page.goto(`${fn.url}/?model=catdog`);
  await page.setInputFiles('#file', photo('dog.jpg'));
  await page.locator('.prediction').first().waitFor({ timeout: 30_000 });
  expect(await page.locator('.prediction .label').allTextContents()).toEqual(['dog', 'cat']);
});

for (const [device, width, height] of [['desktop', 1000, 700], ['phone', 390, 844]] as const) {
  it(`lays the page out with nothing overlapping at ${device} width (${width}x${height}), before and after a photo`, async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    const page = await browser.newPage({ viewport: { width, height } });
    await page.goto(`${fn.url}/`);
    await page.screenshot({ path: join(ARTIFACTS, `page-${device}-empty.png`), fullPage: true });
    expect(await overlaps(page)).toEqual([]);
    await page.setInputFiles('#file', photo('dog.jpg'));
    await page.locator('.prediction').first().waitFor({ timeout: 30_000 });
    await page.waitForFunction(() => (document.getElementById('preview') as HTMLImageElement).complete);
    await page.screenshot({ path: join(ARTIFACTS, `page-${device}-classified.png`), fullPage: true });
    expect(await overlaps(page)).toEqual([]);
    // Nothing wider than the screen: no sideways scrolling on a phone.
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(width);
  });
}
