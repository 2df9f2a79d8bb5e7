import type { FunctionDeployment } from '../gateway/types.ts';
import type { StackFunction } from './stack.ts';

export class TimeoutAlignmentError extends Error {
  override name = 'TimeoutAlignmentError';
}

/** What faas-cli deploy sends for one function: its field order, empties left out except labels and annotations. */
export function toDeployment(name: string, fn: StackFunction): FunctionDeployment {
  const fd: FunctionDeployment = { service: name, image: fn.image };
  if (fn.namespace) fd.namespace = fn.namespace;
  if (fn.fprocess) fd.envProcess = fn.fprocess;
  if (fn.environment && Object.keys(fn.environment).length) fd.envVars = { ...fn.environment };
  if (fn.constraints?.length) fd.constraints = [...fn.constraints];
  if (fn.secrets?.length) fd.secrets = [...fn.secrets];
  fd.labels = { ...(fn.labels ?? {}) };
  fd.annotations = { ...(fn.annotations ?? {}) };
  const res = (r?: { memory?: string; cpu?: string }) => {
    const out: { memory?: string; cpu?: string } = {};
    if (r?.memory) out.memory = r.memory;
    if (r?.cpu) out.cpu = r.cpu;
    return Object.keys(out).length ? out : undefined;
  };
  const limits = res(fn.limits);
  const requests = res(fn.requests);
  if (limits) fd.limits = limits;
  if (requests) fd.requests = requests;
  if (fn.readonly_root_filesystem) fd.readOnlyRootFilesystem = true;
  return fd;
}

/** Go durations as the watchdog and gateway read them ("65s", "1m30s", "500ms"); a bare integer is seconds. */
export function durationMs(text: string): number | undefined {
  const v = text.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const unit: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  let total = 0;
  let pos = 0;
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h)/gy;
  for (let m = re.exec(v); m; m = re.exec(v)) {
    total += Number(m[1]) * unit[m[2]!]!;
    pos = re.lastIndex;
  }
  return pos > 0 && pos === v.length ? total : undefined;
}

/**
 * The function must give up before the gateway does (seed 5: otherwise users see the gateway's
 * 502 and the work runs on), and not outlive its own write_timeout (watchdog defaults: both 30s).
 */
export function checkTimeouts(name: string, env: Record<string, string> | undefined, gatewayUpstreamMs: number): void {
  const exec = durationMs(env?.exec_timeout ?? '30s');
  const write = durationMs(env?.write_timeout ?? '30s');
  if (exec === undefined || write === undefined) {
    throw new TimeoutAlignmentError(`function ${name}: exec_timeout/write_timeout must be durations like 60s (got ${env?.exec_timeout}, ${env?.write_timeout})`);
  }
  if (exec >= gatewayUpstreamMs) {
    throw new TimeoutAlignmentError(
      `function ${name}: exec_timeout ${env?.exec_timeout} is not below the gateway's upstream_timeout (${gatewayUpstreamMs / 1000}s); lower exec_timeout in stack.yml`,
    );
  }
  if (exec > write) {
    throw new TimeoutAlignmentError(
      `function ${name}: exec_timeout ${env?.exec_timeout ?? '30s'} is above write_timeout ${env?.write_timeout ?? '30s'}, so answers would be cut off; raise write_timeout in stack.yml`,
    );
  }
}
