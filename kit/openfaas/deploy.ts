import { FunctionNotFoundError, GatewayError, GatewayUnreachableError, type GatewayClient } from '../gateway/index.ts';
import { checkTimeouts, toDeployment } from './deployment.ts';
import { GATEWAY_UPSTREAM_TIMEOUT_MS } from './functions.ts';
import { appearingAnswer, parseAnswer, type Prediction } from './invoke.ts';
import type { Stack } from './stack.ts';

export interface SmokeTest {
  /** The photo's name, for messages. */
  name: string;
  photo: Buffer;
  label: RegExp;
}

export interface DeployRequest {
  stack: Stack;
  gateway: GatewayClient;
  /** Deploy only these functions (default: all in the stack). */
  only?: string[];
  gatewayUpstreamMs?: number;
  /** Runs before anything is sent: e.g. the manifest-list platform check. Throwing refuses the deploy. */
  preflight?: () => Promise<unknown>;
  /**
   * Per distinct image, after preflight and before anything is sent: what to deploy instead (the tag
   * pinned to the digest it names now, so a later push to the tag changes nothing that runs) and the
   * registryAuth (base64 user:password) nodes pull it with.
   */
  resolveImage?: (image: string) => Promise<{ image: string; registryAuth?: string }>;
  waitTimeoutMs?: number;
  pollMs?: number;
  smoke?: Record<string, SmokeTest | undefined>;
  log?: (line: string) => void;
}

export interface DeployedFunction {
  name: string;
  outcome: 'created' | 'updated';
  image: string;
  availableReplicas: number;
  smoke?: { photo: string; top: Prediction };
}

export class DeployError extends Error {
  override name = 'DeployError';
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * faas-cli deploy, then what it leaves to the user: PUT (POST when the PUT says 404) each function,
 * wait until its replicas run the new image, and send a real photo through the gateway.
 */
export async function deployStack(r: DeployRequest): Promise<DeployedFunction[]> {
  const names = r.only?.length ? r.only : Object.keys(r.stack.functions);
  for (const n of names) {
    if (!r.stack.functions[n]) {
      throw new DeployError(`function ${n} is not in the stack (it has ${Object.keys(r.stack.functions).join(', ')}); nothing was deployed`);
    }
  }
  // Every check before the first request, so a refusal changes nothing.
  const deployments = names.map((n) => {
    const fn = r.stack.functions[n]!;
    checkTimeouts(n, fn.environment, r.gatewayUpstreamMs ?? GATEWAY_UPSTREAM_TIMEOUT_MS);
    return toDeployment(n, fn);
  });
  await r.preflight?.();
  if (r.resolveImage) {
    const resolved = new Map<string, { image: string; registryAuth?: string }>();
    for (const image of new Set(deployments.map((d) => d.image))) resolved.set(image, await r.resolveImage(image));
    for (const fd of deployments) {
      const got = resolved.get(fd.image)!;
      fd.image = got.image;
      if (got.registryAuth) fd.registryAuth = got.registryAuth;
    }
  }

  const out: DeployedFunction[] = [];
  for (const fd of deployments) {
    const outcome = await r.gateway.deployFunction(fd);
    r.log?.(`${fd.service}: ${outcome} (${fd.image})`);
    out.push({ name: fd.service, outcome, image: fd.image, availableReplicas: 0 });
  }
  const deadline = Date.now() + (r.waitTimeoutMs ?? 300_000);
  const pollMs = r.pollMs ?? 1000;
  for (const d of out) {
    const want = Math.max(1, Number(deployments.find((f) => f.service === d.name)!.labels?.['com.openfaas.scale.min'] ?? 1) || 1);
    for (;;) {
      const st = await r.gateway.getFunction(d.name).catch((e) => {
        if (e instanceof FunctionNotFoundError) return undefined;
        throw e;
      });
      if (st && sameImage(st.image, d.image) && st.availableReplicas >= want) {
        d.availableReplicas = st.availableReplicas;
        break;
      }
      if (Date.now() > deadline) {
        throw new DeployError(
          `function ${d.name}: ${st?.availableReplicas ?? 0} of ${want} replicas available with ${d.image} after ${Math.round((r.waitTimeoutMs ?? 300_000) / 1000)} s; ` +
            `check the nodes can pull it, then run: edgefaas status`,
        );
      }
      await sleep(pollMs);
    }
    r.log?.(`${d.name}: ${d.availableReplicas} replica(s) available`);
  }
  for (const d of out) {
    const smoke = r.smoke?.[d.name];
    if (!smoke) continue;
    const top = await smokeTest(r.gateway, d.name, smoke, deadline, pollMs, r.log);
    d.smoke = { photo: smoke.name, top };
    r.log?.(`${d.name}: ${smoke.name} -> ${top.label} ${top.score.toFixed(3)}`);
  }
  return out;
}

/** faas-swarm reports a service's image without its digest (measured): then the names must match. */
export function sameImage(reported: string, deployed: string): boolean {
  if (reported.includes('@')) return reported === deployed;
  return reported === deployed.replace(/@sha256:[0-9a-f]{64}$/, '');
}

/**
 * A real photo through the gateway, retried until the deadline while the function is still
 * appearing: replicas loading the model answer 503/429, and a task not yet in Swarm's DNS gives 502
 * (direct path) or faas-swarm's 404/500 (see appearingAnswer). Said once, so the wait is explained.
 */
async function smokeTest(gateway: GatewayClient, name: string, s: SmokeTest, deadline: number, pollMs: number, log?: (line: string) => void): Promise<Prediction> {
  let last = '';
  let told = false;
  const retrying = (why: string) => {
    if (!told) log?.(`${name}: smoke test got ${why}; the function is still starting or not yet in Swarm's DNS, retrying until the deploy deadline`);
    told = true;
  };
  for (;;) {
    try {
      const res = await gateway.invoke(name, s.photo, { headers: { 'Content-Type': 'image/jpeg' } });
      if (res.status === 200) {
        const top = parseAnswer(res.body).predictions[0];
        if (!top || !s.label.test(top.label)) {
          throw new DeployError(
            `smoke test failed: function ${name} at ${gateway.baseUrl} answered ${top ? `${top.label} ${top.score}` : 'no prediction'} for ${s.name}, expected ${s.label.source}; the deployment stays, run: edgefaas invoke ${name} PHOTO`,
          );
        }
        return top;
      }
      last = `${res.status} ${res.body.toString('utf8').slice(0, 200)}`;
      const appearing = appearingAnswer(name, res.status, res.body.toString('utf8'));
      if (res.status !== 503 && res.status !== 429 && !appearing) throw new DeployError(`smoke test failed: function ${name} answered ${last}; run: edgefaas invoke ${name} PHOTO`);
      retrying(appearing ?? `${res.status}`);
    } catch (e) {
      // A replica that is still starting: no such function yet, 502, or the connection reset.
      const retryable = e instanceof FunctionNotFoundError || e instanceof GatewayUnreachableError || (e instanceof GatewayError && e.status === 502);
      if (!retryable) throw e;
      last = e.message;
      retrying(e instanceof GatewayError && e.status === 502 ? '502 from the gateway' : e.message);
    }
    if (Date.now() > deadline) throw new DeployError(`smoke test failed: function ${name} did not answer ${s.name} in time (last: ${last}); run: edgefaas status`);
    await sleep(pollMs);
  }
}
