#!/usr/bin/env node
/**
 * HTTP benchmark: Express 5, Fastify 5 and Koa 3, each bare, with our adapter and with the usual
 * alternative, in one run; autocannon on one CPU, the servers on another.
 *
 *   node bench/http.mjs           8 repetitions of 3 s windows over 2 sets of fresh servers, storage:false reference too (~8 min)
 *   node bench/http.mjs --quick   3 repetitions of 1.5 s windows, one set of servers, no storage:false reference (~2 min)
 *   node bench/http.mjs --only koa,fastify --reps 6 --sessions 3 --duration 4 --warmup 3 --connections 100
 *
 * See bench/README.md for how to read the table.
 */
import { createRequire } from 'node:module';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { benchArgs } from './lib/args.mjs';
import { loadNote, pickCores, pinProcess } from './lib/cpu.mjs';
import {
  checkRecording,
  drive,
  measureWindow,
  startFleet,
  stopAllFleets,
  stopFleet,
} from './lib/http-fleet.mjs';
import { buildState, ensureBuilt, ROOT } from './lib/packages.mjs';
import { median, spread } from './lib/stats.mjs';
import { markdownTable } from './lib/table.mjs';

const { values: args } = benchArgs('bench/http.mjs', {
  options: {
    quick: { type: 'boolean', default: false },
    reps: { type: 'string' },
    sessions: { type: 'string' },
    duration: { type: 'string' },
    warmup: { type: 'string' },
    connections: { type: 'string', default: '100' },
    only: { type: 'string' },
    memory: { type: 'boolean' },
    'no-memory': { type: 'boolean' },
  },
});
const REPS = Number(args.reps ?? (args.quick ? 3 : 8));
/**
 * Sets of fresh server processes per framework, the repetitions split between them. Two processes
 * running the same code differ by a few percent in CPU per request for their whole life (code and
 * heap layout): measured against bare, that offset looks like a cost, e.g. storage:false "costing"
 * µs more than file storage. Fresh sets average it out.
 */
const SESSIONS = Math.min(REPS, Number(args.sessions ?? (args.quick ? 1 : 2)));
const DURATION_S = Number(args.duration ?? (args.quick ? 1.5 : 3));
const WARMUP_S = Number(args.warmup ?? (args.quick ? 2 : 3));
/** Before each measured window, so the server is under load again when the window opens. */
const SETTLE_S = 0.5;
const CONNECTIONS = Number(args.connections);
/** The storage:false reference shows what file storage itself costs per request. */
const WITH_MEMORY = args['no-memory'] ? false : (args.memory ?? !args.quick);

const require = createRequire(join(ROOT, 'package.json'));
const version = (name) => require(`${name}/package.json`).version;

const FRAMEWORKS = [
  {
    id: 'express',
    title: `Express ${version('express')}`,
    alternative: `express-prom-bundle ${version('express-prom-bundle')}`,
  },
  {
    id: 'fastify',
    title: `Fastify ${version('fastify')}`,
    alternative: `fastify-metrics ${version('fastify-metrics')}`,
  },
  {
    id: 'koa',
    title: `Koa ${version('koa')}`,
    alternative: `prom-client ${version('prom-client')} middleware`,
  },
].filter((f) => args.only === undefined || args.only.split(',').includes(f.id));

function variantTitle(framework, variant) {
  if (variant === 'bare') return 'bare';
  if (variant === 'ours') return `@mmstats/${framework.id} (file storage)`;
  if (variant === 'ours-memory') return `@mmstats/${framework.id} (storage: false)`;
  return framework.alternative;
}

/** Our adapters are built by another part of the project: measure them only once they exist. */
function prepareAdapters() {
  const notes = [];
  const coreState = ensureBuilt('core');
  const available = {};
  for (const framework of FRAMEWORKS) {
    const state = coreState === 'fresh' ? ensureBuilt(framework.id) : buildState(framework.id);
    available[framework.id] = state === 'fresh';
    if (state !== 'fresh') notes.push(`@mmstats/${framework.id}: not measured (dist ${state}).`);
  }
  return { available, notes };
}

function variantsOf(framework, available) {
  const ours = available[framework.id] ? ['ours', ...(WITH_MEMORY ? ['ours-memory'] : [])] : [];
  return ['bare', ...ours, 'alternative'];
}

/** Order of variants in repetition `rep`: rotated, so none always follows the same neighbour. */
function rotation(list, rep) {
  const shift = rep % list.length;
  return [...list.slice(shift), ...list.slice(0, shift)];
}

function estimateSeconds(sessions) {
  // Without retries: a busy machine adds up to RETRIES more windows each.
  // Measured overheads: ~1.5 s to start a server, ~0.35 s of autocannon start and IPC per window.
  const perSession = (n) => SESSIONS * n * (WARMUP_S + 2) + REPS * n * (SETTLE_S + DURATION_S + 0.35);
  return sessions.reduce((total, s) => total + perSession(s.variants.length), 0);
}

function printPlan(cores, sessions, notes) {
  const seconds = estimateSeconds(sessions);
  console.log('# HTTP overhead: bare vs @mmstats vs the usual alternative');
  console.log(
    `node ${process.version}, autocannon ${version('autocannon')}, ${CONNECTIONS} connections, GET /users/:id`,
  );
  console.log(
    cores
      ? `servers pinned to CPU ${cores.server}, autocannon (and this script) to CPU ${cores.load} with taskset`
      : 'NOT pinned (taskset missing or fewer than 2 CPUs): expect more noise',
  );
  console.log(
    `per framework, ${SESSIONS} time(s): every variant's server started afresh and warmed ${WARMUP_S} s, then ` +
      `${REPS} repetitions in all, split between the sets, in which the variants take turns (rotating): ${SETTLE_S} s settling + ${DURATION_S} s measured`,
  );
  console.log(
    `estimated total: ${Math.ceil(seconds / 60)} min (${Math.round(seconds)} s), more if windows must be re-measured`,
  );
  console.log(`before: ${loadNote(loadavg(), cpus().length)}`);
  for (const note of notes) console.log(note);
}

function logRun(label, run) {
  const warn = run.non2xx + run.errors > 0 ? ` (${run.non2xx} non-2xx, ${run.errors} errors!)` : '';
  process.stderr.write(
    `${label}: ${Math.round(run.rps)} req/s, ${run.cpuPerRequest.toFixed(2)} µs CPU/req, ` +
      `server CPU share ${(run.cpuShare * 100).toFixed(0)}%${warn}\n`,
  );
}

/** Below this share of its CPU, a saturated server was sharing its CPU with something else. */
const FAIR_SHARE = 0.8;
const RETRIES = 2;
/** Retries left for the whole run (a third of the windows), so a busy machine cannot triple the time. */
let retryBudget = 0;

/**
 * A measured window, repeated (at most RETRIES more times) while the server got less than
 * FAIR_SHARE of its CPU: such a window measures the machine's other work, not the variant. The
 * window with the highest share is kept. Servers limited by the load generator (the fastest bare
 * ones can be) never reach the share either; they just cost the retries.
 */
async function measureFairly(fleet, variant, options, label) {
  let best = null;
  for (let attempt = 0; attempt <= RETRIES; attempt++) {
    const run = await measureWindow(fleet.load, fleet.servers.get(variant), options);
    logRun(attempt === 0 ? label : `${label} (retry ${attempt})`, run);
    if (best === null || run.cpuShare > best.cpuShare) best = { ...run, retries: attempt };
    if (run.cpuShare >= FAIR_SHARE || retryBudget === 0) break;
    retryBudget--;
  }
  return best;
}

/** One set of servers for a framework: start its fleet, warm every server, take turns over reps [from, to), check recording, stop. */
async function runSession({ framework, variants }, cores, runs, from, to) {
  const fleet = await startFleet(framework.id, variants, cores);
  const options = { connections: CONNECTIONS, settleS: SETTLE_S, seconds: DURATION_S };
  try {
    const live = variants.filter((v) => fleet.servers.get(v).error === null);
    for (const v of variants.filter((x) => !live.includes(x))) {
      runs.push({ framework: framework.id, variant: v, rep: from, failed: fleet.servers.get(v).error });
      process.stderr.write(`${framework.id} ${v}: FAILED to start: ${fleet.servers.get(v).error}\n`);
    }
    for (const v of live) await drive(fleet.load, fleet.servers.get(v).port, CONNECTIONS, WARMUP_S);
    for (let rep = from; rep < to; rep++) {
      for (const variant of rotation(live, rep)) {
        const label = `[${framework.id} rep ${rep + 1}/${REPS}] ${variant}`;
        const run = await measureFairly(fleet, variant, options, label);
        runs.push({ framework: framework.id, variant, rep, ...run });
      }
    }
    for (const v of live.filter((x) => x !== 'bare')) {
      const recording = await checkRecording(fleet.servers.get(v).port);
      for (const run of runs)
        if (run.framework === framework.id && run.variant === v && run.rep >= from && run.rep < to)
          run.recording = recording;
    }
  } finally {
    await stopFleet(fleet);
  }
}

/** Per repetition, this variant against bare of the same repetition; then the median. */
function paired(runs, framework, variant, of) {
  const deltas = [];
  for (const run of runs.filter((r) => r.framework === framework && r.variant === variant && !r.failed)) {
    const bare = runs.find(
      (r) => r.framework === framework && r.variant === 'bare' && r.rep === run.rep && !r.failed,
    );
    if (bare) deltas.push(of(run, bare));
  }
  return median(deltas);
}

function rowOf(runs, framework, variant) {
  const mine = runs.filter((r) => r.framework === framework.id && r.variant === variant && !r.failed);
  if (mine.length === 0) {
    const failure = runs.find((r) => r.framework === framework.id && r.variant === variant)?.failed ?? '';
    return [
      framework.title,
      variantTitle(framework, variant),
      'failed',
      '',
      '',
      '',
      '',
      failure.slice(0, 80),
      '',
      '',
    ];
  }
  const rps = median(mine.map((r) => r.rps));
  const cpu = median(mine.map((r) => r.cpuPerRequest));
  const lost = paired(runs, framework.id, variant, (r, b) => 1 - r.rps / b.rps);
  const added = paired(runs, framework.id, variant, (r, b) => r.cpuPerRequest - b.cpuPerRequest);
  const isOurs = variant.startsWith('ours');
  const notRecording = mine.some((r) => r.recording === false) ? ' — /metrics lacked the route!' : '';
  const pass = added <= 1 && lost <= 0.02;
  return [
    framework.title,
    variantTitle(framework, variant),
    String(Math.round(rps)),
    variant === 'bare' ? '—' : `${(lost * 100).toFixed(1)}%`,
    cpu.toFixed(2),
    variant === 'bare' ? '—' : `${added >= 0 ? '+' : ''}${added.toFixed(2)}`,
    isOurs ? '<= +1 µs, <= 2%' : '—',
    (isOurs ? (pass ? 'pass' : 'FAIL') : '—') + notRecording,
    `${(median(mine.map((r) => r.cpuShare)) * 100).toFixed(0)}%`,
    `±${((spread(mine.map((r) => r.cpuPerRequest)) * 100) / 2).toFixed(0)}%`,
  ];
}

function printTable(runs, sessions) {
  const header = [
    'framework',
    'variant',
    'req/s (median)',
    'req/s lost vs bare',
    'server CPU µs/req',
    'CPU µs added vs bare',
    'target',
    'result',
    'server CPU share',
    'noise',
  ];
  const rows = sessions.flatMap(({ framework, variants }) => variants.map((v) => rowOf(runs, framework, v)));
  console.log(`\n${markdownTable(header, rows)}\n`);
  console.log('lost and added: medians of per-repetition differences against bare of the same repetition.');
  console.log(
    'server CPU share: server CPU time / wall time in the window; well under 100% means the server did not ' +
      'have its CPU to itself (other work on the machine) or the load generator could not keep up.',
  );
  console.log('noise: half the (max − min) / median spread of server CPU µs/req across repetitions.');
  const retried = runs.filter((r) => r.retries > 0).length;
  const unfair = runs.filter((r) => r.cpuShare < FAIR_SHARE).length;
  console.log(
    `${retried} of ${runs.length} windows were re-measured because the server had under ${FAIR_SHARE * 100}% of its CPU; ` +
      `${unfair} still had under ${FAIR_SHARE * 100}% (at most ${RETRIES} retries per window, a third of the windows in all).`,
  );
}

async function main() {
  const cores = pickCores();
  if (cores) pinProcess(process.pid, cores.load);
  const { available, notes } = prepareAdapters();
  const sessions = FRAMEWORKS.map((framework) => ({ framework, variants: variantsOf(framework, available) }));
  retryBudget = Math.ceil((REPS * sessions.reduce((n, s) => n + s.variants.length, 0)) / 3);
  printPlan(cores, sessions, notes);
  const started = Date.now();
  const runs = [];
  for (const session of sessions) {
    for (let k = 0; k < SESSIONS; k++) {
      const from = Math.round((k * REPS) / SESSIONS);
      await runSession(session, cores, runs, from, Math.round(((k + 1) * REPS) / SESSIONS));
    }
  }
  printTable(runs, sessions);
  console.log(
    `took ${Math.round((Date.now() - started) / 1000)} s; after: ${loadNote(loadavg(), cpus().length)}`,
  );
}

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    process.stderr.write(`\n${signal}: stopping the servers and the load generator…\n`);
    stopAllFleets().finally(() => process.exit(130));
  });
}
await main();
