import { stringify } from 'yaml';
import type { ClusterSpec, NodeSpec } from '../inventory/schema.ts';
import { K3S_API_PORT, K3S_TOKEN_FILE } from './version.ts';

export interface NodeRoleInCluster {
  node: NodeSpec;
  /** The node's resolved address (cluster.yaml's IP, else what the node reports). */
  address: string;
  arch: string;
  kind: 'first-server' | 'server' | 'agent';
}

/**
 * /etc/rancher/k3s/config.yaml for one node: k3s reads it at start, so no flag (and no token)
 * is ever on a command line. Servers beyond the first join with embedded etcd (cluster-init).
 */
export function renderK3sConfig(spec: ClusterSpec, me: NodeRoleInCluster, first: { address: string }, servers: number): string {
  const labels = {
    'edgefaas.node': me.node.name,
    'edgefaas.arch': me.arch,
    'edgefaas.role': me.node.role,
    ...(me.kind === 'first-server' ? { 'edgefaas.gateway': 'true' } : {}),
    ...me.node.labels,
  };
  const config: Record<string, unknown> = {
    'node-name': me.node.name,
    'node-ip': me.address,
    'node-label': Object.entries(labels).map(([k, v]) => `${k}=${v}`),
  };
  if (me.kind !== 'agent') {
    config['advertise-address'] = me.address;
    config['tls-san'] = [...new Set([me.address, me.node.address])];
    config['write-kubeconfig-mode'] = '0600';
    if (me.kind === 'first-server' && servers > 1) config['cluster-init'] = true;
  }
  if (me.kind !== 'first-server') {
    config.server = `https://${first.address}:${K3S_API_PORT}`;
    config['token-file'] = K3S_TOKEN_FILE;
  }
  return `# written by edgefaas up for cluster ${spec.name}; edgefaas up rewrites it\n${stringify(config)}`;
}

/** Where nodes pull function images: the LAN registry (plain HTTP) or the external one (TLS verified). */
export function registryEndpoint(spec: ClusterSpec, firstServerAddress: string): { host: string; url: string } | undefined {
  if (spec.registry.mode === 'manager') {
    const host = `${firstServerAddress}:${spec.registry.port}`;
    return { host, url: `http://${host}` };
  }
  if (spec.registry.mode === 'external') return { host: spec.registry.address, url: `https://${spec.registry.address}` };
  return undefined;
}

/** /etc/rancher/k3s/registries.yaml: containerd's mirror for the registry the kit pushes to. */
export function renderRegistries(spec: ClusterSpec, firstServerAddress: string): string | undefined {
  const r = registryEndpoint(spec, firstServerAddress);
  if (!r) return undefined;
  const doc = { mirrors: { [r.host]: { endpoint: [r.url] } } };
  return `# written by edgefaas up for cluster ${spec.name}\n${stringify(doc)}`;
}
