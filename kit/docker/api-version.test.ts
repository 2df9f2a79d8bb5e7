import { describe, expect, it } from 'vitest';
import { parseApiRange, providerApiVersion } from './api-version.ts';

describe('providerApiVersion', () => {
  it("keeps faas-swarm's pinned 1.30 where the daemon accepts it (Debian bookworm's Docker 20.10)", () => {
    expect(providerApiVersion({ api: '1.41', minApi: '1.12' }, 'pi-1')).toEqual({ version: '1.30', reason: 'faas-swarm speaks API 1.30 (accepted: 1.12-1.41)' });
  });

  it("speaks the daemon's minimum when Docker refuses 1.30 (Docker 29: minimum 1.44)", () => {
    expect(providerApiVersion({ api: '1.52', minApi: '1.44' }, 'pi-1')).toEqual({
      version: '1.44',
      reason: 'Docker refuses clients below 1.44: faas-swarm speaks API 1.44 instead of its pinned 1.30',
    });
  });

  it('compares versions as numbers, not strings (1.9 is older than 1.30)', () => {
    expect(providerApiVersion({ api: '1.45', minApi: '1.9' }, 'pi-1').version).toBe('1.30');
  });

  it('refuses a daemon older than faas-swarm needs, naming the node', () => {
    expect(() => providerApiVersion({ api: '1.26', minApi: '1.12' }, 'pi-1')).toThrow(
      'pi-1: Docker API 1.26 is older than 1.30, which faas-swarm needs; upgrade Docker on pi-1 (sudo apt-get install docker.io), then run: edgefaas up',
    );
  });
});

describe('parseApiRange', () => {
  it('reads the probe line and gives null when Docker did not answer', () => {
    expect(parseApiRange('1.45|1.44')).toEqual({ api: '1.45', minApi: '1.44' });
    expect(parseApiRange('')).toBeNull();
  });
});
