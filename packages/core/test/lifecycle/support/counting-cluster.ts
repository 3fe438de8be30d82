/**
 * A node:cluster primary whose workers each count `jobs` once and then wait to be stopped: the
 * lightest worker there is, for tests that restart hundreds. The primary replaces every worker
 * that exits until it gets SIGTERM. Prints `{"ready":pid}` per worker.
 */
import cluster from 'node:cluster';
import { Counter, Gauge, Histogram, register } from '../../../src/index.js';

const { workers, jobs } = JSON.parse(process.argv[2] ?? '{}') as { workers: number; jobs: number };

if (cluster.isPrimary) {
  let stopping = false;
  for (let i = 0; i < workers; i++) cluster.fork();
  cluster.on('message', (_worker, pid: number) =>
    process.stdout.write(`${JSON.stringify({ ready: pid })}\n`),
  );
  cluster.on('exit', () => {
    if (!stopping) cluster.fork();
  });
  process.on('SIGTERM', () => {
    stopping = true;
    for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGTERM');
    cluster.disconnect(() => process.exit(0));
  });
} else {
  new Counter({ name: 'jobs_total', help: 'Jobs.', labelNames: ['queue'] }).inc({ queue: 'mail' }, jobs);
  new Histogram({ name: 'job_seconds', help: 'Took.', buckets: [0.1, 1] }).observe(0.5);
  new Gauge({ name: 'queue_depth', help: 'Depth.' }).set(process.pid);
  // Histograms reach the file every interval or on sync(): now, so a SIGKILL later loses nothing.
  register.sync();
  process.send?.(process.pid);
  setInterval(() => {}, 60_000);
}
