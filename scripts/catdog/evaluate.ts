/** Scoring the head on valid: accuracy, per-class precision/recall, confusion, and its printout. */
import { basename, dirname } from 'node:path';
import type { Sample } from './photos.ts';

export interface Evaluation {
  photos: number;
  accuracy: number;
  labels: string[];
  /** confusion[actual][predicted], in label order. */
  confusion: number[][];
  per_class: Record<string, { precision: number; recall: number }>;
  /** Photos the head got wrong: file name, truth and what it said. */
  misclassified: Array<{ photo: string; label: string; predicted: string }>;
}

export function evaluate(samples: Sample[], predicted: number[], labels: string[]): Evaluation {
  const confusion = labels.map(() => labels.map(() => 0));
  const misclassified: Evaluation['misclassified'] = [];
  samples.forEach((s, i) => {
    const p = predicted[i]!;
    confusion[s.label]![p]!++;
    if (p !== s.label) misclassified.push({ photo: `${basename(dirname(s.file))}/${basename(s.file)}`, label: labels[s.label]!, predicted: labels[p]! });
  });
  const round = (v: number) => Math.round(v * 10000) / 10000;
  const per_class: Evaluation['per_class'] = {};
  labels.forEach((name, c) => {
    const tp = confusion[c]![c]!;
    const predictedC = confusion.reduce((n, row) => n + row[c]!, 0);
    const actualC = confusion[c]!.reduce((n, v) => n + v, 0);
    per_class[name] = { precision: round(predictedC ? tp / predictedC : 0), recall: round(actualC ? tp / actualC : 0) };
  });
  const correct = labels.reduce((n, _, c) => n + confusion[c]![c]!, 0);
  return { photos: samples.length, accuracy: round(correct / samples.length), labels, confusion, per_class, misclassified };
}

export function formatReport(e: Evaluation): string {
  const w = Math.max(...e.labels.map((l) => l.length), 6);
  const lines = [
    `valid: ${e.photos} photos, accuracy ${(e.accuracy * 100).toFixed(1)}%`,
    `confusion (rows actual, columns predicted):`,
    `  ${''.padEnd(w)} ${e.labels.map((l) => l.padStart(w)).join(' ')}`,
    ...e.labels.map((l, r) => `  ${l.padEnd(w)} ${e.confusion[r]!.map((v) => String(v).padStart(w)).join(' ')}`),
    ...e.labels.map((l) => `${l}: precision ${(e.per_class[l]!.precision * 100).toFixed(1)}%, recall ${(e.per_class[l]!.recall * 100).toFixed(1)}%`),
  ];
  if (e.misclassified.length) lines.push(`wrong: ${e.misclassified.map((m) => `${m.photo} (said ${m.predicted})`).join(', ')}`);
  return lines.join('\n');
}
