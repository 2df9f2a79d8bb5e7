import { describe, expect, it } from 'vitest';
import { admit, QUEUE_BUDGET_SHARE } from './admission.ts';

const unlimited = { maxInflight: Infinity, execTimeoutMs: Infinity };

describe('admission: waiting, not refusing', () => {
  it('lets a request wait while the workers can still finish it inside exec_timeout', () => {
    // 2 workers at 1 s each, 30 s exec_timeout: 24 s of budget holds 48 requests.
    const limits = { maxInflight: Infinity, execTimeoutMs: 30_000 };
    expect(admit({ ahead: 0, workers: 2, serviceSeconds: 1 }, limits)).toEqual({ admit: true });
    expect(admit({ ahead: 47, workers: 2, serviceSeconds: 1 }, limits)).toEqual({ admit: true });
    const refused = admit({ ahead: 48, workers: 2, serviceSeconds: 1 }, limits);
    expect(refused).toMatchObject({ admit: false, retryAfterSeconds: 1 });
    expect(refused.admit || refused.error).toBe('queue full: 48 requests ahead on 2 worker(s) at 1.00 s each would not finish inside exec_timeout (30s); retry later');
  });

  it('works the Retry-After out from how far past the budget the queue reaches', () => {
    const limits = { maxInflight: Infinity, execTimeoutMs: 10_000 };
    // 1 worker at 2 s: 20 ahead finish in 42 s, 8 s of budget: 34 s to wait.
    expect(admit({ ahead: 20, workers: 1, serviceSeconds: 2 }, limits)).toMatchObject({ admit: false, retryAfterSeconds: 42 - 10 * QUEUE_BUDGET_SHARE });
  });

  it('always takes a request a free worker can start at once', () => {
    expect(admit({ ahead: 1, workers: 2, serviceSeconds: 60 }, { maxInflight: Infinity, execTimeoutMs: 1000 })).toEqual({ admit: true });
  });

  it('keeps max_inflight as the hard cap, with of-watchdog\'s message', () => {
    const refused = admit({ ahead: 3, workers: 4, serviceSeconds: 0.3 }, { maxInflight: 3, execTimeoutMs: 30_000 });
    expect(refused).toEqual({ admit: false, retryAfterSeconds: 1, error: 'Concurrent request limit exceeded. Max concurrent requests: 3' });
  });

  it('has no queue bound when exec_timeout and max_inflight are 0 (no limit)', () => {
    expect(admit({ ahead: 10_000, workers: 1, serviceSeconds: 5 }, unlimited)).toEqual({ admit: true });
  });
});
