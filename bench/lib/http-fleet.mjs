import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pinned } from './cpu.mjs';
import { ROOT } from './packages.mjs';
import { startChild } from './processes.mjs';

/**
 * The processes of one framework's session in bench/http.mjs: one server per variant (all pinned
 * to the server CPU, all idle but the one under load) and one load generator on the other CPU.
 * Keeping them up for the whole session lets the variants take turns in short windows, so that
 * each repetition compares variants measured seconds apart, not minutes.
 */
const active = new Set();

/**
 * `ours@/path/to/checkout` serves variant `ours` from another checkout (its own builds), for an
 * A/B of two versions of the code; a plain name serves this checkout's.
 */
export function splitVariant(variant) {
  const at = variant.indexOf('@');
  return at < 0 ? { name: variant, root: ROOT } : { name: variant.slice(0, at), root: variant.slice(at + 1) };
}

export async function startFleet(framework, variants, cores) {
  const servers = new Map();
  const fleet = { servers, load: null };
  active.add(fleet);
  for (const variant of variants) {
    const dir = mkdtempSync(join(tmpdir(), 'mmstats-bench-http-'));
    const env = { ...process.env, MMSTATS_PATH: dir, NODE_ENV: 'production' };
    const { name, root } = splitVariant(variant);
    const app = join(root, 'bench', 'apps', `${framework}.mjs`);
    const { command, args } = pinned(cores?.server, process.execPath, [app, name]);
    const child = startChild(command, args, { env, cwd: root });
    try {
      const { port } = await child.expect('ready', 20_000);
      servers.set(variant, { child, port, dir, error: null });
    } catch (error) {
      await child.stop();
      rmSync(dir, { recursive: true, force: true });
      servers.set(variant, { child: null, port: 0, dir: null, error: error.message });
    }
  }
  const { command, args } = pinned(cores?.load, process.execPath, [join(ROOT, 'bench', 'lib', 'load.mjs')]);
  fleet.load = startChild(command, args, { cwd: ROOT });
  return fleet;
}

/** Stops every process of the fleet by its PID and removes the servers' mmstats directories. */
export async function stopFleet(fleet) {
  active.delete(fleet);
  await fleet.load?.stop();
  for (const server of fleet.servers.values()) {
    await server.child?.stop();
    if (server.dir) rmSync(server.dir, { recursive: true, force: true });
  }
}

/** Puts `seconds` of load on a server and returns autocannon's figures. */
export async function drive(load, port, connections, seconds) {
  load.send({ type: 'run', port, connections, seconds });
  return load.expect('done', (seconds + 30) * 1000);
}

/**
 * One measured window: a short settling run (reconnects, lets the server pick up where it left
 * off), then the marked run; the server reports its CPU time and the requests it served.
 */
export async function measureWindow(load, server, { connections, settleS, seconds }) {
  if (settleS > 0) await drive(load, server.port, connections, settleS);
  server.child.send({ type: 'mark' });
  await server.child.expect('marked', 5000);
  const result = await drive(load, server.port, connections, seconds);
  server.child.send({ type: 'report' });
  const report = await server.child.expect('report', 5000);
  return {
    ...result,
    cpuUs: report.cpuUs,
    served: report.requests,
    cpuPerRequest: report.cpuUs / report.requests,
    /** The same split: user, system, and the main thread's own (null where unknown). */
    userPerRequest: report.userUs / report.requests,
    systemPerRequest: report.systemUs / report.requests,
    mainPerRequest: report.mainUs === null ? null : report.mainUs / report.requests,
    /** Minor page faults and involuntary context switches per 1,000 requests. */
    faultsPerKilo: (report.minorFaults * 1000) / report.requests,
    preemptionsPerKilo: (report.involuntarySwitches * 1000) / report.requests,
    cpuShare: report.cpuUs / (report.wallMs * 1000),
  };
}

/** Confirms a server really records: its exposition mentions the route. */
export async function checkRecording(port) {
  try {
    const response = await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(5000) });
    const body = await response.text();
    return response.ok && body.includes('/users/');
  } catch {
    return false;
  }
}

/** Stops every fleet still running (on Ctrl-C), so no server, load generator or directory is left. */
export async function stopAllFleets() {
  for (const fleet of [...active]) await stopFleet(fleet);
}
