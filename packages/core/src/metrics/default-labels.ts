import { MetricsError } from '../errors.js';
import type { FamilySnapshot } from '../exposition/model.js';
import type { MetricJSON } from './contracts.js';
import { escapeLabelValue } from './labels.js';
import { LABEL_NAME } from './validation.js';

/**
 * The static string field that carries a registry's default labels in its files, as JSON
 * (docs/file-format.md#default-labels): readers that combine files add them to that file's series.
 */
export const DEFAULT_LABELS_FIELD = 'mmstats.labels';

/** `registry.setDefaultLabels(labels)`, checked and rendered once. */
export interface DefaultLabels {
  readonly names: readonly string[];
  readonly values: Readonly<Record<string, string>>;
  /** `,name="value"` per label, escaped. */
  readonly pairs: readonly string[];
}

export function defaultLabelsOf(labels: unknown): DefaultLabels | undefined {
  if (labels === null || typeof labels !== 'object') {
    throw new MetricsError(
      'INVALID_OPTION',
      `setDefaultLabels() needs an object such as { service: 'api' }, got ${String(labels)}.`,
    );
  }
  const values: Record<string, string> = {};
  for (const [name, value] of Object.entries(labels)) {
    if (!LABEL_NAME.test(name) || name.startsWith('__')) {
      throw new MetricsError(
        'INVALID_LABEL_NAME',
        `setDefaultLabels(): invalid label name ${JSON.stringify(name)}. Use letters, digits and '_', not starting with a digit or "__".`,
      );
    }
    if (value === undefined) continue;
    values[name] = String(value);
  }
  const names = Object.keys(values);
  if (names.length === 0) return undefined;
  return { names, values, pairs: names.map((n) => `${n}="${escapeLabelValue(values[n]!)}"`) };
}

/** The default labels a file's `mmstats.labels` field holds; undefined when none or unreadable. */
export function defaultLabelsOfField(json: string): DefaultLabels | undefined {
  try {
    const labels: unknown = JSON.parse(json);
    if (labels === null || typeof labels !== 'object' || Array.isArray(labels)) return undefined;
    const strings = Object.entries(labels).filter(([, value]) => typeof value === 'string');
    return defaultLabelsOf(Object.fromEntries(strings));
  } catch {
    // Another writer's corrupt or hostile field: its series are combined without default labels.
    return undefined;
  }
}

/** The series' own labels win, as in prom-client; default labels follow them. */
export function withDefaultLabels(family: FamilySnapshot, defaults: DefaultLabels): FamilySnapshot {
  const samples = family.samples.map((sample) => {
    let labels = sample.labels;
    defaults.names.forEach((name, i) => {
      if (!hasLabel(sample.labels, name)) labels += `${labels === '' ? '' : ','}${defaults.pairs[i]}`;
    });
    return { ...sample, labels };
  });
  return { ...family, samples };
}

/** Whether escaped label pairs `a="x",b="y"` include `name`; values cannot contain an unescaped `"`. */
function hasLabel(pairs: string, name: string): boolean {
  let at = pairs.indexOf(`${name}="`);
  while (at >= 0) {
    if (at === 0 || pairs[at - 1] === ',') {
      // The match is at a pair's start unless it sits inside a value: count the quotes before it.
      let quotes = 0;
      for (let i = 0; i < at; i++) if (pairs[i] === '"' && pairs[i - 1] !== '\\') quotes++;
      if (quotes % 2 === 0) return true;
    }
    at = pairs.indexOf(`${name}="`, at + 1);
  }
  return false;
}

/** prom-client's getMetricsAsJSON: a value's own label wins, the default fills the gap. */
export function jsonWithDefaultLabels(json: MetricJSON, defaults: DefaultLabels): MetricJSON {
  return {
    ...json,
    values: json.values.map((value) => {
      const labels = { ...value.labels };
      for (const name of defaults.names) labels[name] = labels[name] || defaults.values[name]!;
      return { ...value, labels };
    }),
  };
}
