import { describe, expect, it } from 'vitest';
import { ClusterSpec } from '../inventory/schema.ts';
import { orchestratorFor } from './index.ts';

const spec = (orchestrator: 'swarm' | 'k3s') =>
  ClusterSpec.parse({ orchestrator, name: 'c', nodes: [{ name: 'pi-1', address: '10.0.0.5', role: 'manager' }], gateway: { port: 8080 } });

describe('orchestratorFor', () => {
  it('chooses by cluster.yaml', () => {
    expect(orchestratorFor(spec('swarm')).kind).toBe('swarm');
    expect(orchestratorFor(spec('k3s')).kind).toBe('k3s');
  });

  it('gives Swarm\'s gateway and image path: the first manager, its LAN registry', async () => {
    const s = spec('swarm');
    expect(orchestratorFor(s).gatewayUrl(s, '10.0.0.5')).toBe('http://10.0.0.5:8080');
    expect((await orchestratorFor(s).imageDelivery(s)).registry).toBe('10.0.0.5:5000');
  });

  it('refuses k3s-only flags on a Swarm cluster before touching a node', async () => {
    const s = spec('swarm');
    const noNode = () => Promise.reject(new Error('no node may be contacted'));
    const base = { spec: s, runner: noNode, dryRun: false, log: () => {} };
    await expect(async () => orchestratorFor(s).up({ ...base, passwordFile: '/nonexistent', airgap: { binary: 'a', images: 'b', checksums: 'c' } })).rejects.toThrow(
      /--k3s-binary/,
    );
  });
});
