import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['kit/**/*.test.ts', 'function/**/*.test.ts', 'test/**/*.test.ts', 'scripts/**/*.test.ts'],
    // Lab and model tests share one machine's namespaces, ports and two cores: run files one at a time.
    fileParallelism: false,
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 600_000,
    reporters: ['default', './test/support/plain-count-reporter.ts'],
  },
});
