/** Scores to the k best classes; plain JS, so the HTTP process never loads TensorFlow.js. */
export interface Prediction {
  label: string;
  class: number;
  score: number;
}

/** The k best classes of one score row, highest first. */
export function topK(scores: Float32Array, labels: string[], k: number): Prediction[] {
  const order = Array.from(scores.keys()).sort((a, b) => scores[b]! - scores[a]!);
  return order.slice(0, k).map((i) => ({ label: labels[i] ?? String(i), class: i, score: scores[i]! }));
}
