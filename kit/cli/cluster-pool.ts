import type { ClusterSpec } from '../inventory/schema.ts';
import { SshPool, describeHostKeyEvent, poolOptionsFromCluster } from '../ssh/index.ts';
import type { CliContext } from './context.ts';

/** An SSH pool for read-only probes (images, deploy), trusting new host keys on first use only. */
export function probePool(spec: ClusterSpec, ctx: CliContext): SshPool {
  return new SshPool(
    poolOptionsFromCluster(spec, {
      env: ctx.env,
      log: ctx.debug,
      onHostKey: (e) => ctx.info(describeHostKeyEvent(e)),
    }),
  );
}
