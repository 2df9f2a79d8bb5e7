import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { normaliseGatewayUrl } from '../gateway/client.ts';
import type { ClusterSpec } from '../inventory/schema.ts';
import { writeSecretFile } from '../inventory/secrets.ts';
import { edgefaasHome } from '../ssh/paths.ts';
import { hostPort } from '../nodes/address.ts';

export const GATEWAY_USER = 'admin';

/** Where `up` keeps the gateway's basic-auth password (0600): $EDGEFAAS_HOME/<cluster>/gateway-password. */
export function gatewayPasswordFile(spec: Pick<ClusterSpec, 'name'>, env: NodeJS.ProcessEnv = process.env): string {
  return join(edgefaasHome(env), spec.name, 'gateway-password');
}

/**
 * The gateway URL at the first manager's resolved address (kit/nodes/address.ts): it runs on the
 * node labelled edgefaas.gateway=true, the first manager in cluster.yaml.
 */
export function gatewayUrl(spec: Pick<ClusterSpec, 'gateway'>, managerIp: string): string {
  return `http://${hostPort(managerIp, spec.gateway.port)}`;
}

/** The key stored credentials go by, as faas-cli keys them: http://GW:8080/ equals http://gw:8080. */
export function gatewayKey(url: string): string {
  return normaliseGatewayUrl(url);
}

/**
 * The cluster's admin password, only for one of the cluster's own gateway URLs (`own`): a gateway
 * named by OPENFAAS_URL, --gateway or a stack.yml elsewhere never gets it.
 */
export async function storedCredentials(
  url: string,
  spec: ClusterSpec,
  own: string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ username: string; password: string } | undefined> {
  if (!own.some((o) => gatewayKey(o) === gatewayKey(url))) return undefined;
  const password = await readGatewayPassword(gatewayPasswordFile(spec, env));
  return password ? { username: GATEWAY_USER, password } : undefined;
}

async function readGatewayPassword(file: string): Promise<string | undefined> {
  try {
    const stat = await fs.stat(file);
    if ((stat.mode & 0o077) !== 0) {
      throw new Error(`gateway password file ${file} is readable by others; run: chmod 600 ${file}`);
    }
    return (await fs.readFile(file, 'utf8')).trim();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

/** 32 random bytes as hex (the Swarm stack's deploy script used sha256 hex of random bytes). */
function generatePassword(): string {
  return randomBytes(32).toString('hex');
}

export async function storeGatewayPassword(file: string, password: string): Promise<void> {
  await writeSecretFile(file, `${password}\n`);
}

/**
 * The password kept in `file`, else a new one generated and stored there (0600; a dry run only
 * says so). `refuse`: why none may be made here (the cluster already has one this machine lacks).
 */
export async function keptOrNewPassword(
  file: string,
  o: { what: string; dryRun: boolean; log(line: string): void; refuse?: Error },
): Promise<{ password: string; created: boolean }> {
  const kept = await readGatewayPassword(file);
  if (kept !== undefined) return { password: kept, created: false };
  if (o.refuse) throw o.refuse;
  const password = generatePassword();
  if (!o.dryRun) await storeGatewayPassword(file, password);
  o.log(o.dryRun ? `a ${o.what} would be generated and stored in ${file} (0600)` : `${o.what} generated, stored in ${file} (0600)`);
  return { password, created: true };
}
