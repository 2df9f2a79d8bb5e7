import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import type { LevelResult } from './stats.ts';

/** Latency percentiles and throughput by concurrency, side by side, as SVG (vega-lite, rendered in Node). */
export async function plotSvg(fn: string, levels: LevelResult[]): Promise<string> {
  const latency = levels.flatMap((l) =>
    (['p50_ms', 'p90_ms', 'p99_ms', 'mean_ms'] as const).flatMap((k) => (l[k] === null ? [] : [{ concurrency: l.concurrency, ms: l[k], stat: k.replace('_ms', '') }])),
  );
  const spec: TopLevelSpec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: `edgefaas bench ${fn}`,
    hconcat: [
      {
        title: 'latency (ms) by concurrency',
        width: 320,
        height: 220,
        data: { values: latency },
        mark: { type: 'line', point: true },
        encoding: {
          x: { field: 'concurrency', type: 'quantitative', title: 'concurrent clients' },
          y: { field: 'ms', type: 'quantitative', title: 'ms' },
          color: { field: 'stat', type: 'nominal', title: null },
        },
      },
      {
        title: 'throughput (images/s) by concurrency',
        width: 320,
        height: 220,
        data: { values: levels.map((l) => ({ concurrency: l.concurrency, throughput: l.throughput })) },
        mark: { type: 'line', point: true },
        encoding: {
          x: { field: 'concurrency', type: 'quantitative', title: 'concurrent clients' },
          y: { field: 'throughput', type: 'quantitative', title: 'images/s' },
        },
      },
    ],
  };
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
