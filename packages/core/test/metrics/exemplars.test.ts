import { type ContextManager, context, ROOT_CONTEXT, TraceFlags, trace } from '@opentelemetry/api';
import * as prom from 'prom-client';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { Counter, Histogram, Registry } from '../../src/index.js';

const OM = Registry.OPENMETRICS_CONTENT_TYPE;

afterEach(() => {
  vi.useRealTimers();
});

describe('exemplars (enableExemplars, exemplarLabels), as prom-client', () => {
  it('counter: the latest exemplar per series, in OpenMetrics only, the same text as prom-client', async () => {
    vi.useFakeTimers({ toFake: ['Date'], now: 1_700_000_000_123 });
    const ours = new Registry({ storage: false, contentType: OM });
    const theirs = new (prom.Registry as unknown as new (type: string) => prom.Registry)(OM);
    for (const [Kind, registry] of [
      [Counter, ours],
      [prom.Counter, theirs],
    ] as const) {
      const c = new (Kind as typeof Counter)({
        name: 'orders_total',
        help: 'Orders',
        labelNames: ['shop'],
        enableExemplars: true,
        registers: [registry as never],
      });
      c.inc({ labels: { shop: 'a' }, value: 2, exemplarLabels: { trace_id: 'abc' } });
      c.inc({ labels: { shop: 'a' }, value: 3, exemplarLabels: { trace_id: 'def' } });
      c.inc({ labels: { shop: 'b' } });
    }
    const text = await ours.metrics();
    expect(text).toContain('orders_total{shop="a"} 5 # {trace_id="def"} 3 1700000000.123\n');
    expect(text).toContain('orders_total{shop="b"} 1\n');
    expect(text).toBe(await theirs.metrics());
    expect(await ours.metrics('text')).not.toContain('#  {');
    expect(await ours.metrics('text')).toContain('orders_total{shop="a"} 5\n');
  });

  it('histogram: one exemplar per bucket, also through startTimer(labels, exemplarLabels)', async () => {
    vi.useFakeTimers({ toFake: ['Date', 'performance'], now: 1_700_000_000_000 });
    const registry = new Registry({ storage: false, contentType: OM });
    const h = new Histogram({
      name: 'db_seconds',
      help: 'DB',
      buckets: [0.1, 1],
      enableExemplars: true,
      registers: [registry],
    });
    h.observe({ value: 0.05, exemplarLabels: { trace_id: 'fast' } });
    const end = h.startTimer({}, { trace_id: 'slow' });
    vi.advanceTimersByTime(2500);
    end();
    const text = await registry.metrics();
    expect(text).toContain('db_seconds_bucket{le="0.1"} 1 # {trace_id="fast"} 0.05 1700000000\n');
    expect(text).toContain('db_seconds_bucket{le="1.0"} 1\n');
    expect(text).toContain('db_seconds_bucket{le="+Inf"} 2 # {trace_id="slow"} 2.5 1700000002.5\n');
  });

  it('get() gives the exemplars in prom-client’s shape, counter and histogram', async () => {
    vi.useFakeTimers({ toFake: ['Date'], now: 1_700_000_000_123 });
    const values = [];
    for (const lib of [
      { Counter, Histogram, registry: new Registry({ storage: false, contentType: OM }) },
      {
        Counter: prom.Counter as unknown as typeof Counter,
        Histogram: prom.Histogram as unknown as typeof Histogram,
        registry: new (prom.Registry as unknown as new (type: string) => Registry)(OM),
      },
    ]) {
      const registers = [lib.registry];
      const c = new lib.Counter({
        name: 'c_total',
        help: 'c',
        labelNames: ['a'],
        enableExemplars: true,
        registers,
      });
      c.inc({ labels: { a: 'x' }, value: 2, exemplarLabels: { trace_id: 't1' } });
      c.inc({ labels: { a: 'y' }, value: 1 });
      const h = new lib.Histogram({
        name: 'h_seconds',
        help: 'h',
        buckets: [1, 2],
        enableExemplars: true,
        registers,
      });
      h.observe({ labels: {}, value: 0.5, exemplarLabels: { trace_id: 't2' } });
      h.observe({ labels: {}, value: 5, exemplarLabels: { trace_id: 't3' } });
      // Through JSON, as a user sends them on: prom-client's Exemplar is a class, and its
      // histogram values carry a `sharedLabels` copy of the labels that we leave out.
      const json = (v: unknown) =>
        JSON.parse(JSON.stringify(v, (k, x) => (k === 'sharedLabels' ? undefined : x)));
      values.push(json([(await c.get()).values, (await h.get()).values]));
    }
    expect(values[0]).toEqual(values[1]);
    expect(values[0][1][1]).toEqual({
      labels: { le: 2 },
      value: 1,
      metricName: 'h_seconds_bucket',
      exemplar: null,
    });
  });

  it('refuses exemplar labels over OpenMetrics’ 128 characters, saying so', () => {
    const c = new Counter({ name: 'x_total', help: 'x', enableExemplars: true, registers: [] });
    expect(() => c.inc({ exemplarLabels: { trace_id: 'x'.repeat(130) } })).toThrow(/OpenMetrics allows 128/);
  });
});

describe('exemplars from the active OpenTelemetry span', () => {
  // A minimal synchronous context manager: @opentelemetry/api alone keeps no active context.
  let active = ROOT_CONTEXT;
  const manager: ContextManager = {
    active: () => active,
    with(ctx, fn, thisArg, ...args) {
      const previous = active;
      active = ctx;
      try {
        return fn.call(thisArg, ...args);
      } finally {
        active = previous;
      }
    },
    bind: (_ctx, target) => target,
    enable() {
      return this;
    },
    disable() {
      return this;
    },
  };
  beforeAll(() => {
    context.setGlobalContextManager(manager);
  });
  afterAll(() => {
    context.disable();
  });

  const inSpan = (flags: TraceFlags, fn: () => void) => {
    const span = trace.wrapSpanContext({
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
      spanId: '00f067aa0ba902b7',
      traceFlags: flags,
    });
    context.with(trace.setSpan(context.active(), span), fn);
  };

  it('takes trace_id and span_id of a sampled span when no exemplarLabels are given', async () => {
    const registry = new Registry({ storage: false });
    const c = new Counter({ name: 'jobs_total', help: 'Jobs', enableExemplars: true, registers: [registry] });
    inSpan(TraceFlags.SAMPLED, () => c.inc({ value: 1 }));
    expect(await registry.metrics('openmetrics')).toMatch(
      /jobs_total 1 # \{trace_id="4bf92f3577b34da6a3ce929d0e0e4736",span_id="00f067aa0ba902b7"\} 1 \d+/,
    );
  });

  it('records none for an unsampled span, outside a span, or when exemplars are off', async () => {
    const registry = new Registry({ storage: false });
    const c = new Counter({ name: 'a_total', help: 'a', enableExemplars: true, registers: [registry] });
    const off = new Counter({ name: 'b_total', help: 'b', registers: [registry] });
    inSpan(TraceFlags.NONE, () => c.inc({ value: 1 }));
    c.inc({ value: 1 });
    inSpan(TraceFlags.SAMPLED, () => off.inc());
    expect(await registry.metrics('openmetrics')).not.toContain(' # {');
  });
});
