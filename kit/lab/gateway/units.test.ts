import { describe, expect, it } from 'vitest';
import { nanoCpus, parseDurationMs, ramInBytes } from './units.ts';

describe('units', () => {
  it('parses Go durations and bare seconds', () => {
    expect(parseDurationMs('5m5s', 0)).toBe(305_000);
    expect(parseDurationMs('60', 0)).toBe(60_000);
    expect(parseDurationMs('1.5s', 0)).toBe(1500);
    expect(parseDurationMs('bogus', 8000)).toBe(8000);
    expect(parseDurationMs(undefined, 8000)).toBe(8000);
  });
  it('reads memory in binary units whatever the suffix, as go-units does', () => {
    expect(ramInBytes('128m')).toBe(128 * 1024 ** 2);
    expect(ramInBytes('128Mi')).toBe(128 * 1024 ** 2);
    expect(ramInBytes('1Gi')).toBe(1024 ** 3);
    expect(ramInBytes('lots')).toBeUndefined();
  });
  it('takes only integer nano-CPUs', () => {
    expect(nanoCpus('500000000')).toBe(500_000_000);
    expect(nanoCpus('500m')).toBeUndefined();
  });
});
