/** OpenFaaS gateway REST shapes (faas-provider types), as in shared/reference/openfaas-gateway.md. */

export interface ResourceSpec {
  memory?: string;
  cpu?: string;
}

/** POST/PUT /system/functions. `service` and `image` are required; everything else optional. */
export interface FunctionDeployment {
  service: string;
  image: string;
  namespace?: string;
  envProcess?: string;
  envVars?: Record<string, string>;
  constraints?: string[];
  secrets?: string[];
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  limits?: ResourceSpec;
  requests?: ResourceSpec;
  readOnlyRootFilesystem?: boolean;
  /** Swarm-era only: the overlay to attach to. */
  network?: string;
  registryAuth?: string;
}

/** GET /system/functions (array) and GET /system/function/NAME. */
export interface FunctionStatus {
  name: string;
  image: string;
  invocationCount: number;
  replicas: number;
  availableReplicas: number;
  envProcess?: string;
  labels?: Record<string, string> | null;
  annotations?: Record<string, string> | null;
  namespace?: string;
  createdAt?: string;
}

export interface GatewayInfo {
  provider: { provider: string; orchestration: string; version: { sha: string; release: string } };
  version: { commit_message?: string; sha: string; release: string };
  arch: string;
}

export interface ScaleServiceRequest {
  serviceName: string;
  replicas: number;
  namespace?: string;
}
