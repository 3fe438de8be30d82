import { type IntervalHistogram, monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { Gauge } from '../metrics/gauge.js';
import type { Labels } from '../metrics/labels.js';
import type { DefaultMetricsContext, DefaultMetricsGroup } from './context.js';
import { declare } from './context.js';

const NS_PER_S = 1e9;

/**
 * prom-client's lag: how long a `setImmediate` queued at scrape time waits. It lands after the
 * scrape, so each scrape shows the lag measured at the previous one. Unref'd: never keeps the
 * process alive.
 */
function measureLag(gauge: Gauge, labels: Readonly<Labels>): void {
  const start = process.hrtime.bigint();
  setImmediate(() => gauge.set(labels, Number(process.hrtime.bigint() - start) / NS_PER_S)).unref();
}

/** A stop that holds the histogram alone, not the scope that also holds the registry (see gc.ts). */
function disabler(delay: IntervalHistogram): () => void {
  return () => delay.disable();
}

/** Event-loop delay since the previous scrape, from libuv's sampling histogram (perf_hooks). */
function delayMetrics(ctx: DefaultMetricsContext): DefaultMetricsGroup {
  const labels = ctx.labels;
  const delay = monitorEventLoopDelay({ resolution: ctx.eventLoopMonitoringPrecision });
  const lag: Gauge = new Gauge(
    declare(ctx, 'nodejs_eventloop_lag_seconds', 'Lag of event loop in seconds.', {
      unit: 'seconds',
      aggregator: 'average',
      collect: () => {
        measureLag(lag, labels);
        // An empty histogram reports min 9.2e18 and mean NaN: keep the last real values instead.
        if (delay.count === 0) return;
        for (const [gauge, read] of stats) gauge.set(labels, read() / NS_PER_S);
        delay.reset();
      },
    }),
  );
  const seconds = (name: string, help: string) => {
    // prom-client's aggregators: the lowest minimum, the highest maximum, the mean of the rest.
    const aggregator = name.endsWith('_min_seconds')
      ? 'min'
      : name.endsWith('_max_seconds')
        ? 'max'
        : 'average';
    return new Gauge(declare(ctx, name, help, { unit: 'seconds', aggregator }));
  };
  const stats: [Gauge, () => number][] = [
    [seconds('nodejs_eventloop_lag_min_seconds', 'The minimum recorded event loop delay.'), () => delay.min],
    [seconds('nodejs_eventloop_lag_max_seconds', 'The maximum recorded event loop delay.'), () => delay.max],
    [
      seconds('nodejs_eventloop_lag_mean_seconds', 'The mean of the recorded event loop delays.'),
      () => delay.mean,
    ],
    [
      seconds(
        'nodejs_eventloop_lag_stddev_seconds',
        'The standard deviation of the recorded event loop delays.',
      ),
      () => delay.stddev,
    ],
    [
      seconds('nodejs_eventloop_lag_p50_seconds', 'The 50th percentile of the recorded event loop delays.'),
      () => delay.percentile(50),
    ],
    [
      seconds('nodejs_eventloop_lag_p90_seconds', 'The 90th percentile of the recorded event loop delays.'),
      () => delay.percentile(90),
    ],
    [
      seconds('nodejs_eventloop_lag_p99_seconds', 'The 99th percentile of the recorded event loop delays.'),
      () => delay.percentile(99),
    ],
  ];
  // Sampling starts once every gauge exists, so a name clash above leaves nothing running.
  delay.enable();
  return { metrics: [lag, ...stats.map(([gauge]) => gauge)], stop: disabler(delay) };
}

/** Share of wall time the event loop spent busy between two scrapes (perf_hooks ELU). */
function utilizationMetrics(ctx: DefaultMetricsContext): DefaultMetricsGroup {
  const labels = ctx.labels;
  let last = performance.eventLoopUtilization();
  const utilization: Gauge = new Gauge(
    declare(
      ctx,
      'nodejs_eventloop_utilization_ratio',
      'Share of time the event loop was busy since the previous scrape, from 0 to 1.',
      {
        unit: 'ratio',
        collect: () => {
          const now = performance.eventLoopUtilization();
          const ratio = performance.eventLoopUtilization(now, last).utilization;
          last = now;
          // Two scrapes in the same instant divide 0 by 0.
          if (Number.isFinite(ratio)) utilization.set(labels, ratio);
        },
      },
    ),
  );
  return { metrics: [utilization] };
}

/** prom-client's eventLoopLag, with our `nodejs_eventloop_utilization_ratio`. */
export function eventLoopLag(ctx: DefaultMetricsContext): DefaultMetricsGroup {
  const delay = delayMetrics(ctx);
  const utilization = utilizationMetrics(ctx);
  return { metrics: [...delay.metrics, ...utilization.metrics], ...(delay.stop ? { stop: delay.stop } : {}) };
}
