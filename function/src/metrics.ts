/** Prometheus metrics of one server instance (its own registry: no global state). */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

const LATENCY_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30];

/** The worker pool as autoscaling sees it, read at each scrape. */
export interface QueueState {
  queued: number;
  busy: number;
  workers: number;
}

export function createMetrics(queue: () => QueueState = () => ({ queued: 0, busy: 0, workers: 0 })) {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'classifier_' });
  return {
    registry,
    requests: new Counter({ name: 'classifier_requests_total', help: 'Classification requests by HTTP status', labelNames: ['status'], registers: [registry] }),
    requestSeconds: new Histogram({ name: 'classifier_request_duration_seconds', help: 'Classification request time, body read to answer', buckets: LATENCY_BUCKETS, registers: [registry] }),
    inferenceSeconds: new Histogram({ name: 'classifier_inference_duration_seconds', help: 'Model predict time in a worker', buckets: LATENCY_BUCKETS, registers: [registry] }),
    inflight: new Gauge({ name: 'classifier_inflight_requests', help: 'Classification requests being served now', registers: [registry] }),
    modelLoadSeconds: new Gauge({ name: 'classifier_model_load_seconds', help: 'Model load and warm-up time (slowest worker)', registers: [registry] }),
    backendInfo: new Gauge({ name: 'classifier_backend_info', help: 'Inference engine (onnxruntime, or a TensorFlow.js backend), model and worker count (value 1)', labelNames: ['backend', 'simd', 'model', 'workers'], registers: [registry] }),
    workerRss: new Gauge({ name: 'classifier_worker_resident_memory_bytes', help: 'Resident memory of each worker process', labelNames: ['worker'], registers: [registry] }),
    // The names the stack's Prometheus rules and the Grafana dashboard read (issue 13): keep them.
    queueDepth: new Gauge({ name: 'edgefaas_queue_depth', help: 'Requests waiting for a free worker', registers: [registry], collect() { this.set(queue().queued); } }),
    workersBusy: new Gauge({ name: 'edgefaas_workers_busy', help: 'Workers classifying a request now', registers: [registry], collect() { this.set(queue().busy); } }),
    workers: new Gauge({ name: 'edgefaas_workers', help: 'Worker processes (each holds one model)', registers: [registry], collect() { this.set(queue().workers); } }),
    serviceSeconds: new Histogram({ name: 'edgefaas_inference_seconds', help: 'Time a worker is taken per request (send, predict, answer back)', buckets: LATENCY_BUCKETS, registers: [registry] }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
