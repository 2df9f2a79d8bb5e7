import { GatewayClient } from '../gateway/client.ts';
import { GATEWAY_USER } from './credentials.ts';

export class GatewayWaitError extends Error {
  override name = 'GatewayWaitError';
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
  const client = new GatewayClient({ baseUrl: url, auth: o.auth ? { username: GATEWAY_USER, password } : undefined, fetch: o.fetch, timeoutMs: 5000 });
  const deadline = Date.now() + (o.waitMs ?? 300_000);
  let last = '';
  for (;;) {
    try {
      if (await client.healthz()) {
        await client.listFunctions();
        return;
      }
      last = '/healthz did not answer 200';
    } catch (e) {
      last = (e as Error).message;
    }
    if (Date.now() > deadline) throw new GatewayWaitError(`the gateway at ${url} did not come up (${last}); see: ${o.hint}, or run: edgefaas status`);
    await new Promise((r) => setTimeout(r, 2000));
  }
}
