import type { FamilySnapshot, MetricType } from './model.js';

export type ExpositionFormat = 'text' | 'openmetrics';

/** https://prometheus.io/docs/instrumenting/exposition_formats/#text-based-format */
export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';
/** https://github.com/prometheus/OpenMetrics/blob/main/specification/OpenMetrics.md */
export const OPENMETRICS_CONTENT_TYPE = 'application/openmetrics-text; version=1.0.0; charset=utf-8';

export function contentTypeOf(format: ExpositionFormat): string {
  return format === 'openmetrics' ? OPENMETRICS_CONTENT_TYPE : PROMETHEUS_CONTENT_TYPE;
}

/** A sample value as both formats spell it (Go's ParseFloat reads all of these). */
export function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Number.POSITIVE_INFINITY) return '+Inf';
  if (value === Number.NEGATIVE_INFINITY) return '-Inf';
  // String(-0) is "0"; a gauge set to -0 should read back as -0.
  if (value === 0 && 1 / value < 0) return '-0';
  return String(value);
}

function escapeHelp(help: string, openMetrics: boolean): string {
  if (!/[\\\n"]/.test(help)) return help;
  const text = help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
  return openMetrics ? text.replace(/"/g, '\\"') : text;
}

/** The name a family is exposed under: in OpenMetrics a counter's `_total` belongs to its samples. */
export function exposedFamilyName(name: string, type: MetricType, om: boolean): string {
  return om && type === 'counter' && name.endsWith('_total') ? name.slice(0, -6) : name;
}

/** `# HELP`, `# TYPE` and, in OpenMetrics, `# UNIT` lines of a family exposed as `name`. */
export function familyHeader(
  name: string,
  help: string,
  type: MetricType,
  unit: string,
  om: boolean,
): string {
  const shownType = type === 'untyped' && om ? 'unknown' : type;
  const header = `# HELP ${name} ${escapeHelp(help, om)}\n# TYPE ${name} ${shownType}\n`;
  return om && unit !== '' ? `${header}# UNIT ${name} ${unit}\n` : header;
}

/** One sample line; `labels` are escaped `name="value"` pairs, or empty. */
export function sampleLine(name: string, labels: string, value: number): string {
  return labels === '' ? `${name} ${formatValue(value)}\n` : `${name}{${labels}} ${formatValue(value)}\n`;
}

/**
 * Pure: families in, exposition text out. Series keep the order they were created in, families
 * the order they were registered in, so output is stable from scrape to scrape.
 */
export function renderExposition(
  families: Iterable<FamilySnapshot>,
  format: ExpositionFormat = 'text',
): string {
  const om = format === 'openmetrics';
  let out = '';
  for (const family of families) {
    const name = exposedFamilyName(family.name, family.type, om);
    out += familyHeader(name, family.help, family.type, family.unit, om);
    const counterSuffix = om && family.type === 'counter' ? '_total' : '';
    for (const sample of family.samples) {
      out += sampleLine(name + (sample.suffix || counterSuffix), sample.labels, sample.value);
    }
  }
  return om ? `${out}# EOF\n` : out;
}
