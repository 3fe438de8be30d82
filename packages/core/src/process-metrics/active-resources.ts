import { Gauge } from '../metrics/gauge.js';
import type { Labels } from '../metrics/labels.js';
import type { DefaultMetricsContext, DefaultMetricsGroup } from './context.js';
import { declare } from './context.js';

/** Undocumented but long-standing process methods that prom-client reads too. */
interface ProcessInternals {
  _getActiveHandles?: () => unknown[];
  _getActiveRequests?: () => unknown[];
}

const internals = process as unknown as ProcessInternals;

function constructorNames(objects: readonly unknown[]): string[] {
  const names: string[] = [];
  for (const object of objects) {
    const name = (object as { constructor?: { name?: unknown } } | null)?.constructor?.name;
    if (typeof name === 'string' && name !== '') names.push(name);
  }
  return names;
}

/**
 * Sets one gauge per type to its count. Types seen before but gone now read 0 rather than vanish
 * (prom-client drops them): a series that comes and goes every scrape would also add a new
 * mmstats field each time it comes back.
 */
function setByType(
  gauge: Gauge,
  types: readonly string[],
  labels: Readonly<Labels>,
  known: Map<string, Labels>,
): void {
  const counts = new Map<string, number>();
  for (const type of types) counts.set(type, (counts.get(type) ?? 0) + 1);
  for (const type of counts.keys()) if (!known.has(type)) known.set(type, { type, ...labels });
  for (const [type, typeLabels] of known) gauge.set(typeLabels, counts.get(type) ?? 0);
}

/** `nodejs_active_<what>{type}` and `nodejs_active_<what>_total`, both from one listing per scrape. */
function byTypeAndTotal(
  ctx: DefaultMetricsContext,
  what: string,
  help: string,
  list: () => readonly string[],
): Gauge[] {
  const labels = ctx.labels;
  const known = new Map<string, Labels>();
  const byType: Gauge = new Gauge(
    declare(ctx, `nodejs_active_${what}`, `Number of active ${help}, by type.`, {
      labelNames: ['type'],
      collect: () => {
        const types = list();
        setByType(byType, types, labels, known);
        total.set(labels, types.length);
      },
    }),
  );
  // A gauge named `_total`, as in prom-client: dashboards query this name. promtool rejects a
  // gauge so named, hence the other spelling on request.
  const suffix = ctx.names === 'promtool' ? '_all' : '_total';
  const total = new Gauge(declare(ctx, `nodejs_active_${what}${suffix}`, `Total number of active ${help}.`));
  return [byType, total];
}

/** Active libuv handles and requests, and the async resources keeping the event loop alive. */
export function activeResourceMetrics(ctx: DefaultMetricsContext): DefaultMetricsGroup {
  const metrics: Gauge[] = [];
  const handles = internals._getActiveHandles;
  if (typeof handles === 'function') {
    metrics.push(
      ...byTypeAndTotal(ctx, 'handles', 'libuv handles', () => constructorNames(handles.call(process))),
    );
  }
  const requests = internals._getActiveRequests;
  if (typeof requests === 'function') {
    metrics.push(
      ...byTypeAndTotal(ctx, 'requests', 'libuv requests', () => constructorNames(requests.call(process))),
    );
  }
  if (typeof process.getActiveResourcesInfo === 'function') {
    metrics.push(
      ...byTypeAndTotal(ctx, 'resources', 'resources keeping the event loop alive', () =>
        process.getActiveResourcesInfo(),
      ),
    );
  }
  return { metrics };
}
