#!/usr/bin/env node
/**
 * What mmstats file storage costs: recording with the mmap backend beside the same registry with
 * `storage: false` (each in a fresh process, alternating A/B), and one flush of the fallback backend.
 *
 *   node bench/files.mjs            9 repetitions (medians over them)
 *   node bench/files.mjs --quick    5 shorter repetitions
 *   node bench/files.mjs --reps 15
 *
 * Target: recording with files at most 1.2x the cost without.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { benchArgs } from './lib/args.mjs';
import { ensureBuilt, ROOT } from './lib/packages.mjs';
import { median, spread } from './lib/stats.mjs';
import { formatNs, markdownTable } from './lib/table.mjs';
import { calibrate, collectGarbage, timeBatch, warmUp } from './lib/timing.mjs';

const { values: args } = benchArgs('bench/files.mjs', {
  options: {
    quick: { type: 'boolean', default: false },
    reps: { type: 'string' },
    child: { type: 'string' },
    dir: { type: 'string' },
  },
});
const REPS = Number(args.reps ?? (args.quick ? 5 : 9));
const BATCH_MS = args.quick ? 30 : 60;
const WARM_MS = args.quick ? 150 : 400;
const TARGET = 1.2;
const FLUSH_SERIES = 1000;
const sink = { value: 0 };

if (args.child === undefined) ensureBuilt('core');
const core = await import(pathToFileURL(join(ROOT, 'packages', 'core', 'dist', 'index.js')).href);
/** The parent makes it; children get it with --dir. */
const directory = args.dir ?? mkdtempSync(join(tmpdir(), 'mmstats-bench-files-'));

const LABELS = { method: 'GET', route: '/users/:id', status: '2XX' };

/** The same three metrics in a registry of the given storage. */
function metricsFor(storage) {
  const registry = new core.Registry({ storage });
  const registers = [registry];
  const labelNames = ['method', 'route', 'status'];
  const counter = new core.Counter({ name: 'http_requests_total', help: 'r', labelNames, registers });
  const histogram = new core.Histogram({
    name: 'http_request_duration_seconds',
    help: 'd',
    labelNames,
    registers,
  });
  return { registry, counter, histogram, bound: counter.labels(LABELS) };
}

/**
 * Each case is a loop body, compiled once per registry with `new Function`: closures from one
 * source literal would share type feedback and measure a polymorphic mix of both contestants.
 */
const CASES = [
  { id: 'bound counter inc', setup: 'const child = m.bound;', loop: 'child.inc();' },
  { id: 'labelled counter inc', setup: 'const counter = m.counter;', loop: 'counter.inc(L);' },
  {
    id: 'histogram observe (labelled)',
    setup: 'const histogram = m.histogram;',
    loop: 'histogram.observe(L, (i & 1023) / 4096);',
  },
];

function compile(testCase, metrics) {
  const source = `${testCase.setup}
    return function run(n) {
      for (let i = 0; i < n; i++) { ${testCase.loop} }
      return 0;
    };`;
  return new Function('m', 'L', source)(metrics, LABELS);
}

/** Child side: one contestant, every case, in a process of its own; prints ns per call per case. */
async function runChild(id) {
  const metrics = id === 'memory' ? metricsFor(false) : metricsFor({ directory, backend: 'auto' });
  const result = { backend: metrics.registry.storageBackend, ns: {} };
  for (const testCase of CASES) {
    const fn = compile(testCase, metrics);
    await warmUp(fn, WARM_MS, sink);
    const n = await calibrate(fn, BATCH_MS, sink);
    const times = [];
    for (let i = 0; i < 3; i++) {
      collectGarbage();
      times.push(await timeBatch(fn, n, sink));
    }
    result.ns[testCase.id] = median(times);
  }
  metrics.registry.close();
  process.stdout.write(JSON.stringify(result));
}

function runContestant(id) {
  const childArgs = [process.argv[1], '--child', id, '--dir', directory, '--reps', String(REPS)];
  if (args.quick) childArgs.push('--quick');
  return JSON.parse(execFileSync(process.execPath, childArgs, { encoding: 'utf8' }));
}

/**
 * Each contestant runs in a fresh process: in one process the two registries' metrics share call
 * sites, and whichever warmed up first gets the better JIT code (measured: 0.8x or 1.3x for the
 * labelled case depending on order alone). Processes alternate A/B, B/A; medians over repetitions.
 */
function recording() {
  const times = Object.fromEntries(CASES.map((c) => [c.id, { memory: [], file: [] }]));
  let backend = 'unknown';
  for (let rep = 0; rep < REPS; rep++) {
    for (const id of rep % 2 === 0 ? ['memory', 'file'] : ['file', 'memory']) {
      const result = runContestant(id);
      if (id === 'file') backend = result.backend;
      for (const testCase of CASES) times[testCase.id][id].push(result.ns[testCase.id]);
    }
    process.stderr.write('.');
  }
  const rows = CASES.map((testCase) => {
    const t = times[testCase.id];
    // Per repetition, then the median: both ran back to back, so machine noise mostly cancels.
    const ratio = median(t.file.map((ns, rep) => ns / t.memory[rep]));
    return [
      testCase.id,
      formatNs(median(t.memory)),
      formatNs(median(t.file)),
      `${ratio.toFixed(2)}×`,
      ratio <= TARGET ? 'yes' : 'NO',
      `${(spread(t.memory) * 100).toFixed(0)}% / ${(spread(t.file) * 100).toFixed(0)}%`,
    ];
  });
  return { backend, rows };
}

/** One flush of the fallback backend: the work its timer does each interval. */
function flushCost() {
  const m = metricsFor({ directory, backend: 'fallback', interval: 2 ** 31 - 1 });
  const children = Array.from({ length: FLUSH_SERIES }, (_, i) =>
    m.counter.labels({ method: 'GET', route: `/route/${i}`, status: '2XX' }),
  );
  const store = m.registry.store;
  if (typeof store.flush !== 'function') throw new Error('this build has no fallback file store to flush');
  store.flush();
  const measure = (change) => {
    const times = [];
    for (let rep = 0; rep < REPS * 20; rep++) {
      if (change) for (const child of children) child.inc();
      const start = process.hrtime.bigint();
      store.flush();
      times.push(Number(process.hrtime.bigint() - start));
    }
    return median(times);
  };
  measure(true);
  const changed = measure(true);
  const unchanged = measure(false);
  m.registry.close();
  return { changed, unchanged };
}

async function main() {
  console.error(`[bench] ${cpus().length} CPUs, Node ${process.version}, ${REPS} repetitions`);
  const { backend, rows } = recording();
  const flush = flushCost();
  process.stderr.write('\n');
  console.log(`\nRecording, storage: false vs mmstats files (backend "${backend}"), ns per call, medians:\n`);
  console.log(
    markdownTable(
      ['operation', 'storage: false', `files (${backend})`, 'ratio', `<= ${TARGET}x`, 'spread (mem / file)'],
      rows,
    ),
  );
  console.log(
    `\nFallback backend, one flush of ${FLUSH_SERIES} counter series (publish + two positional writes):\n`,
  );
  console.log(
    markdownTable(
      ['flush', 'median'],
      [
        [`all ${FLUSH_SERIES} series changed`, formatNs(flush.changed)],
        ['nothing changed', formatNs(flush.unchanged)],
      ],
    ),
  );
  if (backend !== 'mmap')
    console.log('\nNote: the native mmap binding is not built; the file column is the fallback.');
}

if (args.child !== undefined) {
  await runChild(args.child);
} else {
  try {
    await main();
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
}
