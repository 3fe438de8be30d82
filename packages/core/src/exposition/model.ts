/** What the exposition renders: families of samples, ready to print. */
export type MetricType = 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';

/** One sample ready to print: `suffix` is added to the family name, `labels` are escaped pairs. */
export interface Sample {
  suffix: string;
  labels: string;
  value: number;
  /** OpenMetrics only: ` # {labels} value timestamp` after the value. */
  exemplar?: string;
}

/** A metric family as the exposition sees it: everything needed, nothing to look up. */
export interface FamilySnapshot {
  name: string;
  help: string;
  type: MetricType;
  unit: string;
  samples: Sample[];
}
