import { afterEach, describe, expect, it, vi } from 'vitest';
import { Gauge, Histogram, Registry, Summary } from '../../src/index.js';

afterEach(() => {
  vi.useRealTimers();
});

/**
 * Users test their timing code with fake timers. Timers read `performance.now()` through the global
 * when they start and end, so the clock the fake timers replace is the one they read.
 */
describe('timers on a clock that fake timers move', () => {
  it('histogram, summary and gauge startTimer measure the faked time, to the microsecond', async () => {
    vi.useFakeTimers({ toFake: ['performance'] });
    const registry = new Registry({ storage: false });
    const h = new Histogram({ name: 'h_seconds', help: 'h', buckets: [1, 2], registers: [registry] });
    const s = new Summary({ name: 's_seconds', help: 's', percentiles: [0.5], registers: [registry] });
    const g = new Gauge({ name: 'g_seconds', help: 'g', registers: [registry] });
    const ends = [h.startTimer(), s.startTimer(), g.startTimer(), h.labels().startTimer()];
    vi.advanceTimersByTime(1500.25);
    for (const end of ends) expect(end()).toBeCloseTo(1.50025, 9);
    const text = await registry.metrics();
    expect(text).toContain('h_seconds_bucket{le="2.0"} 2\n');
    expect(text).toContain('s_seconds{quantile="0.5"} 1.50025\n');
    expect(text).toContain('g_seconds 1.50025\n');
  });
});
