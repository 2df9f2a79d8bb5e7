/**
 * Waiting, not refusing: a request waits for a free worker as long as the workers can still
 * finish it inside exec_timeout (requests ahead ÷ workers × measured service time); past that,
 * or past of-watchdog's max_inflight, it gets 429 with a Retry-After worked out from the queue.
 */
export interface QueueLoad {
  /** Requests admitted and not yet answered, this one not counted. */
  ahead: number;
  /** Workers taking requests now. */
  workers: number;
  /** Time a worker is taken per request. */
  serviceSeconds: number;
}

export interface AdmissionLimits {
  /** of-watchdog's hard cap; Infinity for none. */
  maxInflight: number;
  /** Infinity for none. */
  execTimeoutMs: number;
}

export type Admission = { admit: true } | { admit: false; retryAfterSeconds: number; error: string };

/** Share of exec_timeout a queued request may plan to use; the rest covers decoding and a slower predict than average. */
export const QUEUE_BUDGET_SHARE = 0.8;

/** Seconds until the last of `requests` (this one included) would be answered. */
function finishSeconds(requests: number, load: QueueLoad): number {
  return Math.ceil(requests / Math.max(1, load.workers)) * load.serviceSeconds;
}

export function admit(load: QueueLoad, limits: AdmissionLimits): Admission {
  if (load.ahead >= limits.maxInflight) {
    // One slot frees when the oldest request ends: at most one service time away.
    return {
      admit: false,
      retryAfterSeconds: Math.max(1, Math.ceil(load.serviceSeconds)),
      error: `Concurrent request limit exceeded. Max concurrent requests: ${limits.maxInflight}`,
    };
  }
  if (load.ahead < load.workers || !Number.isFinite(limits.execTimeoutMs)) return { admit: true };
  const budget = (limits.execTimeoutMs / 1000) * QUEUE_BUDGET_SHARE;
  const finish = finishSeconds(load.ahead + 1, load);
  if (finish <= budget) return { admit: true };
  return {
    admit: false,
    retryAfterSeconds: Math.max(1, Math.ceil(finish - budget)),
    error: `queue full: ${load.ahead} requests ahead on ${load.workers} worker(s) at ${load.serviceSeconds.toFixed(2)} s each would not finish inside exec_timeout (${limits.execTimeoutMs / 1000}s); retry later`,
  };
}
