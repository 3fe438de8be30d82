import { Counter } from '../metrics/counter.js';
import type { DefaultMetricsContext, DefaultMetricsGroup } from './context.js';
import { declare } from './context.js';

/**
 * CPU seconds since the process started (prom-client counts from the call instead; `rate()` reads
 * both the same, and a total since start agrees with `process_start_time_seconds`).
 */
export function processCpuTotal(ctx: DefaultMetricsContext): DefaultMetricsGroup {
  const labels = ctx.labels;
  let last = { user: 0, system: 0 };
  const collect = () => {
    const now = process.cpuUsage();
    // cpuUsage is monotonic; max() only guards a counter against ever being asked to go down.
    const user = Math.max(0, now.user - last.user) / 1e6;
    const system = Math.max(0, now.system - last.system) / 1e6;
    last = now;
    userSeconds.inc(labels, user);
    systemSeconds.inc(labels, system);
    totalSeconds.inc(labels, user + system);
  };
  const seconds = { unit: 'seconds' };
  const userSeconds = new Counter(
    declare(ctx, 'process_cpu_user_seconds_total', 'Total user CPU time spent in seconds.', {
      ...seconds,
      collect,
    }),
  );
  const systemSeconds = new Counter(
    declare(ctx, 'process_cpu_system_seconds_total', 'Total system CPU time spent in seconds.', seconds),
  );
  const totalSeconds = new Counter(
    declare(ctx, 'process_cpu_seconds_total', 'Total user and system CPU time spent in seconds.', seconds),
  );
  return { metrics: [userSeconds, systemSeconds, totalSeconds] };
}
