/** Small statistics for repeated measurements: medians resist the odd slow run on a noisy host. */

export function median(values) {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

export function mean(values) {
  return values.reduce((sum, x) => sum + x, 0) / values.length;
}

/** Mean, sample standard deviation, standard error of the mean and median of `values`. */
export function describe(values) {
  const n = values.length;
  const m = mean(values);
  const sd = n > 1 ? Math.sqrt(values.reduce((sum, x) => sum + (x - m) ** 2, 0) / (n - 1)) : 0;
  return { n, mean: m, sd, se: sd / Math.sqrt(n), median: median(values) };
}

/** (max - min) / median: how far apart the repetitions were, to judge whether a ratio means anything. */
export function spread(values) {
  if (values.length < 2) return 0;
  return (Math.max(...values) - Math.min(...values)) / median(values);
}

export function percent(value) {
  return `${(value * 100).toFixed(1)}%`;
}
