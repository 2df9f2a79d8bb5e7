export { runBench, DEFAULT_LEVELS, BenchError, type BenchResult, type BenchOptions } from './run.ts';
export { writeBenchFiles } from './files.ts';
export { summaryText, markdown } from './report.ts';
export { summarize, percentile, parseServerTiming, type LevelResult, type Sample } from './stats.ts';
export { runLoad } from './load.ts';
