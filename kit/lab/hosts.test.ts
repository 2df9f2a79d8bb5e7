import { describe, expect, it } from 'vitest';
import { hostsBlock, withHostsBlock } from './hosts.ts';
import { labLayout } from './names.ts';

const layout = labLayout('demo', '10.99.9.0/24', 2);
const machine = '127.0.0.1 localhost\n10.1.2.3 printer.lan\n';

describe('lab hosts entries', () => {
  it('names each host NODE.LAB.lab between markers that name the lab', () => {
    expect(hostsBlock(layout)).toBe('# edgefaas lab demo begin\n10.99.9.11\tpi-1.demo.lab\n10.99.9.12\tpi-2.demo.lab\n# edgefaas lab demo end');
  });

  it('adds the block once, however often lab up runs', () => {
    const once = withHostsBlock(machine, 'demo', hostsBlock(layout));
    expect(withHostsBlock(once, 'demo', hostsBlock(layout))).toBe(once);
    expect(once.startsWith(machine)).toBe(true);
  });

  it("removes exactly its own lab's block: the machine's lines and another lab's block stay", () => {
    const other = hostsBlock(labLayout('other', '10.99.8.0/24', 1));
    const both = withHostsBlock(withHostsBlock(machine, 'other', other), 'demo', hostsBlock(layout));
    expect(withHostsBlock(both, 'demo')).toBe(withHostsBlock(machine, 'other', other));
    expect(withHostsBlock(withHostsBlock(both, 'demo'), 'other')).toBe(machine);
  });
});
