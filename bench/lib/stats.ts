// Small helpers shared by the benchmarks.

/** The p-th percentile (0–100) of an ascending list: the nearest-rank value, NaN when empty. */
export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}
