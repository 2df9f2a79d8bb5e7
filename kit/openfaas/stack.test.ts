import { describe, expect, it } from 'vitest';
import { ClusterSpec } from '../inventory/schema.ts';
import { stackForCluster } from './functions.ts';
import { envsubst, parseStack, stringifyStack } from './stack.ts';

// The classifier example of shared/reference/stack-yml.md, as a faas-cli user writes it.
const EXAMPLE = `version: 1.0
provider:
  name: openfaas
  gateway: \${OPENFAAS_URL:-http://127.0.0.1:8080}
configuration:
  templates:
    - name: python3-http-debian
      source: https://github.com/openfaas/python-flask-template
functions:
  image-classifier:
    lang: python3-http-debian
    handler: ./image-classifier
    image: \${REGISTRY:-192.168.1.10:5000}/image-classifier:\${TAG:-0.1.0}
    build_args:
      ADDITIONAL_PACKAGE: "libgomp1"
    environment:
      exec_timeout: "60s"
      max_inflight: 2
    labels:
      com.openfaas.scale.min: 1
      com.openfaas.scale.max: "5"
    annotations:
      edgefaas.model: "resnet50"
    constraints:
      - "node.platform.os == linux"
    limits:
      memory: "1Gi"
    requests:
      memory: "512Mi"
    unknown_key: ignored as faas-cli ignores it
`;

describe('stack.yml', () => {
  it('substitutes ${VAR} and ${VAR:-default} as faas-cli does, unset giving ""', () => {
    expect(envsubst('${A}-${B:-b}-${C}-${D:-d}', { A: 'a', D: '' })).toBe('a-b--d');
  });

  it('reads the reference example with defaults, scalars kept as their text', () => {
    const s = parseStack(EXAMPLE, { env: { TAG: '0.2.0' } });
    expect(s.version).toBe('1.0');
    expect(s.provider.gateway).toBe('http://127.0.0.1:8080');
    const f = s.functions['image-classifier']!;
    expect(f.image).toBe('192.168.1.10:5000/image-classifier:0.2.0');
    expect(f.environment).toEqual({ exec_timeout: '60s', max_inflight: '2' });
    expect(f.labels).toEqual({ 'com.openfaas.scale.min': '1', 'com.openfaas.scale.max': '5' });
    expect(f.limits).toEqual({ memory: '1Gi' });
  });

  it('round-trips: writing what it read reads back the same stack', () => {
    const s = parseStack(EXAMPLE, { env: {} });
    const text = stringifyStack(s, 'written by edgefaas');
    expect(text.startsWith('# written by edgefaas\nversion: "1.0"\n')).toBe(true);
    expect(parseStack(text, { env: {} })).toEqual(s);
    expect(stringifyStack(parseStack(text, { env: {} }), 'written by edgefaas')).toBe(text);
  });

  it('round-trips the stack edgefaas writes for a cluster', () => {
    const cluster = ClusterSpec.parse({ nodes: [{ name: 'pi-1', address: '10.0.0.2', role: 'manager' }] });
    const s = stackForCluster(cluster, { image: '10.0.0.2:5000/edgefaas/function:abc', gateway: 'http://10.0.0.2:8080', nodes: [{ node: 'pi-1', memoryMi: 3796, cpus: 4, gateway: true }] });
    expect(Object.keys(s.functions)).toEqual(['classify', 'catdog']);
    expect(parseStack(stringifyStack(s), { env: {} })).toEqual(s);
  });

  it('refuses a provider other than openfaas with faas-cli words', () => {
    expect(() => parseStack('provider: {name: faas}\nfunctions: {}\n', { source: 's.yml' })).toThrow(
      `s.yml: ['openfaas'] is the only valid "provider.name" for the OpenFaaS CLI, but you gave: faas`,
    );
  });

  it('refuses a version other than 1.0', () => {
    expect(() => parseStack('version: 2.0\nprovider: {name: openfaas}\nfunctions: {}\n')).toThrow(
      'stack.yml: [1.0] are the only valid versions for the stack file - found: 2.0',
    );
  });

  it('names the function whose image came out empty', () => {
    expect(() => parseStack('provider: {name: openfaas}\nfunctions:\n  f:\n    image: ${IMG}\n', { env: {} })).toThrow(
      'stack.yml: functions.f.image is empty (is ${REGISTRY} set?)',
    );
  });

  it('says where the YAML is broken', () => {
    expect(() => parseStack('provider: [\n', { source: 'bad.yml' })).toThrow(/^bad\.yml: not valid YAML/);
  });
});
