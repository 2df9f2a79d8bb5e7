import { describe, expect, it } from 'vitest';
import sharp from 'sharp';
import { decodeCostBytes, MemoryBudget } from './budget.ts';

const MB = 1024 * 1024;
const tick = () => new Promise((r) => setImmediate(r));

describe('decode memory budget', () => {
  it('runs decodes side by side while they fit, and queues the rest in arrival order', async () => {
    const budget = new MemoryBudget(300 * MB);
    const order: string[] = [];
    const a = await budget.acquire(120 * MB);
    const b = await budget.acquire(120 * MB);
    const c = budget.acquire(120 * MB).then((release) => (order.push('c'), release));
    const d = budget.acquire(10 * MB).then((release) => (order.push('d'), release));
    await tick();
    expect(order).toEqual([]);
    expect(budget.waitingCount).toBe(2);
    a();
    a(); // a second release frees nothing more
    const releases = await Promise.all([c, d]);
    expect(order).toEqual(['c', 'd']);
    expect(budget.usedBytes).toBe(250 * MB);
    b();
    releases.forEach((r) => r());
    expect(budget.usedBytes).toBe(0);
  });

  it('lets one decode bigger than the whole budget run, alone', async () => {
    const budget = new MemoryBudget(100 * MB);
    const big = await budget.acquire(240 * MB);
    let small = false;
    const next = budget.acquire(1 * MB).then((r) => ((small = true), r));
    await tick();
    expect(small).toBe(false);
    big();
    (await next)();
  });

  it('costs a photo by its header: 40 MP decodes to RGB twice over', async () => {
    const png = await sharp({ create: { width: 8000, height: 5000, channels: 3, background: '#888' } }).png({ compressionLevel: 9 }).toBuffer();
    expect(await decodeCostBytes(png)).toBe(8000 * 5000 * 3 * 2 + png.length);
    expect(await decodeCostBytes(Buffer.from('not an image'))).toBe(12);
  });
});
