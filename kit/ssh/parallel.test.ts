import { describe, expect, it } from 'vitest';
import { forEachNode } from './parallel.ts';

describe('forEachNode', () => {
  it('runs at most `limit` nodes at once and reports each node in order, failures included', async () => {
    let running = 0;
    let peak = 0;
    const nodes = ['a', 'b', 'c', 'd', 'e'].map((name) => ({ name }));
    const res = await forEachNode(nodes, 2, async (n) => {
      running++;
      peak = Math.max(peak, running);
      await new Promise((r) => setTimeout(r, 20));
      running--;
      if (n.name === 'b') throw new Error('b broke');
      return n.name.toUpperCase();
    });
    expect(peak).toBe(2);
    expect(res.map((r) => r.node)).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(res.map((r) => (r.ok ? r.value : r.error.message))).toEqual(['A', 'b broke', 'C', 'D', 'E']);
  });
});
