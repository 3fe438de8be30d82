import { promtoolCheckMetrics, toolAvailable } from '@mmstats/test-utils';
import { describe, expect, it } from 'vitest';
import { collectDefaultMetrics, isMetricsError, Registry } from '../../src/index.js';

/**
 * Issue 19: `promtool check metrics` exits 3 on every scrape because prom-client's
 * `nodejs_active_{handles,requests,resources}_total` are gauges named `_total`.
 */
async function scrape(names?: 'prom-client' | 'promtool'): Promise<string> {
  const registry = new Registry({ storage: false });
  collectDefaultMetrics({ register: registry, ...(names === undefined ? {} : { names }) });
  return registry.metrics();
}

describe('promtool-clean names for the active-resource totals', () => {
  it('prom-client names by default: nodejs_active_handles_total and the like stay', async () => {
    const text = await scrape();
    for (const what of ['handles', 'requests', 'resources']) {
      expect(text).toContain(`# TYPE nodejs_active_${what}_total gauge`);
      expect(text).not.toContain(`nodejs_active_${what}_all`);
    }
    if (toolAvailable('promtool')) expect(promtoolCheckMetrics(text).ok).toBe(false);
  });

  it("names: 'promtool' gives *_all, and promtool check metrics exits 0", async () => {
    const text = await scrape('promtool');
    for (const what of ['handles', 'requests', 'resources']) {
      expect(text).toContain(`# TYPE nodejs_active_${what}_all gauge`);
      expect(text).not.toContain(`nodejs_active_${what}_total`);
    }
    if (toolAvailable('promtool')) {
      const result = promtoolCheckMetrics(text);
      expect(result.output).toBe('');
      expect(result.ok).toBe(true);
    }
  });

  it('an unknown names value is refused with the fix', () => {
    try {
      collectDefaultMetrics({ register: new Registry({ storage: false }), names: 'otel' as never });
      expect.unreachable();
    } catch (error) {
      expect(isMetricsError(error) && error.code).toBe('INVALID_OPTION');
      expect((error as Error).message).toContain('"promtool"');
    }
  });
});
