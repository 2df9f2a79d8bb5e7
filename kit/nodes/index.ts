/**
 * kit/nodes: what a node is, read-only. `probeNode(runner)` -> NodeFacts (platform, Docker, swarm, IPVS...),
 * `checkFacts(facts)` -> checks with fixes, `doctor(spec, pool)` -> a report per node.
 */
export { probeNode, parseProbe, PROBE_SCRIPT, CLUSTER_PORTS, type NodeFacts } from './facts.ts';
export { ARCH_TABLE, platformFor, type ArchRow } from './arch.ts';
export { checkFacts, LIMITS, type Check } from './checks.ts';
export { doctor, formatDoctor, type NodeReport } from './doctor.ts';
