import { describe, expect, it } from 'vitest';
import { parseImageRef, pinnedRef, refOf } from './reference.ts';

const D = `sha256:${'a'.repeat(64)}`;

describe('image references as Docker reads them', () => {
  it('puts a name without a registry host on Docker Hub (library/ for one component)', () => {
    expect(parseImageRef('ubuntu')).toEqual({ registry: 'docker.io', apiHost: 'registry-1.docker.io', repository: 'library/ubuntu' });
    expect(parseImageRef('alexellis/faas-resnet:0.3')).toEqual({ registry: 'docker.io', apiHost: 'registry-1.docker.io', repository: 'alexellis/faas-resnet', tag: '0.3' });
    expect(parseImageRef('docker.io/library/node:20').repository).toBe('library/node');
  });

  it('takes a first component with a dot, a port or localhost as the registry', () => {
    expect(parseImageRef('ghcr.io/openfaas/gateway:0.27.13')).toEqual({ registry: 'ghcr.io', apiHost: 'ghcr.io', repository: 'openfaas/gateway', tag: '0.27.13' });
    expect(parseImageRef(`10.0.0.2:5000/edgefaas/function:abc@${D}`)).toEqual({
      registry: '10.0.0.2:5000', apiHost: '10.0.0.2:5000', repository: 'edgefaas/function', tag: 'abc', digest: D,
    });
    expect(parseImageRef('localhost/app').registry).toBe('localhost');
  });

  it('asks the registry for the digest when pinned, else the tag, else latest', () => {
    expect(refOf(parseImageRef(`r.lan:5000/a:t@${D}`))).toBe(D);
    expect(refOf(parseImageRef('r.lan:5000/a:t'))).toBe('t');
    expect(refOf(parseImageRef('r.lan:5000/a'))).toBe('latest');
  });

  it('pins a tag to a digest, keeping the tag for people to read', () => {
    expect(pinnedRef('r.lan:5000/edgefaas/function:abc', D)).toBe(`r.lan:5000/edgefaas/function:abc@${D}`);
    expect(pinnedRef(`r.lan:5000/a:t@sha256:${'b'.repeat(64)}`, D)).toBe(`r.lan:5000/a:t@${D}`);
  });

  it('refuses what Docker would refuse, saying which part', () => {
    expect(() => parseImageRef('Ghcr.io/Upper/App')).toThrow('"Upper" is not a valid repository name component');
    expect(() => parseImageRef('r.lan:5000/a@sha256:123')).toThrow('is not a sha256 digest');
  });
});
