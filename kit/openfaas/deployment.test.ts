import { describe, expect, it } from 'vitest';
import { checkTimeouts, durationMs, toDeployment } from './deployment.ts';
import { parseStack } from './stack.ts';

describe('function deployment body', () => {
  it('is what faas-cli sends for the reference example, field for field and in order', () => {
    const s = parseStack(
      `provider: {name: openfaas}
functions:
  image-classifier:
    lang: python3-http-debian
    image: 192.168.1.10:5000/image-classifier:0.1.0
    fprocess: python index.py
    environment: {read_timeout: 60s, write_timeout: 60s, exec_timeout: 60s, max_inflight: "2"}
    labels: {com.openfaas.scale.min: "1", com.openfaas.scale.max: "5"}
    annotations: {edgefaas.model: resnet50}
    constraints: ["node.platform.os == linux"]
    limits: {memory: 1Gi}
    requests: {memory: 512Mi, cpu: ""}
`,
      { env: {} },
    );
    const body = JSON.stringify(toDeployment('image-classifier', s.functions['image-classifier']!));
    expect(body).toBe(
      '{"service":"image-classifier","image":"192.168.1.10:5000/image-classifier:0.1.0","envProcess":"python index.py",' +
        '"envVars":{"read_timeout":"60s","write_timeout":"60s","exec_timeout":"60s","max_inflight":"2"},' +
        '"constraints":["node.platform.os == linux"],"labels":{"com.openfaas.scale.min":"1","com.openfaas.scale.max":"5"},' +
        '"annotations":{"edgefaas.model":"resnet50"},"limits":{"memory":"1Gi"},"requests":{"memory":"512Mi"}}',
    );
  });

  it('always sends labels and annotations, leaves other empties out', () => {
    expect(JSON.stringify(toDeployment('f', { image: 'i' }))).toBe('{"service":"f","image":"i","labels":{},"annotations":{}}');
  });
});

describe('timeouts', () => {
  it('reads Go durations and bare seconds', () => {
    expect(durationMs('1m30s')).toBe(90_000);
    expect(durationMs('45')).toBe(45_000);
    expect(durationMs('500ms')).toBe(500);
    expect(durationMs('soon')).toBeUndefined();
  });

  it('accepts exec below write and below the gateway upstream timeout', () => {
    expect(() => checkTimeouts('classify', { exec_timeout: '60s', write_timeout: '65s' }, 300_000)).not.toThrow();
  });

  it('refuses an exec_timeout at or past the gateway upstream timeout, naming the function', () => {
    expect(() => checkTimeouts('classify', { exec_timeout: '5m', write_timeout: '6m' }, 300_000)).toThrow(
      "function classify: exec_timeout 5m is not below the gateway's upstream_timeout (300s); lower exec_timeout in stack.yml",
    );
  });

  it('refuses an exec_timeout above write_timeout', () => {
    expect(() => checkTimeouts('catdog', { exec_timeout: '61s', write_timeout: '60s' }, 300_000)).toThrow(
      'function catdog: exec_timeout 61s is above write_timeout 60s, so answers would be cut off; raise write_timeout in stack.yml',
    );
  });

  it("accepts the watchdog's defaults (both 30s) when stack.yml sets none", () => {
    expect(() => checkTimeouts('f', undefined, 300_000)).not.toThrow();
  });
});
