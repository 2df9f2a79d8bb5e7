/** Names and addresses of a lab: everything it creates carries its name and the label below. */
export const LAB_LABEL = 'edgefaas.lab';

export interface LabLayout {
  name: string;
  subnet: string;
  network: string;
  bridge: string;
  gateway: string;
  nodes: Array<{ name: string; address: string; container: string; volume: string }>;
}

export class LabError extends Error {
  override name = 'LabError';
}

const NAME = /^[a-z][a-z0-9]{0,8}$/;

/** "10.99.1.0/24" -> "10.99.1." ; only /24 subnets (one lab, one LAN). */
export function subnetPrefix(subnet: string): string {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.0\/24$/.exec(subnet);
  if (!m || m.slice(1).some((o) => Number(o) > 255)) {
    throw new LabError(`lab subnet must look like 10.99.0.0/24, got "${subnet}"`);
  }
  return `${m[1]}.${m[2]}.${m[3]}.`;
}

export function checkLabName(name: string): void {
  // The bridge name (eflab-NAME) must fit Linux's 15-character interface names.
  if (!NAME.test(name)) throw new LabError(`lab name must be 1-9 lower-case letters or digits starting with a letter, got "${name}"`);
}

export function labLayout(name: string, subnet: string, nodeCount: number): LabLayout {
  checkLabName(name);
  if (!Number.isInteger(nodeCount) || nodeCount < 1 || nodeCount > 20) throw new LabError(`--nodes must be 1 to 20, got ${nodeCount}`);
  const prefix = subnetPrefix(subnet);
  return {
    name,
    subnet,
    network: `edgefaas-lab-${name}`,
    bridge: `eflab-${name}`,
    gateway: `${prefix}1`,
    nodes: Array.from({ length: nodeCount }, (_, i) => ({
      name: `pi-${i + 1}`,
      address: `${prefix}${11 + i}`,
      container: `edgefaas-lab-${name}-pi-${i + 1}`,
      volume: `edgefaas-lab-${name}-pi-${i + 1}-docker`,
    })),
  };
}

/** An address inside the lab's subnet where nothing listens (for "unreachable node" checks). */
export function unusedAddress(subnet: string): string {
  return `${subnetPrefix(subnet)}250`;
}
