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
 *
 * Under callgrind a request takes tens of times longer, so work driven by timers (file storage's
 * publish, GC idle tasks) lands on that many times fewer requests than at full speed: `ours-memory`
 * (storage: false) shows how much of a difference that is. Needs `valgrind` and
 * `callgrind_control` (Debian package valgrind); the servers bind 127.0.0.1 and stop by their PID.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { appArguments } from './lib/app-variants.mjs';
import { readCallgrind } from './lib/callgrind.mjs';
import { ensureBuilt, ROOT } from './lib/packages.mjs';
import { startChild } from './lib/processes.mjs';
import { median } from './lib/stats.mjs';
import { userRequests } from './lib/user-requests.mjs';

const { values: args, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    reps: { type: 'string', default: '3' },
    warmup: { type: 'string', default: '10000' },
    requests: { type: 'string', default: '10000' },
    connections: { type: 'string', default: '10' },
    functions: { type: 'boolean', default: false },
  },
});
const parsed = appArguments(
  positionals,
  { min: 1 },
  'node bench/http-instructions.mjs <express|fastify|koa> <variant>... [--reps N] [--warmup N] [--requests N] [--connections N] [--functions]',
);
if (parsed === null) process.exit(2);
const { framework, variants } = parsed;
const REPS = Number(args.reps);
const WARMUP = Number(args.warmup);
const REQUESTS = Number(args.requests);
const CONNECTIONS = Number(args.connections);
const FUNCTIONS = args.functions;

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
  const app = join(ROOT, 'bench', 'apps', `${framework}.mjs`);
  const child = startChild(
    'valgrind',
    [
      '--tool=callgrind',
      '--instr-atstart=no',
      '--separate-threads=yes',
      `--callgrind-out-file=${join(dir, 'cg.%p')}`,
      process.execPath,
      ...(FUNCTIONS ? ['--perf-basic-prof'] : []),
      app,
      variant,
    ],
    { env, cwd: ROOT },
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
    const summary = /^summary: (\d+)$/m.exec(readFileSync(file, 'utf8'));
    if (summary === null) throw new Error(`${variant}: no summary line in callgrind's output`);
    const profile = FUNCTIONS ? readCallgrind(file, perfMap(child.pid)) : null;
    return { ir: Number(summary[1]) / requests, profile, requests };
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
const lastProfile = new Map();
for (let rep = 0; rep < REPS; rep++) {
  const order = variants.map((_, i) => variants[(i + rep) % variants.length]);
  for (const variant of order) {
    const { ir, profile, requests } = await countOnce(variant);
    perVariant.get(variant).push(ir);
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

if (FUNCTIONS) printFunctions();

/**
 * From each variant's last repetition: the functions whose own instructions differ most from the
 * first variant's, and our packages' functions with what they cost, callees included. Inlining
 * differs between runs, so a function can move its cost into a caller: read the totals first.
 */
function printFunctions() {
  const perRequest = (n, requests) => Math.round(n / requests);
  const { profile: baseProfile, requests: baseRequests } = lastProfile.get(base);
  for (const variant of variants.slice(1)) {
    const { profile, requests } = lastProfile.get(variant);
    const names = new Set([...profile.self.keys(), ...baseProfile.self.keys()]);
    const diffs = [...names]
      .map((fn) => [
        fn,
        (profile.self.get(fn) ?? 0) / requests - (baseProfile.self.get(fn) ?? 0) / baseRequests,
      ])
      .sort((a, b) => Math.abs(b[1]) - Math.abs(a[1]))
      .slice(0, 25);
    console.log(`\n${variant} against ${base}, own instructions per request, largest differences:`);
    for (const [fn, d] of diffs)
      console.log(`  ${(d >= 0 ? '+' : '') + Math.round(d)}`.padEnd(10) + fn.slice(0, 150));
    console.log(`\n${variant}: functions of packages/*/dist, per request (own + callees = total):`);
    for (const [fn, own] of profile.self) {
      if (!fn.includes('/packages/')) continue;
      const callees = [...(profile.calls.get(fn) ?? new Map())].sort((a, b) => b[1] - a[1]);
      const total = own + callees.reduce((sum, [, cost]) => sum + cost, 0);
      if (total / requests < 20) continue;
      console.log(
        `  ${perRequest(own, requests)} + ${perRequest(total - own, requests)} = ${perRequest(total, requests)}  ${fn.slice(0, 130)}`,
      );
      for (const [callee, cost] of callees.slice(0, 4))
        if (cost / requests >= 20)
          console.log(`      ${perRequest(cost, requests)} in ${callee.slice(0, 120)}`);
    }
  }
}
