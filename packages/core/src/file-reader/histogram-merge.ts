import type { Sample } from '../exposition/model.js';

interface Bucket {
  le: number;
  /** `le` as the file spelled it ("0.005", "1.0", "+Inf"), kept for the exposition. */
  text: string;
  cumulative: number;
}

/** One histogram series (labels without `le`) summed over the files of several processes. */
export interface HistogramSeries {
  labels: string;
  sum: number;
  count: number;
  addBucket(fileIndex: number, leText: string, cumulative: number): void;
  /** Cumulative buckets per file, by file index. */
  readonly perFile: Map<number, Bucket[]>;
}

export function newHistogramSeries(labels: string): HistogramSeries {
  const perFile = new Map<number, Bucket[]>();
  return {
    labels,
    sum: 0,
    count: 0,
    perFile,
    addBucket(fileIndex, leText, cumulative) {
      const le = parseBound(leText);
      if (Number.isNaN(le)) return;
      let list = perFile.get(fileIndex);
      if (list === undefined) {
        list = [];
        perFile.set(fileIndex, list);
      }
      list.push({ le, text: leText, cumulative });
    },
  };
}

function parseBound(text: string): number {
  if (text === '+Inf' || text === 'Inf') return Number.POSITIVE_INFINITY;
  if (text === '-Inf') return Number.NEGATIVE_INFINITY;
  return text.trim() === '' ? Number.NaN : Number(text);
}

/**
 * `_bucket`, `_sum`, `_count` samples of the summed series. Buckets of each file are cumulative, so
 * a file contributes to bound `x` the count of its largest bound not above `x`: with the same
 * bounds in every file (one program) that is a plain sum per `le`; with different bounds the result
 * is still cumulative, never decreasing, as histogram_quantile needs.
 */
export function histogramSamples(series: HistogramSeries): Sample[] {
  const bounds = new Map<number, string>();
  for (const list of series.perFile.values()) {
    for (const bucket of list) if (!bounds.has(bucket.le)) bounds.set(bucket.le, bucket.text);
  }
  const sorted = [...bounds.keys()].sort((a, b) => a - b);
  const sep = series.labels === '' ? '' : ',';
  const samples: Sample[] = sorted.map((le) => {
    let total = 0;
    for (const list of series.perFile.values()) total += countAtOrBelow(list, le);
    return { suffix: '_bucket', labels: `${series.labels}${sep}le="${bounds.get(le)}"`, value: total };
  });
  samples.push({ suffix: '_sum', labels: series.labels, value: series.sum });
  samples.push({ suffix: '_count', labels: series.labels, value: series.count });
  return samples;
}

function countAtOrBelow(list: readonly Bucket[], le: number): number {
  let best = 0;
  for (const bucket of list) if (bucket.le <= le && bucket.cumulative > best) best = bucket.cumulative;
  return best;
}
