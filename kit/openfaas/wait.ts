import { GatewayClient } from '../gateway/client.ts';
import { GATEWAY_USER } from './credentials.ts';

export class GatewayWaitError extends Error {
  override name = 'GatewayWaitError';
}

/** The client `up` waits with: the admin login when auth is on, 5 s per request. */
export function readinessClient(url: string, password: string, o: { auth: boolean; fetch?: typeof globalThis.fetch }): GatewayClient {
  return new GatewayClient({ baseUrl: url, auth: o.auth ? { username: GATEWAY_USER, password } : undefined, fetch: o.fetch, timeoutMs: 5000 });
}

/** '' when /healthz and an authenticated /system/functions answer, else why not. */
export async function gatewayAnswers(client: GatewayClient): Promise<string> {
  try {
    if (!(await client.healthz())) return '/healthz did not answer 200';
    await client.listFunctions();
    return '';
  } catch (e) {
    return (e as Error).message;
  }
}

/**
 * `up` is done when the gateway answers /healthz and an authenticated /system/functions; bounded
 * by waitMs. `hint` says where to look when it does not (per orchestrator).
 */
export async function waitForGateway(
  url: string,
  password: string,
  o: { auth: boolean; waitMs?: number; fetch?: typeof globalThis.fetch; hint: string },
): Promise<void> {
  const client = readinessClient(url, password, o);
  const deadline = Date.now() + (o.waitMs ?? 300_000);
  for (;;) {
    const last = await gatewayAnswers(client);
    if (!last) return;
    if (Date.now() > deadline) throw new GatewayWaitError(`the gateway at ${url} did not come up (${last}); see: ${o.hint}, or run: edgefaas status`);
    await new Promise((r) => setTimeout(r, 2000));
  }
}
