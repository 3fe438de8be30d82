#!/usr/bin/env node
/**
 * Paired HTTP benchmark: two variants of one framework's bench app served at the same time, on the
 * same CPU, each under its own load generator, so whatever else the machine does hits both alike.
 * Each session starts a fresh pair of server processes (the one started first alternates): two
 * processes running the same code differ by a few percent for their whole life, so only many
 * sessions average that offset out. Prints the mean difference of server CPU per request (B − A)
 * with its standard error over sessions, then that difference split into user and system time and
 * into the main thread's own and the other threads' (GC and compiler helpers).
 *
 *   node bench/http-pair.mjs koa bare ours                 24 sessions (~4 min)
 *   node bench/http-pair.mjs koa bare bare --sessions 30    A/A: what "no difference" looks like
 *   node bench/http-pair.mjs koa ours@/tmp/old ours        A/B: "ours" of another built checkout
 *   node bench/http-pair.mjs fastify bare ours --sessions 16 --reps 2 --duration 2 --connections 50
 *
 * Both servers share one CPU, so each gets about half of it and CPU per request reads higher than
 * in bench/http.mjs (more cache contention); compare differences within one run.
 */
import { appArguments } from './lib/app-variants.mjs';
import { benchArgs } from './lib/args.mjs';
import { pickCores } from './lib/cpu.mjs';
import { measureWindow, startFleet, stopAllFleets, stopFleet } from './lib/http-fleet.mjs';
import { ensureBuilt } from './lib/packages.mjs';
import { describe, mean, median } from './lib/stats.mjs';

const { values: args, positionals } = benchArgs('bench/http-pair.mjs', {
  allowPositionals: true,
  options: {
    sessions: { type: 'string', default: '24' },
    reps: { type: 'string', default: '2' },
    duration: { type: 'string', default: '2' },
    connections: { type: 'string', default: '50' },
    'warmup-runs': { type: 'string', default: '4' },
  },
});
const parsed = appArguments(
  positionals,
  { min: 2, max: 2 },
  'node bench/http-pair.mjs <express|fastify|koa> <variant A> <variant B> [--sessions N] [--reps N] [--duration S] [--connections N] [--warmup-runs N]',
);
if (parsed === null) process.exit(2);
const {
  framework,
  variants: [a, b],
} = parsed;
const SESSIONS = Number(args.sessions);
const REPS = Number(args.reps);
const DURATION_S = Number(args.duration);
const CONNECTIONS = Number(args.connections);
const WARMUP_RUNS = Number(args['warmup-runs']);
const cores = pickCores() ?? undefined;

for (const pkg of ['core', framework]) ensureBuilt(pkg);
process.once('SIGINT', () => stopAllFleets().then(() => process.exit(130)));

/**
 * Both servers measured over the same window (see measureWindow), started together; `flip` starts
 * B's load a moment before A's instead of after, so that neither variant always goes first.
 */
async function window(pair, seconds, flip = false) {
  const settings = { connections: CONNECTIONS, settleS: 0.5, seconds };
  const order = flip ? [pair[1], pair[0]] : pair;
  const results = await Promise.all(order.map((p) => measureWindow(p.load, p.server, settings)));
  return flip ? [results[1], results[0]] : results;
}

/** Per-request CPU by where it was spent: the total, then its parts (see server-harness.mjs). */
const PARTS = {
  total: (r) => r.cpuPerRequest,
  user: (r) => r.userPerRequest,
  system: (r) => r.systemPerRequest,
  'main thread': (r) => r.mainPerRequest,
  'other threads': (r) => (r.mainPerRequest === null ? null : r.cpuPerRequest - r.mainPerRequest),
};
const signed = (x) => `${x >= 0 ? '+' : ''}${x.toFixed(2)}`;

/** Session means of B − A, by part, and every window's value of A (for scale). */
const sessionDiffs = Object.fromEntries(Object.keys(PARTS).map((part) => [part, []]));
const valuesOfA = Object.fromEntries(Object.keys(PARTS).map((part) => [part, []]));
for (let session = 0; session < SESSIONS; session++) {
  const order = session % 2 === 0 ? [a, b] : [b, a];
  const fleets = [];
  try {
    for (const variant of order) fleets.push(await startFleet(framework, [variant], cores));
    const pair = [a, b].map((variant, i) => {
      const fleet = fleets[order[0] === a ? i : 1 - i];
      const server = fleet.servers.get(variant);
      if (server.error !== null) throw new Error(`${framework} ${variant}: ${server.error}`);
      return { load: fleet.load, server };
    });
    // Warm-up, not counted: several load runs, each closing its connections at the end. The first
    // time a server's connections close, V8 deoptimizes Node's socket and stream code (~30
    // functions, "wrong map" and code dependencies, seen with --trace-deopt) and optimizes it again
    // over the next runs; with a single warm-up run that recompilation fell into the measured
    // windows.
    for (let run = 0; run < WARMUP_RUNS; run++) await window(pair, 1, run % 2 === 1);
    const diffs = Object.fromEntries(Object.keys(PARTS).map((part) => [part, []]));
    for (let rep = 0; rep < REPS; rep++) {
      const [ra, rb] = await window(pair, DURATION_S, (session + rep) % 2 === 1);
      for (const [part, of] of Object.entries(PARTS)) {
        const va = of(ra);
        const vb = of(rb);
        if (va !== null && vb !== null) {
          diffs[part].push(vb - va);
          valuesOfA[part].push(va);
        }
      }
      console.log(
        `session ${session + 1}/${SESSIONS} rep ${rep + 1}: ${a} ${ra.cpuPerRequest.toFixed(2)} µs/req, ${b} ${rb.cpuPerRequest.toFixed(2)} µs/req, B − A ${(rb.cpuPerRequest - ra.cpuPerRequest).toFixed(2)} µs (user ${signed(rb.userPerRequest - ra.userPerRequest)}, main thread ${rb.mainPerRequest === null || ra.mainPerRequest === null ? '?' : signed(rb.mainPerRequest - ra.mainPerRequest)}); req ratio B/A ${(rb.served / ra.served).toFixed(3)}; minor faults per 1k requests ${ra.faultsPerKilo.toFixed(1)} / ${rb.faultsPerKilo.toFixed(1)}`,
      );
    }
    for (const [part, values] of Object.entries(diffs)) {
      if (values.length > 0) sessionDiffs[part].push(mean(values));
    }
  } finally {
    for (const fleet of fleets) await stopFleet(fleet);
  }
}

const total = describe(sessionDiffs.total);
console.log(
  `\n${framework}: ${b} − ${a}, server CPU per request over ${total.n} sessions: mean ${signed(total.mean)} µs ± ${total.se.toFixed(2)} (standard error), median ${total.median.toFixed(2)} µs, session sd ${total.sd.toFixed(2)}`,
);
for (const part of Object.keys(PARTS).slice(1)) {
  if (sessionDiffs[part].length === 0) continue;
  const s = describe(sessionDiffs[part]);
  console.log(
    `  of which ${part}: ${signed(s.mean)} µs ± ${s.se.toFixed(2)} (${a}: median ${median(valuesOfA[part]).toFixed(2)} µs)`,
  );
}
