import type { FamilySnapshot } from './types.js';

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

/** The OpenMetrics family name: a counter's `_total` belongs to its sample, not its family. */
function openMetricsFamily(family: FamilySnapshot): string {
  return family.type === 'counter' && family.name.endsWith('_total') ? family.name.slice(0, -6) : family.name;
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
    const name = om ? openMetricsFamily(family) : family.name;
    const type = family.type === 'untyped' && om ? 'unknown' : family.type;
    out += `# HELP ${name} ${escapeHelp(family.help, om)}\n# TYPE ${name} ${type}\n`;
    if (om && family.unit !== '') out += `# UNIT ${name} ${family.unit}\n`;
    const counterSuffix = om && family.type === 'counter' ? '_total' : '';
    for (const sample of family.samples) {
      const sampleName = name + (sample.suffix || counterSuffix);
      out += sample.labels === '' ? sampleName : `${sampleName}{${sample.labels}}`;
      out += ` ${formatValue(sample.value)}\n`;
    }
  }
  return om ? `${out}# EOF\n` : out;
}
