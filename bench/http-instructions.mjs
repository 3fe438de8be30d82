/**
 * Instructions per request, counted by Valgrind (callgrind), for variants of one framework's
 * bench app. Time on this machine swings by several µs per request between runs; instruction
 * counts do not, so they tell how much work a variant adds, apart from what the CPU's caches and
 * the scheduler make of it. Each run starts one server under callgrind with counting off, warms
 * it up, then counts the server's main thread over a fixed number of requests; the variants take
 * turns, the order rotating each repetition.
 *
 *   node bench/http-instructions.mjs koa bare ours                     ~5 min
 *   node bench/http-instructions.mjs express bare ours ours-memory --reps 2
 *   node bench/http-instructions.mjs koa bare ours --functions        where the difference is
 *   node bench/http-instructions.mjs koa bare ours --cache            simulated cache misses too
 *   node bench/http-instructions.mjs koa bare ours --callers StoreIC  who calls these functions
 *
 * Under callgrind a request takes tens of times longer, so work driven by timers (file storage's
 * publish, GC idle tasks) lands on that many times fewer requests than at full speed: `ours-memory`
 * (storage: false) shows how much of a difference that is. Needs `valgrind` and
 * `callgrind_control` (Debian package valgrind); the servers bind 127.0.0.1 and stop by their PID.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { appArguments } from './lib/app-variants.mjs';
import { benchArgs } from './lib/args.mjs';
import { readCallgrind, readTotals } from './lib/callgrind.mjs';
import { splitVariant } from './lib/http-fleet.mjs';
import { ensureBuilt } from './lib/packages.mjs';
import { startChild } from './lib/processes.mjs';
import { median } from './lib/stats.mjs';
import { userRequests } from './lib/user-requests.mjs';

const { values: args, positionals } = benchArgs('bench/http-instructions.mjs', {
  allowPositionals: true,
  options: {
    reps: { type: 'string', default: '3' },
    warmup: { type: 'string', default: '10000' },
    requests: { type: 'string', default: '10000' },
    connections: { type: 'string', default: '10' },
    functions: { type: 'boolean', default: false },
    cache: { type: 'boolean', default: false },
    callers: { type: 'string', multiple: true, default: [] },
  },
});
const parsed = appArguments(
  positionals,
  { min: 1 },
  'node bench/http-instructions.mjs <express|fastify|koa> <variant>... [--reps N] [--warmup N] [--requests N] [--connections N] [--functions] [--cache] [--callers NAME]...',
);
if (parsed === null) process.exit(2);
const { framework, variants } = parsed;
const REPS = Number(args.reps);
const WARMUP = Number(args.warmup);
const REQUESTS = Number(args.requests);
const CONNECTIONS = Number(args.connections);
const CALLERS = args.callers;
const FUNCTIONS = args.functions || CALLERS.length > 0;
const CACHE = args.cache;
/** Callgrind's simulated cache events, summed into what the report shows. */
const MISSES = {
  'L1 instruction misses': ['I1mr'],
  'L1 data misses': ['D1mr', 'D1mw'],
  'last-level misses': ['ILmr', 'DLmr', 'DLmw'],
};

for (const tool of ['valgrind', 'callgrind_control']) {
  try {
    execFileSync(tool, ['--version'], { stdio: 'ignore' });
  } catch {
    console.error(`bench/http-instructions.mjs needs ${tool}: apt-get install valgrind`);
    process.exit(2);
  }
}
for (const pkg of ['core', framework]) ensureBuilt(pkg);

/** Exactly `amount` requests to the bench route (see lib/user-requests.mjs). */
async function load(port, amount) {
  const result = await autocannon({
    url: `http://127.0.0.1:${port}`,
    connections: CONNECTIONS,
    amount,
    requests: userRequests(),
  });
  if (result.errors > 0 || result.non2xx > 0)
    throw new Error(`load on port ${port}: ${result.errors} errors, ${result.non2xx} non-2xx responses`);
}

function callgrind(pid, ...command) {
  execFileSync('callgrind_control', [...command, String(pid)], { stdio: 'ignore', timeout: 60_000 });
}

/**
 * Main-thread instructions per request of one fresh server of `variant`, and with --functions
 * its instructions by function (see lib/callgrind.mjs).
 */
async function countOnce(variant) {
  const dir = mkdtempSync(join(tmpdir(), 'mmstats-bench-instructions-'));
  const env = { ...process.env, MMSTATS_PATH: dir, NODE_ENV: 'production' };
  const { name, root } = splitVariant(variant);
  const app = join(root, 'bench', 'apps', `${framework}.mjs`);
  const child = startChild(
    'valgrind',
    [
      '--tool=callgrind',
      '--instr-atstart=no',
      '--separate-threads=yes',
      ...(CACHE ? ['--cache-sim=yes'] : []),
      `--callgrind-out-file=${join(dir, 'cg.%p')}`,
      process.execPath,
      ...(FUNCTIONS ? ['--perf-basic-prof'] : []),
      app,
      name,
    ],
    { env, cwd: root },
  );
  try {
    const { port } = await child.expect('ready', 300_000);
    await load(port, WARMUP);
    callgrind(child.pid, '-i', 'on');
    callgrind(child.pid, '-z');
    child.send({ type: 'mark' });
    await child.expect('marked', 60_000);
    await load(port, REQUESTS);
    child.send({ type: 'report' });
    const { requests } = await child.expect('report', 60_000);
    callgrind(child.pid, '-d');
    if (requests !== REQUESTS)
      throw new Error(`${variant}: the route served ${requests} of ${REQUESTS} requests`);
    // Thread 1 of the first dump: V8's compiler and GC helper threads are left out on purpose,
    // their share depends on timing (and so on valgrind's slowdown) more than on our code.
    const file = join(dir, `cg.${child.pid}.1-01`);
    const totals = readTotals(file);
    const misses = Object.fromEntries(
      Object.entries(MISSES).map(([label, events]) => [
        label,
        events.reduce((sum, e) => sum + (totals.get(e) ?? 0), 0) / requests,
      ]),
    );
    const profile = FUNCTIONS
      ? readCallgrind(file, perfMap(child.pid), CACHE ? ['Ir', 'I1mr'] : ['Ir'])
      : null;
    return { ir: totals.get('Ir') / requests, misses, profile, requests };
  } finally {
    await child.stop(10_000);
    rmSync(dir, { recursive: true, force: true });
    if (FUNCTIONS) rmSync(perfMap(child.pid), { force: true });
  }
}

/** Where `node --perf-basic-prof` writes its map of JIT code (always /tmp, by Linux perf's rule). */
function perfMap(pid) {
  return `/tmp/perf-${pid}.map`;
}

const perVariant = new Map(variants.map((v) => [v, []]));
const missesOf = new Map(variants.map((v) => [v, []]));
const lastProfile = new Map();
for (let rep = 0; rep < REPS; rep++) {
  const order = variants.map((_, i) => variants[(i + rep) % variants.length]);
  for (const variant of order) {
    const { ir, misses, profile, requests } = await countOnce(variant);
    perVariant.get(variant).push(ir);
    missesOf.get(variant).push(misses);
    if (profile !== null) lastProfile.set(variant, { profile, requests });
    console.log(`rep ${rep + 1}/${REPS} ${framework} ${variant}: ${Math.round(ir)} instructions per request`);
  }
}

const base = variants[0];
const baseRuns = perVariant.get(base);
console.log(
  `\n${framework}, main-thread instructions per request (median of ${REPS}; added: median of per-repetition differences against ${base})`,
);
for (const variant of variants) {
  const runs = perVariant.get(variant);
  const added = median(runs.map((ir, i) => ir - baseRuns[i]));
  const share = (added / median(baseRuns)) * 100;
  console.log(
    `  ${variant.padEnd(26)} ${String(Math.round(median(runs))).padStart(8)}` +
      (variant === base
        ? ''
        : `   added ${added >= 0 ? '+' : ''}${Math.round(added)} (${share >= 0 ? '+' : ''}${share.toFixed(1)}%)`) +
      `   runs: ${runs.map((r) => Math.round(r)).join(', ')}`,
  );
}

if (CACHE) printMisses();
if (FUNCTIONS) printFunctions('Ir', 'own instructions');
if (FUNCTIONS && CACHE) printFunctions('I1mr', 'own L1 instruction misses');
for (const callee of CALLERS) printCallers(callee);

/**
 * Callgrind's simulated misses (its own model of a two-level cache, not this CPU's): code a
 * variant adds can also push the framework's own code out of the instruction cache, which costs
 * time that no instruction count shows.
 */
function printMisses() {
  console.log(
    `\n${framework}, simulated cache misses per request (median of ${REPS}; added against ${base})`,
  );
  for (const label of Object.keys(MISSES)) {
    const baseRuns = missesOf.get(base).map((m) => m[label]);
    console.log(`  ${label}`);
    for (const variant of variants) {
      const runs = missesOf.get(variant).map((m) => m[label]);
      const added = median(runs.map((n, i) => n - baseRuns[i]));
      console.log(
        `    ${variant.padEnd(24)} ${median(runs).toFixed(0).padStart(8)}` +
          (variant === base ? '' : `   added ${added >= 0 ? '+' : ''}${added.toFixed(0)}`),
      );
    }
  }
}

/** Per variant, the functions that call any function whose name contains `callee`, and at what cost. */
function printCallers(callee) {
  for (const variant of variants) {
    const { profile, requests } = lastProfile.get(variant);
    const byCaller = [];
    for (const [fn, callees] of profile.Ir.calls) {
      let cost = 0;
      for (const [name, c] of callees) if (name.includes(callee)) cost += c;
      if (cost / requests >= 10) byCaller.push([fn, cost / requests]);
    }
    byCaller.sort((a, b) => b[1] - a[1]);
    console.log(`\n${variant}: callers of *${callee}*, instructions per request in those calls`);
    for (const [fn, cost] of byCaller.slice(0, 15))
      console.log(`  ${String(Math.round(cost)).padStart(7)}  ${fn.slice(0, 140)}`);
  }
}

/**
 * From each variant's last repetition: the functions whose own instructions differ most from the
 * first variant's, and our packages' functions with what they cost, callees included. Inlining
 * differs between runs, so a function can move its cost into a caller: read the totals first.
 */
function printFunctions(event, what) {
  // Misses are a few per function and request: show them with a decimal, and list smaller ones.
  const digits = event === 'Ir' ? 0 : 1;
  const least = event === 'Ir' ? 20 : 1;
  const perRequest = (n, requests) => (n / requests).toFixed(digits);
  const { profile: baseProfiles, requests: baseRequests } = lastProfile.get(base);
  const baseProfile = baseProfiles[event];
  for (const variant of variants.slice(1)) {
    const { profile: profiles, requests } = lastProfile.get(variant);
    const profile = profiles[event];
    const names = new Set([...profile.self.keys(), ...baseProfile.self.keys()]);
    const diffs = [...names]
      .map((fn) => [
        fn,
        (profile.self.get(fn) ?? 0) / requests - (baseProfile.self.get(fn) ?? 0) / baseRequests,
      ])
      .sort((a, b) => Math.abs(b[1]) - Math.abs(a[1]))
      .slice(0, 25);
    console.log(`\n${variant} against ${base}, ${what} per request, largest differences:`);
    for (const [fn, d] of diffs)
      console.log(`  ${(d >= 0 ? '+' : '') + d.toFixed(digits)}`.padEnd(10) + fn.slice(0, 150));
    console.log(`\n${variant}: functions of packages/*/dist, ${event} per request (own + callees = total):`);
    for (const [fn, own] of profile.self) {
      if (!fn.includes('/packages/')) continue;
      const callees = [...(profile.calls.get(fn) ?? new Map())].sort((a, b) => b[1] - a[1]);
      const total = own + callees.reduce((sum, [, cost]) => sum + cost, 0);
      if (total / requests < least) continue;
      console.log(
        `  ${perRequest(own, requests)} + ${perRequest(total - own, requests)} = ${perRequest(total, requests)}  ${fn.slice(0, 130)}`,
      );
      for (const [callee, cost] of callees.slice(0, 4))
        if (cost / requests >= least)
          console.log(`      ${perRequest(cost, requests)} in ${callee.slice(0, 120)}`);
    }
  }
}
