import { createHash } from 'node:crypto';
import { stringify } from 'yaml';
import type { IDeploymentSpec } from 'kubernetes-models/apps/v1/DeploymentSpec';
import type { IPodSpec } from 'kubernetes-models/v1/PodSpec';
import type { IServicePort } from 'kubernetes-models/v1/ServicePort';
import type { IPolicyRule } from 'kubernetes-models/rbac.authorization.k8s.io/v1/PolicyRule';
import { DEFAULT_REGISTRY_IMAGE } from './swarm-stack-images.ts';

/**
 * OpenFaaS CE on Kubernetes as the official chart renders it with its default values (CE:
 * openfaasPro false, operator.create false, clusterRole false, async true, basic_auth true),
 * written here in the kit's own code. The gateway is exposed through k3s's ServiceLB at the
 * cluster's gateway port instead of the chart's NodePort 31112.
 */
export const OPENFAAS_CHART = {
  name: 'openfaas',
  version: '15.0.6',
  source: 'https://github.com/openfaas/faas-netes/tree/662ce9ce36ec4a32467773c308807bd5d58f5ae6/chart/openfaas',
} as const;

export const OPENFAAS_NS = 'openfaas';
export const FUNCTIONS_NS = 'openfaas-fn';
const RELEASE = 'openfaas';
const DNS = 'cluster.local';

/** The chart's values.yaml images for CE (chart 15.0.6). */
export const K8S_CE_IMAGES = {
  gateway: 'ghcr.io/openfaas/gateway:0.27.13',
  'faas-netes': 'ghcr.io/openfaas/faas-netes:0.18.17',
  'queue-worker': 'ghcr.io/openfaas/queue-worker:0.14.2',
  nats: 'nats-streaming:0.25.6',
  prometheus: 'prom/prometheus:v3.11.3',
  alertmanager: 'prom/alertmanager:v0.32.1',
} as const;

/** OpenFaaS CE's documented limits (EULA): more needs OpenFaaS Standard. */
export const CE_LIMITS = { functions: 15, replicas: 5 } as const;

export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [k: string]: unknown;
}

export interface OpenfaasK8sOptions {
  password: string;
  gatewayPort: number;
  /** A LAN registry in the cluster at this port (cluster.yaml registry.mode: manager). */
  registryPort?: number;
  /** Overrides by component name (cluster.yaml openfaas.images), plus `registry`. */
  images?: Record<string, string | null>;
}

const labels = (component: string) => ({ app: RELEASE, component, 'app.kubernetes.io/managed-by': 'edgefaas' });
const meta = (name: string, component: string, namespace = OPENFAAS_NS) => ({ name, namespace, labels: labels(component) });

function deployment(name: string, component: string, pod: IPodSpec, extra: Partial<IDeploymentSpec> = {}, annotations: Record<string, string> = {}): K8sObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: meta(name, component),
    spec: {
      replicas: 1,
      ...extra,
      selector: { matchLabels: { app: name } },
      template: { metadata: { annotations, labels: { app: name } }, spec: pod },
    },
  };
}

function service(name: string, component: string, ports: IServicePort[], type = 'ClusterIP', selector = name): K8sObject {
  return { apiVersion: 'v1', kind: 'Service', metadata: meta(name, component), spec: { type, ports, selector: { app: selector } } };
}

const env = (o: Record<string, string>) => Object.entries(o).map(([name, value]) => ({ name, value }));
const httpProbe = (path: string, port: number, p: { initialDelaySeconds?: number; periodSeconds?: number; timeoutSeconds?: number } = {}) => ({
  httpGet: { path, port },
  ...p,
});

const PROMETHEUS_YML = `global:
  scrape_interval:     15s
  evaluation_interval: 15s
  external_labels:
      monitor: 'faas-monitor'
rule_files:
    - 'alert.rules.yml'
alerting:
  alertmanagers:
  - static_configs:
    - targets:
      - alertmanager:9093
scrape_configs:
  - job_name: 'prometheus'
    scrape_interval: 10s
    static_configs:
      - targets: ['localhost:9090']
  - job_name: 'openfaas-pods'
    scrape_interval: 5s
    honor_labels: false
    kubernetes_sd_configs:
      - role: pod
        namespaces:
          names:
            - ${OPENFAAS_NS}
    relabel_configs:
    - action: labelmap
      regex: __meta_kubernetes_pod_label_(.+)
    - source_labels: [__meta_kubernetes_namespace]
      action: replace
      target_label: kubernetes_namespace
    - source_labels: [__meta_kubernetes_pod_name]
      action: replace
      target_label: kubernetes_pod_name
    - source_labels: [__meta_kubernetes_pod_annotation_prometheus_io_scrape]
      action: keep
      regex: true
    - source_labels: [__address__, __meta_kubernetes_pod_annotation_prometheus_io_port]
      action: replace
      regex: ([^:]+)(?::\\d+)?;(\\d+)
      replacement: $1:$2
      target_label: __address__
`;

const ALERT_RULES_YML = `groups:
  - name: openfaas
    rules:
    - alert: APIHighInvocationRate
      expr: sum(rate(gateway_function_invocation_total{code="200"}[10s])) BY (function_name) > 5
      for: 5s
      labels:
        service: gateway
        severity: major
      annotations:
        description: High invocation total on "{{$labels.function_name}}"
        summary: High invocation total on "{{$labels.function_name}}"
`;

const ALERTMANAGER_YML = `route:
  group_by: ['alertname', 'cluster', 'service']
  group_wait: 5s
  group_interval: 10s
  repeat_interval: 30s
  receiver: scale-up
  routes:
  - match:
      service: gateway
      receiver: scale-up
      severity: major
inhibit_rules:
- source_match:
    severity: 'critical'
  target_match:
    severity: 'warning'
  equal: ['alertname', 'cluster', 'service']
receivers:
- name: 'scale-up'
  webhook_configs:
    - url: http://gateway.${OPENFAAS_NS}:8080/system/alert
      send_resolved: true
      http_config:
        basic_auth:
          username: admin
          password_file: /var/secrets/basic-auth-password
`;

const sha = (s: string) => createHash('sha256').update(s).digest('hex');

/** Every object `up` applies, in apply order (namespaces first). */
export function renderOpenfaasK8s(o: OpenfaasK8sOptions): K8sObject[] {
  const img = (k: keyof typeof K8S_CE_IMAGES) => o.images?.[k] ?? K8S_CE_IMAGES[k];
  const authVolume = { name: 'auth', secret: { secretName: 'basic-auth' } };
  const fnProbe = { initialDelaySeconds: 0, timeoutSeconds: 1, periodSeconds: 2, successThreshold: 1, failureThreshold: 3 };
  const gwProbe = { initialDelaySeconds: 1, periodSeconds: 5, timeoutSeconds: 5, failureThreshold: 3, successThreshold: 1 };
  const objects: K8sObject[] = [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: OPENFAAS_NS, labels: { role: 'openfaas-system', access: 'openfaas-system', 'app.kubernetes.io/managed-by': 'edgefaas' } } },
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: FUNCTIONS_NS, labels: { role: 'openfaas-fn', 'app.kubernetes.io/managed-by': 'edgefaas' } } },
    {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: meta('basic-auth', 'gateway'),
      type: 'Opaque',
      stringData: { 'basic-auth-user': 'admin', 'basic-auth-password': o.password },
    },
    // faas-netes (controller-rbac.yaml, operator.create false, clusterRole false)
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: meta(`${RELEASE}-controller`, 'faas-controller') },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: meta(`${RELEASE}-controller`, 'faas-controller', FUNCTIONS_NS),
      rules: [
        { apiGroups: [''], resources: ['services'], verbs: ['get', 'list', 'watch', 'create', 'delete', 'update'] },
        { apiGroups: ['extensions', 'apps'], resources: ['deployments'], verbs: ['get', 'list', 'watch', 'create', 'delete', 'update'] },
        { apiGroups: [''], resources: ['secrets'], verbs: ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'] },
        { apiGroups: [''], resources: ['pods', 'pods/log', 'namespaces', 'endpoints'], verbs: ['get', 'list', 'watch'] },
      ] satisfies IPolicyRule[],
    },
    roleBinding(`${RELEASE}-controller`, 'faas-controller', FUNCTIONS_NS, `${RELEASE}-controller`),
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: meta(`${RELEASE}-profiles`, 'faas-controller'),
      rules: [{ apiGroups: ['openfaas.com'], resources: ['profiles', 'policies'], verbs: ['get', 'list', 'watch'] }],
    },
    roleBinding(`${RELEASE}-profiles`, 'faas-controller', OPENFAAS_NS, `${RELEASE}-controller`),
    deployment(
      'gateway',
      'gateway',
      {
        serviceAccountName: `${RELEASE}-controller`,
        topologySpreadConstraints: [{ maxSkew: 1, topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'ScheduleAnyway', labelSelector: { matchLabels: { app: 'gateway' } } }],
        volumes: [{ name: 'faas-netes-temp-volume', emptyDir: {} }, authVolume],
        containers: [
          {
            name: 'gateway',
            resources: { requests: { memory: '120Mi', cpu: '100m' } },
            image: img('gateway'),
            imagePullPolicy: 'IfNotPresent',
            livenessProbe: { ...gwProbe, ...httpProbe('/healthz', 8080) },
            readinessProbe: { ...gwProbe, ...httpProbe('/healthz', 8080) },
            env: env({
              read_timeout: '1m05s',
              write_timeout: '1m05s',
              upstream_timeout: '1m',
              functions_provider_url: 'http://127.0.0.1:8081/',
              direct_functions: 'false',
              direct_functions_suffix: `${FUNCTIONS_NS}.svc.${DNS}`,
              function_namespace: FUNCTIONS_NS,
              faas_nats_address: `nats.${OPENFAAS_NS}.svc.${DNS}`,
              faas_nats_port: '4222',
              faas_nats_channel: 'faas-request',
              basic_auth: 'true',
              secret_mount_path: '/var/secrets',
              default_target: '50',
              scale_from_zero: 'true',
              max_idle_conns: '1024',
              max_idle_conns_per_host: '1024',
              probe_functions: 'false',
              async: 'true',
            }),
            volumeMounts: [{ name: 'auth', readOnly: true, mountPath: '/var/secrets' }],
            ports: [
              { name: 'http', containerPort: 8080, protocol: 'TCP' },
              { name: 'gw-metrics', containerPort: 8082, protocol: 'TCP' },
            ],
          },
          {
            name: 'faas-netes',
            resources: { requests: { memory: '120Mi', cpu: '100m' } },
            image: img('faas-netes'),
            imagePullPolicy: 'IfNotPresent',
            env: env({
              port: '8081',
              function_namespace: FUNCTIONS_NS,
              read_timeout: '1m05s',
              profiles_namespace: OPENFAAS_NS,
              write_timeout: '1m05s',
              image_pull_policy: 'Always',
              http_probe: 'true',
              set_nonroot_user: 'false',
              readiness_probe_initial_delay_seconds: String(fnProbe.initialDelaySeconds),
              readiness_probe_timeout_seconds: String(fnProbe.timeoutSeconds),
              readiness_probe_period_seconds: String(fnProbe.periodSeconds),
              readiness_probe_success_threshold: String(fnProbe.successThreshold),
              readiness_probe_failure_threshold: String(fnProbe.failureThreshold),
              liveness_probe_initial_delay_seconds: '0',
              liveness_probe_timeout_seconds: '1',
              liveness_probe_period_seconds: '2',
              liveness_probe_failure_threshold: '3',
              cluster_role: 'false',
            }),
            volumeMounts: [{ mountPath: '/tmp', name: 'faas-netes-temp-volume' }],
            ports: [{ containerPort: 8081, protocol: 'TCP' }],
          },
        ],
      },
      {},
      { 'prometheus.io/scrape': 'true', 'prometheus.io/port': '8082' },
    ),
    service('gateway', 'gateway', [{ name: 'http', port: 8080, targetPort: 8080, protocol: 'TCP' }]),
    // The chart's gateway-external (NodePort 31112) as k3s's ServiceLB at the cluster's gateway port.
    service('gateway-external', 'gateway', [{ name: 'http', port: o.gatewayPort, targetPort: 8080, protocol: 'TCP' }], 'LoadBalancer', 'gateway'),
    deployment('nats', 'nats', {
      containers: [
        {
          name: 'nats',
          resources: { requests: { memory: '120Mi', cpu: '100m' } },
          image: img('nats'),
          imagePullPolicy: 'IfNotPresent',
          ports: [{ containerPort: 4222, protocol: 'TCP' }],
          command: ['/nats-streaming-server'],
          args: ['--store', 'memory', '--cluster_id', 'faas-cluster'],
          volumeMounts: [{ mountPath: '/tmp/nats', name: 'nats-data' }],
        },
      ],
      volumes: [{ name: 'nats-data', emptyDir: {} }],
    }, {}, { 'prometheus.io/scrape': 'false' }),
    service('nats', 'nats', [{ port: 4222, protocol: 'TCP', name: 'tcp' }]),
    deployment('queue-worker', 'queue-worker', {
      volumes: [authVolume],
      containers: [
        {
          name: 'queue-worker',
          resources: { requests: { memory: '120Mi', cpu: '50m' } },
          image: img('queue-worker'),
          imagePullPolicy: 'IfNotPresent',
          env: env({
            faas_nats_address: `nats.${OPENFAAS_NS}.svc.${DNS}`,
            faas_nats_channel: 'faas-request',
            faas_nats_queue_group: 'faas',
            faas_gateway_address: `gateway.${OPENFAAS_NS}.svc.${DNS}`,
            faas_function_suffix: `.${FUNCTIONS_NS}.svc.${DNS}`,
            ack_wait: '60s',
            max_inflight: '1',
            secret_mount_path: '/var/secrets/gateway',
            basic_auth: 'true',
          }),
          volumeMounts: [{ name: 'auth', readOnly: true, mountPath: '/var/secrets/gateway' }],
        },
      ],
    }, {}, { 'prometheus.io/scrape': 'false' }),
    // prometheus-rbac.yaml (clusterRole false)
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: meta(`${RELEASE}-prometheus`, 'prometheus') },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: meta(`${RELEASE}-prometheus`, 'prometheus'),
      rules: [{ apiGroups: [''], resources: ['services', 'endpoints', 'pods'], verbs: ['get', 'list', 'watch'] }],
    },
    roleBinding(`${RELEASE}-prometheus`, 'prometheus', OPENFAAS_NS, `${RELEASE}-prometheus`),
    {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: meta('prometheus-config', 'prometheus-config'),
      data: { 'prometheus.yml': PROMETHEUS_YML, 'alert.rules.yml': ALERT_RULES_YML },
    },
    deployment(
      'prometheus',
      'prometheus',
      {
        serviceAccountName: `${RELEASE}-prometheus`,
        containers: [
          {
            name: 'prometheus',
            resources: { requests: { memory: '512Mi', cpu: '100m' } },
            image: img('prometheus'),
            command: ['prometheus', '--config.file=/etc/prometheus/prometheus.yml', '--storage.tsdb.retention.time=15d'],
            imagePullPolicy: 'IfNotPresent',
            livenessProbe: httpProbe('/-/healthy', 9090),
            readinessProbe: httpProbe('/-/healthy', 9090),
            ports: [{ containerPort: 9090, protocol: 'TCP' }],
            volumeMounts: [
              { mountPath: '/etc/prometheus/prometheus.yml', name: 'prometheus-config', subPath: 'prometheus.yml' },
              { mountPath: '/etc/prometheus/alert.rules.yml', name: 'prometheus-config', subPath: 'alert.rules.yml' },
              { mountPath: '/prometheus/data', name: 'prom-data' },
            ],
          },
        ],
        volumes: [
          {
            name: 'prometheus-config',
            configMap: { name: 'prometheus-config', items: [{ key: 'prometheus.yml', path: 'prometheus.yml', mode: 0o644 }, { key: 'alert.rules.yml', path: 'alert.rules.yml', mode: 0o644 }] },
          },
          { name: 'prom-data', emptyDir: {} },
        ],
      },
      { strategy: { type: 'Recreate' } },
      { 'checksum/prometheus-config': sha(PROMETHEUS_YML + ALERT_RULES_YML) },
    ),
    service('prometheus', 'prometheus', [{ port: 9090, protocol: 'TCP' }]),
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: meta('alertmanager-config', 'alertmanager-config'), data: { 'alertmanager.yml': ALERTMANAGER_YML } },
    deployment(
      'alertmanager',
      'alertmanager',
      {
        containers: [
          {
            name: 'alertmanager',
            image: img('alertmanager'),
            imagePullPolicy: 'IfNotPresent',
            command: ['alertmanager', '--config.file=/alertmanager.yml', '--storage.path=/alertmanager', '--cluster.listen-address='],
            livenessProbe: httpProbe('/-/ready', 9093, { timeoutSeconds: 30 }),
            readinessProbe: httpProbe('/-/ready', 9093, { timeoutSeconds: 30 }),
            ports: [{ containerPort: 9093, protocol: 'TCP' }],
            resources: { requests: { memory: '25Mi', cpu: '50m' }, limits: { memory: '50Mi' } },
            volumeMounts: [
              { mountPath: '/alertmanager.yml', name: 'alertmanager-config', subPath: 'alertmanager.yml' },
              { name: 'auth', readOnly: true, mountPath: '/var/secrets' },
            ],
          },
        ],
        volumes: [
          { name: 'alertmanager-config', configMap: { name: 'alertmanager-config', items: [{ key: 'alertmanager.yml', path: 'alertmanager.yml', mode: 0o644 }] } },
          authVolume,
        ],
      },
      {},
      { 'checksum/alertmanager-config': sha(ALERTMANAGER_YML) },
    ),
    service('alertmanager', 'alertmanager', [{ name: 'http', port: 9093, targetPort: 9093, protocol: 'TCP' }]),
  ];
  if (o.registryPort !== undefined && o.images?.registry !== null) {
    // The kit's own LAN registry (not in the chart): nodes pull through registries.yaml's mirror.
    objects.push(
      deployment('registry', 'registry', {
        containers: [
          {
            name: 'registry',
            image: o.images?.registry ?? DEFAULT_REGISTRY_IMAGE,
            ports: [{ containerPort: 5000, protocol: 'TCP' }],
            volumeMounts: [{ mountPath: '/var/lib/registry', name: 'data' }],
          },
        ],
        volumes: [{ name: 'data', hostPath: { path: '/var/lib/edgefaas/registry', type: 'DirectoryOrCreate' } }],
        nodeSelector: { 'edgefaas.gateway': 'true' },
      }),
      service('registry', 'registry', [{ name: 'http', port: o.registryPort, targetPort: 5000, protocol: 'TCP' }], 'LoadBalancer'),
    );
  }
  return objects;
}

function roleBinding(name: string, component: string, namespace: string, account: string): K8sObject {
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'RoleBinding',
    metadata: meta(name, component, namespace),
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name },
    subjects: [{ kind: 'ServiceAccount', name: account, namespace: OPENFAAS_NS }],
  };
}

/** What `up --dry-run` prints for the objects (the secret's value never). */
export function describeObjects(objects: K8sObject[]): string[] {
  return objects.map((o) => `${o.kind} ${o.metadata.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata.name}`);
}

/** The manifests as YAML documents, with the secret's value replaced (for a user to read). */
export function manifestsYaml(objects: K8sObject[]): string {
  return objects
    .map((o) => (o.kind === 'Secret' ? { ...o, stringData: Object.fromEntries(Object.keys(o.stringData as object).map((k) => [k, '<generated>'])) } : o))
    .map((o) => stringify(o))
    .join('---\n');
}
