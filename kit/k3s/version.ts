/**
 * What the k3s path pins. The Kubernetes minor matches the OpenAPI schema the manifests are
 * validated against (kubernetes-models 4.5.1 carries the 1.33 API: Lifecycle.stopSignal, no
 * PodSpec.hostnameOverride).
 */
export const K3S_VERSION = 'v1.33.5+k3s1';
export const K3S_INSTALL_URL = 'https://get.k3s.io';
export const K3S_API_PORT = 6443;
/** Where k3s reads its settings (k3s --config default). */
export const K3S_CONFIG = '/etc/rancher/k3s/config.yaml';
export const K3S_REGISTRIES = '/etc/rancher/k3s/registries.yaml';
/** The join token for servers joining and agents, 0600, named by config.yaml's token-file. */
export const K3S_TOKEN_FILE = '/etc/rancher/k3s/edgefaas-token';
export const K3S_SERVER_TOKEN = '/var/lib/rancher/k3s/server/node-token';
export const K3S_KUBECONFIG = '/etc/rancher/k3s/k3s.yaml';
export const K3S_AIRGAP_IMAGES_DIR = '/var/lib/rancher/k3s/agent/images';
/** What the Raspberry Pi kernel needs for the memory cgroup (k3s docs, "Raspberry Pi"). */
export const PI_CGROUP_ARGS = ['cgroup_memory=1', 'cgroup_enable=memory'];
