/** Commander parser for a repeatable, comma-separated option: `--x a,b --x c` -> ['a', 'b', 'c']. */
export function collect(v: string, prev: string[]): string[] {
  return [...prev, ...v.split(',').map((s) => s.trim()).filter(Boolean)];
}
