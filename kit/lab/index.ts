/**
 * kit/lab: a local lab of real hosts (containers on this machine's dockerd, each a fresh Debian host
 * with sshd, user pi, its own rootfs, hostname, address and /var/lib/docker).
 *
 *   const lab = await labUp({ name: 'labtest', subnet: '10.99.1.0/24', nodes: 3, clusterFile });
 *   lab.clusterFile, lab.nodes[i].address, lab.files.{keyFile,passwordFile,knownHostsFile,sshConfigFile}
 *   await labStatus('labtest');  // nodes, addresses, state, what runs on each
 *   await labDown('labtest');    // removes exactly what that lab made
 */
export { labUp, labDown, labStatus, requireRoot, LAB_DEFAULTS, type LabInfo, type LabUpOptions, type LabNodeStatus, type LabDownResult } from './lab.ts';
export { LabError, LAB_LABEL, labLayout, unusedAddress } from './names.ts';
export { ensureNodeImage } from './image.ts';
