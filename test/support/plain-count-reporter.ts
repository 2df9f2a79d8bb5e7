import type { Reporter, TestModule } from 'vitest/node';

/** Prints "tests: N passed, N failed[, N skipped]" as the last line, a format CI can read from any runner. */
export default class PlainCountReporter implements Reporter {
  onTestRunEnd(modules: ReadonlyArray<TestModule>): void {
    let passed = 0;
    let failed = 0;
    let skipped = 0;
    for (const mod of modules) {
      for (const test of mod.children.allTests()) {
        const state = test.result().state;
        if (state === 'passed') passed++;
        else if (state === 'failed') failed++;
        else skipped++;
      }
      if (mod.state() === 'failed' && [...mod.children.allTests()].length === 0) failed++;
    }
    const tail = skipped ? `, ${skipped} skipped` : '';
    // The default reporter writes its summary in the same hook; print after it so this line is last.
    const line = `tests: ${passed} passed, ${failed} failed${tail}\n`;
    process.once('beforeExit', () => process.stdout.write(line));
  }
}
