/**
 * A writer process for the storage tests, bundled from src by storage-child.ts. One JSON argument:
 * what to do. It reports on stdout, one JSON object per line.
 */
import { Counter, Gauge, Histogram, Registry, register } from '../../../src/index.js';

interface Job {
  task: 'crash' | 'throw' | 'exit' | 'load' | 'warn' | 'gc' | 'default';
  directory: string;
  backend: 'mmap' | 'fallback';
  removeOnExit?: boolean;
  durationMs?: number;
  segmentSize?: number;
}

const job = JSON.parse(process.argv[2]!) as Job;
const say = (message: object) => process.stdout.write(`${JSON.stringify(message)}\n`);
const warnings: string[] = [];
process.on('warning', (w: Error & { code?: string }) => {
  if (w.code === 'MMSTATS_STORAGE') warnings.push(w.message);
});

const registry = new Registry({
  storage: {
    directory: job.directory,
    backend: job.backend,
    interval: 10,
    ...(job.removeOnExit === undefined ? {} : { removeOnExit: job.removeOnExit }),
    ...(job.segmentSize === undefined ? {} : { segmentSize: job.segmentSize }),
  },
});
const counter = new Counter({ name: 'work_total', help: 'w', labelNames: ['kind'], registers: [registry] });
const gauge = new Gauge({ name: 'level', help: 'l', registers: [registry] });
const histogram = new Histogram({ name: 'took_seconds', help: 't', buckets: [1], registers: [registry] });

function record(): void {
  counter.inc({ kind: 'a' }, 41);
  gauge.set(2.5);
  histogram.observe(0.25);
  histogram.observe(3);
}

async function load(durationMs: number): Promise<void> {
  const child = counter.labels('hot');
  say({ ready: true, files: registry.storageFiles, backend: registry.storageBackend });
  const deadline = Date.now() + durationMs;
  let total = 0;
  while (Date.now() < deadline) {
    for (let i = 0; i < 20_000; i++) child.inc();
    total += 20_000;
    // Yield so the publish/flush timer runs, as it would in a real server.
    await new Promise((resolve) => setImmediate(resolve));
  }
  say({ done: true, total });
}

/** A registry nobody keeps: once collected, its file must be closed and removed. */
function dropped(): string[] {
  const lost = new Registry({ storage: { directory: job.directory, backend: job.backend, interval: 10 } });
  new Counter({ name: 'lost_total', help: 'l', registers: [lost] }).inc();
  return [...lost.storageFiles];
}

async function collectDropped(): Promise<void> {
  const files = dropped();
  const collect = (globalThis as { gc?: () => void }).gc!;
  for (let i = 0; i < 20; i++) {
    collect();
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  say({ files, kept: registry.storageFiles });
  // Stay alive (the test stops us) so the kept file is still there to be seen.
  setTimeout(() => {}, 10_000);
}

switch (job.task) {
  case 'default':
    // The default registry, with no storage options at all: files are on.
    // The handler goes in before we speak: the test signals as soon as it has read our message.
    process.on('SIGUSR2', () => process.exit(0));
    new Counter({ name: 'plain_total', help: 'p' }).inc(6);
    say({ files: register.storageFiles, backend: register.storageBackend });
    setTimeout(() => {}, 10_000);
    break;
  case 'gc':
    await collectDropped();
    break;
  case 'crash':
    record();
    say({ files: registry.storageFiles, backend: registry.storageBackend });
    // No sync(): after one interval (10 ms) the timer has published histograms and flushed the
    // fallback file. Then kill -9 ourselves: no 'exit' handlers, no cleanup, like a crash.
    setTimeout(() => process.kill(process.pid, 'SIGKILL'), 60);
    break;
  case 'exit':
    say({ files: registry.storageFiles, backend: registry.storageBackend });
    record();
    // No sync(): the exit handler must publish histograms and flush.
    break;
  case 'throw':
    say({ files: registry.storageFiles, backend: registry.storageBackend });
    record();
    // An uncaught exception: Node still runs 'exit' listeners, with code 1.
    setTimeout(() => {
      throw new Error('crash on purpose');
    }, 5);
    break;
  case 'load':
    await load(job.durationMs ?? 1000);
    break;
  case 'warn':
    record();
    counter.inc({ kind: 'b' }, 1);
    setTimeout(async () => {
      say({ warnings, backend: registry.storageBackend, text: await registry.metrics() });
    }, 20);
    break;
}
