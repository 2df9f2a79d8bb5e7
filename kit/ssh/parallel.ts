/** Runs work on every node, at most `limit` at once; a node that fails does not stop the others. */
export type NodeOutcome<T> =
  | { node: string; ok: true; value: T; ms: number }
  | { node: string; ok: false; error: Error; ms: number };

export async function forEachNode<N extends { name: string }, T>(
  nodes: readonly N[],
  limit: number,
  work: (node: N) => Promise<T>,
): Promise<Array<NodeOutcome<T>>> {
  const results: Array<NodeOutcome<T>> = new Array(nodes.length);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < nodes.length; i = next++) {
      const node = nodes[i]!;
      const started = Date.now();
      try {
        results[i] = { node: node.name, ok: true, value: await work(node), ms: Date.now() - started };
      } catch (e) {
        results[i] = { node: node.name, ok: false, error: e instanceof Error ? e : new Error(String(e)), ms: Date.now() - started };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, nodes.length)) }, worker));
  return results;
}
