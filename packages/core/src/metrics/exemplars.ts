import { createRequire } from 'node:module';
import { MetricsError } from '../errors.js';
import { formatValue } from '../exposition/render.js';
import { escapeLabelValue } from './labels.js';

/** prom-client's exemplar: the labels of one observation (a trace id), its value, when (seconds). */
export interface Exemplar {
  labelSet: Record<string, string | number>;
  value: number;
  timestamp: number;
}

/** OpenMetrics: "The combined length of the label names and values of an Exemplar's LabelSet MUST NOT exceed 128 UTF-8 characters." */
const MAX_EXEMPLAR_CHARS = 128;

/**
 * The latest exemplar of each slot of each series: one slot for a counter, one per bucket for a
 * histogram. Only metrics created with `enableExemplars` have one, so others pay nothing.
 */
export class ExemplarStore<S> {
  private readonly bySeries = new Map<S, (Exemplar | undefined)[]>();

  constructor(private readonly metric: string) {}

  record(series: S, slot: number, labelSet: Record<string, string | number>, value: number): void {
    let chars = 0;
    for (const [name, label] of Object.entries(labelSet)) chars += name.length + String(label).length;
    if (chars > MAX_EXEMPLAR_CHARS) {
      throw new MetricsError(
        'INVALID_VALUE',
        `${this.metric}: exemplar labels ${JSON.stringify(labelSet)} are ${chars} characters; OpenMetrics allows ${MAX_EXEMPLAR_CHARS} (names and values together). Keep to ids such as trace_id and span_id.`,
      );
    }
    let slots = this.bySeries.get(series);
    if (slots === undefined) {
      slots = [];
      this.bySeries.set(series, slots);
    }
    slots[slot] = { labelSet, value, timestamp: Date.now() / 1000 };
  }

  get(series: S, slot: number): Exemplar | undefined {
    return this.bySeries.get(series)?.[slot];
  }

  /** ` # {labels} value timestamp`, what follows a sample in OpenMetrics; empty when there is none. */
  text(series: S, slot: number): string {
    const exemplar = this.get(series, slot);
    if (exemplar === undefined) return '';
    const pairs = Object.entries(exemplar.labelSet)
      .map(([name, value]) => `${name}="${escapeLabelValue(String(value))}"`)
      .join(',');
    return ` # {${pairs}} ${formatValue(exemplar.value)} ${exemplar.timestamp}`;
  }

  clear(): void {
    this.bySeries.clear();
  }
}

interface OpenTelemetryApi {
  trace: {
    getActiveSpan(): { spanContext(): { traceId: string; spanId: string; traceFlags: number } } | undefined;
  };
  isSpanContextValid(context: { traceId: string; spanId: string }): boolean;
}

let openTelemetry: OpenTelemetryApi | null | undefined;

/**
 * `@opentelemetry/api` when the application has it (an optional peer dependency), else null.
 * Loaded on first use with `require`, which works from both builds, and only for metrics with
 * exemplars enabled.
 */
function otelApi(): OpenTelemetryApi | null {
  if (openTelemetry === undefined) {
    try {
      openTelemetry = createRequire(import.meta.url)('@opentelemetry/api') as OpenTelemetryApi;
    } catch {
      openTelemetry = null;
    }
  }
  return openTelemetry;
}

/**
 * The exemplar labels of an observation: the ones given, else `trace_id` and `span_id` of the
 * active OpenTelemetry span when there is a valid, sampled one (flag bit 1), else none.
 */
export function exemplarLabelsFor(
  given: Record<string, string | number> | undefined,
): Record<string, string | number> | undefined {
  if (given !== undefined && Object.keys(given).length > 0) return given;
  const api = otelApi();
  const context = api?.trace.getActiveSpan()?.spanContext();
  if (context === undefined || !api!.isSpanContextValid(context) || (context.traceFlags & 1) === 0)
    return undefined;
  return { trace_id: context.traceId, span_id: context.spanId };
}

/** For tests: forget whether `@opentelemetry/api` was found. */
export function resetOpenTelemetryLookup(): void {
  openTelemetry = undefined;
}
