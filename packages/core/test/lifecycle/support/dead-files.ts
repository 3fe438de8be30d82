import { renameSync } from 'node:fs';
import { join } from 'node:path';
import { Counter, Gauge, Histogram } from '../../../src/index.js';
import { APP_LABEL, START_LABEL } from '../../../src/storage/app-identity.js';
import { processImage, writeImage } from '../../support/mmstats-images.js';

/** A PID above any kernel's pid_max: `kill(pid, 0)` always says ESRCH. */
export const DEAD_PID = 2 ** 30;

export interface FakeProcess {
  pid: number;
  start?: string;
  app: string;
  jobs: number;
  /** Observations of 0.5 seconds. */
  observations?: number;
  depth?: number;
  /** Requests to a long route, for listings that must fit 80 columns. */
  requests?: number;
}

/** Writes the file a process of `app` leaves behind, as our writer lays it out. */
export function writeProcessFile(directory: string, name: string, p: FakeProcess): string {
  const { store, registers } = processImage({ pid: p.pid });
  store.staticString(APP_LABEL, p.app);
  if (p.start !== undefined) store.staticString(START_LABEL, p.start);
  const jobs = new Counter({ name: 'jobs_total', help: 'Jobs.', labelNames: ['queue'], registers });
  const took = new Histogram({ name: 'job_seconds', help: 'Took.', buckets: [0.1, 1], registers });
  const depth = new Gauge({ name: 'queue_depth', help: 'Depth.', registers });
  jobs.inc({ queue: 'mail' }, p.jobs);
  for (let i = 0; i < (p.observations ?? 0); i++) took.observe(0.5);
  depth.set(p.depth ?? 0);
  if (p.requests !== undefined) {
    new Counter({
      name: 'http_requests_total',
      help: 'Requests.',
      labelNames: ['method', 'route', 'status'],
      registers,
    })
      .labels({ method: 'GET', route: '/users/:id/orders/:orderId/items/:itemId', status: '2XX' })
      .inc(p.requests);
  }
  // Under a hidden name, then renamed into place, as our writer does: no reader sees half a file.
  writeImage(directory, `.${name}.tmp`, store.bytes());
  renameSync(join(directory, `.${name}.tmp`), join(directory, name));
  return join(directory, name);
}
