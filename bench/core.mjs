#!/usr/bin/env node
/**
 * Core micro-benchmark: @mmstats/core beside prom-client 15, in one run.
 *
 *   node bench/core.mjs            in-process, libraries alternating (the default)
 *   node bench/core.mjs --quick    fewer, shorter repetitions
 *   node bench/core.mjs --fork     every measurement in a fresh process (slower; no JIT or GC cross-talk)
 *   node bench/core.mjs --reps 9   repetitions (medians are over these)
 *
 * See bench/README.md for how to read the table.
 */
import { execFileSync } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { benchArgs } from './lib/args.mjs';
import { CASES, compileCase, createMetrics } from './lib/core-cases.mjs';
import { closeRegistries, probeFileStorage, removeTempDirectories, VARIANTS } from './lib/core-variants.mjs';
import { loadNote } from './lib/cpu.mjs';
import { compareExpositions } from './lib/exposition-compare.mjs';
import { ensureBuilt, ROOT } from './lib/packages.mjs';
import { median, spread } from './lib/stats.mjs';
import { formatNs, formatRatio, markdownTable } from './lib/table.mjs';
import { calibrate, collectGarbage, timeBatch, warmUp } from './lib/timing.mjs';

const { values: args } = benchArgs('bench/core.mjs', {
  options: {
    quick: { type: 'boolean', default: false },
    fork: { type: 'boolean', default: false },
    reps: { type: 'string' },
    child: { type: 'string' },
    pair: { type: 'string' },
    case: { type: 'string' },
  },
});
const REPS = Number(args.reps ?? (args.quick ? 7 : 15));
/**
 * Long enough that timer resolution and one stray GC do not matter, short enough that many
 * repetitions fit: on a shared machine many short paired batches beat a few long ones.
 */
const BATCH_MS = args.quick ? 25 : 40;
const RENDER_BATCH_MS = args.quick ? 150 : 250;
const WARM_MS = args.quick ? 150 : 400;
const sink = { value: 0 };

const batchMs = (testCase) => (testCase.render ? RENDER_BATCH_MS : BATCH_MS);

/** Order of contestants in repetition `rep`: rotated, so none always runs first or last. */
function rotation(variants, rep) {
  const shift = rep % variants.length;
  return [...variants.slice(shift), ...variants.slice(0, shift)];
}

async function checkSameRendering(metricsByVariant, oursId) {
  for (const key of ['render600', 'render6000']) {
    const ours = await metricsByVariant[oursId][key].metrics();
    const theirs = await metricsByVariant.prom[key].metrics();
    const result = compareExpositions(ours, theirs);
    if (!result.equal)
      throw new Error(`${key}: the two libraries render different data (${result.difference})`);
    console.error(`  ${key} (${oursId}): both libraries render the same ${result.count} samples`);
  }
}

/** Measures every case in this process; returns results[caseId][variantId] = ns per op, per rep. */
async function runInProcess(variants) {
  const metrics = Object.fromEntries(variants.map((v) => [v.id, createMetrics(v.lib, v.makeRegistry)]));
  await checkSameRendering(metrics, variants[0].id);
  const results = {};
  for (const testCase of CASES) {
    const fns = Object.fromEntries(variants.map((v) => [v.id, compileCase(testCase, metrics[v.id])]));
    for (const v of variants) await warmUp(fns[v.id], WARM_MS, sink);
    const counts = {};
    for (const v of variants) counts[v.id] = await calibrate(fns[v.id], batchMs(testCase), sink);
    results[testCase.id] = Object.fromEntries(variants.map((v) => [v.id, []]));
    for (let rep = 0; rep < REPS; rep++) {
      for (const v of rotation(variants, rep)) {
        collectGarbage();
        results[testCase.id][v.id].push(await timeBatch(fns[v.id], counts[v.id], sink));
      }
    }
    process.stderr.write('.');
  }
  process.stderr.write('\n');
  for (const v of variants) closeRegistries(metrics[v.id]);
  return results;
}

/** Child side of --fork: one case, one contestant, warm-up then three batches; prints the median. */
async function runChild(variantId, caseId) {
  const variant = VARIANTS[variantId];
  const testCase = CASES.find((c) => c.id === caseId);
  const metrics = createMetrics(variant.lib, variant.makeRegistry);
  const fn = compileCase(testCase, metrics);
  await warmUp(fn, WARM_MS, sink);
  const n = await calibrate(fn, batchMs(testCase), sink);
  const times = [];
  for (let i = 0; i < 3; i++) {
    collectGarbage();
    times.push(await timeBatch(fn, n, sink));
  }
  closeRegistries(metrics);
  process.stdout.write(JSON.stringify({ ns: median(times), sink: sink.value }));
}

/**
 * The default mode: one process per storage mode of ours, each timing that mode against
 * prom-client, alternating. Our two modes run the same library code, so in one process they would
 * share its type feedback (two kinds of buffer behind one `inc`) and slow each other down.
 */
function runPairs(oursVariants) {
  const results = Object.fromEntries(CASES.map((c) => [c.id, {}]));
  for (const v of oursVariants) {
    const childArgs = [process.argv[1], '--pair', v.id, '--reps', String(REPS)];
    if (args.quick) childArgs.push('--quick');
    const output = execFileSync(process.execPath, childArgs, {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const pair = JSON.parse(output);
    for (const c of CASES) {
      results[c.id][v.id] = pair[c.id][v.id];
      results[c.id][`prom@${v.id}`] = pair[c.id].prom;
    }
  }
  return results;
}

/** --fork: a fresh process per (repetition, case, contestant), contestants rotating. */
function runForked(variants) {
  const results = {};
  for (const testCase of CASES) {
    results[testCase.id] = Object.fromEntries(variants.map((v) => [v.id, []]));
    for (let rep = 0; rep < REPS; rep++) {
      for (const v of rotation(variants, rep)) {
        const childArgs = [process.argv[1], '--child', v.id, '--case', testCase.id];
        if (args.quick) childArgs.push('--quick');
        const output = execFileSync(process.execPath, childArgs, { encoding: 'utf8' });
        results[testCase.id][v.id].push(JSON.parse(output).ns);
      }
    }
    for (const v of variants) results[testCase.id][`prom@${v.id}`] = results[testCase.id].prom;
    process.stderr.write('.');
  }
  process.stderr.write('\n');
  return results;
}

/**
 * prom-client's time over ours, per repetition, then the median: both batches of a repetition ran
 * back to back, so a load spike from elsewhere on the machine mostly cancels out of their ratio.
 */
function pairedRatio(perRep, variantId) {
  return median(perRep[`prom@${variantId}`].map((theirs, rep) => theirs / perRep[variantId][rep]));
}

function verdict(testCase, ns, ratio) {
  const { target } = testCase;
  if (target.kind === 'absolute') return ns <= target.ns;
  if (target.kind === 'ratio') return ratio >= target.ratio;
  return undefined;
}

function resultCell(testCase, oursVariants, row, ratios) {
  const verdicts = oursVariants.map((v) => [v, verdict(testCase, row[v.id], ratios[v.id])]);
  if (verdicts.every(([, ok]) => ok === undefined)) return '—';
  const failed = verdicts.filter(([, ok]) => ok === false).map(([v]) => v.id);
  return failed.length === 0 ? 'pass' : `FAIL (${failed.join(', ')})`;
}

function printTable(variants, results) {
  const oursVariants = variants.filter((v) => v.id !== 'prom');
  const header = [
    'operation',
    ...variants.map((v) => `${v.title} (per op)`),
    ...oursVariants.map((v) => `ratio, ${v.id === 'file' ? 'file' : 'storage off'}`),
    'target',
    'result',
    'noise',
  ];
  const rows = CASES.map((testCase) => {
    const perRep = results[testCase.id];
    const proms = oursVariants.flatMap((v) => perRep[`prom@${v.id}`]);
    const row = Object.fromEntries(oursVariants.map((v) => [v.id, median(perRep[v.id])]));
    row.prom = median(proms);
    const ratios = Object.fromEntries(oursVariants.map((v) => [v.id, pairedRatio(perRep, v.id)]));
    const noise = Math.max(...oursVariants.map((v) => spread(perRep[v.id])), spread(proms));
    return [
      testCase.title,
      ...variants.map((v) => formatNs(row[v.id])),
      ...oursVariants.map((v) => formatRatio(ratios[v.id])),
      testCase.target.text,
      resultCell(testCase, oursVariants, row, ratios),
      `±${((noise * 100) / 2).toFixed(0)}%`,
    ];
  });
  console.log(`\n${markdownTable(header, rows)}\n`);
  console.log(
    'ratio = prom-client time / our time, the median of per-repetition ratios (higher is better for us).',
  );
  console.log('noise = half the (max − min) / median spread across repetitions, worst contestant.');
}

async function main() {
  if (args.child !== undefined) return runChild(args.child, args.case);
  if (args.pair !== undefined) {
    const results = await runInProcess([VARIANTS[args.pair], VARIANTS.prom]);
    process.stdout.write(JSON.stringify(results));
    return;
  }
  const state = ensureBuilt('core');
  const promVersion = execFileSync(process.execPath, ['-p', 'require("prom-client/package.json").version'], {
    cwd: ROOT,
    encoding: 'utf8',
  }).trim();
  const storage = probeFileStorage();
  const variants = [VARIANTS.memory, ...(storage.ok ? [VARIANTS.file] : []), VARIANTS.prom];
  console.log(`# @mmstats/core vs prom-client ${promVersion}`);
  console.log(`node ${process.version}, ${cpus()[0]?.model ?? 'unknown CPU'} × ${cpus().length}`);
  console.log(
    args.fork
      ? 'mode: a fresh process per measurement'
      : 'mode: one process per storage mode of ours, each alternating with prom-client',
  );
  console.log(`${REPS} repetitions, medians; batches of ~${BATCH_MS} ms (rendering ~${RENDER_BATCH_MS} ms)`);
  console.log(`core dist: ${state}; before: ${loadNote(loadavg(), cpus().length)}`);
  console.log(
    storage.ok
      ? `file storage: on in the "file" column (backend ${storage.backend}, a mkdtemp directory)`
      : `file storage: not measured; new Registry({ storage: { directory } }) is not writing files yet (${storage.reason})`,
  );
  const results = args.fork ? runForked(variants) : runPairs(variants.filter((v) => v.id !== 'prom'));
  printTable(variants, results);
  console.log(`after: ${loadNote(loadavg(), cpus().length)}`);
  if (!Number.isFinite(sink.value)) console.log('(sink overflowed)');
}

try {
  await main();
} finally {
  removeTempDirectories();
}
