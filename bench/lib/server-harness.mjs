/**
 * The server side of bench/http.mjs, shared by bench/apps/*.mjs. The app counts the requests its
 * route served (one increment in the handler: counting through a 'request' listener would itself
 * cost every variant a little); the orchestrator talks to the server over IPC:
 *   -> { type: 'mark' }    start of the measured window   <- { type: 'marked' }
 *   -> { type: 'report' }  end of it                      <- { type: 'report', cpuUs, userUs, systemUs, mainUs, minorFaults,
 *                                                           involuntarySwitches, requests, wallMs }
 *   -> { type: 'stop' }    close the server and exit
 * CPU time is process.cpuUsage() (user + system, every thread) over the window; the report also
 * splits it into user and system time and gives the main thread's own share (from the kernel's
 * schedstat for that thread), so that work on V8's helper threads (GC, compilation) shows apart.
 */
import { readFileSync } from 'node:fs';
import { appVariants, IMPORT_PROBES } from './app-variants.mjs';

export const served = { count: 0 };

/** The variant this server was started as (`bare`, `ours`, `ours-memory`, `alternative`). */
export const variant = process.argv[2] ?? 'bare';

/** The variants every app installs our adapter in, by their `storage` option (undefined: files). */
const OUR_STORAGE = { ours: undefined, 'ours-memory': false, 'probe-observe': false };

/**
 * The options to install our adapter with in this variant, or null when the variant does not
 * install it; `ownStorage` adds an app's own probes the same way. Process metrics are off in all
 * of them, as for the alternatives. `probe-observe` (bench/README.md) is `ours-memory` recording
 * nothing: `begin()` returns 0 and `end()` returns at once, so what is left is what observing a
 * request costs: the adapter's hooks, the end-of-response detection, and reading the route and
 * method that `end()` would have been given.
 */
export async function ourOptions(ownStorage = {}) {
  const table = { ...OUR_STORAGE, ...ownStorage };
  if (!Object.hasOwn(table, variant)) return null;
  if (variant === 'probe-observe') {
    const { HttpMetrics } = await import('@mmstats/core/http');
    HttpMetrics.prototype.begin = () => 0;
    HttpMetrics.prototype.end = () => {};
  }
  const storage = table[variant];
  return { processMetrics: false, ...(storage === undefined ? {} : { storage }) };
}

/** Loads the library of an import probe variant; false when this variant is not one. */
export async function importProbe() {
  const specifier = IMPORT_PROBES[variant];
  if (specifier === undefined) return false;
  globalThis.unusedLibrary = await import(specifier);
  return true;
}

export function unknownVariant(framework) {
  return new Error(
    `bench/apps/${framework}.mjs: unknown variant "${variant}"; use ${appVariants(framework).join(', ')}.`,
  );
}

/** CPU time of the main thread so far, in µs, or null where /proc has no schedstat. */
function mainThreadUs() {
  try {
    const text = readFileSync(`/proc/self/task/${process.pid}/schedstat`, 'utf8');
    return Number(text.split(' ')[0]) / 1000;
  } catch {
    return null;
  }
}

/** Reports `port` to the orchestrator, then answers its messages until told to stop. */
export function runHarness(port, close) {
  if (typeof process.send !== 'function') {
    // Started by hand (e.g. under `node --cpu-prof`): exit cleanly on Ctrl-C or kill, so the
    // profile is written.
    console.log(`listening on http://127.0.0.1:${port} (no IPC channel: started by hand)`);
    for (const signal of ['SIGINT', 'SIGTERM'])
      process.once(signal, () => close().then(() => process.exit(0)));
    return;
  }
  let mark = null;
  // If the orchestrator dies, its channel closes: never outlive it.
  process.on('disconnect', () => process.exit(0));
  process.on('message', async (message) => {
    if (message.type === 'mark') {
      mark = {
        cpu: process.cpuUsage(),
        mainUs: mainThreadUs(),
        usage: process.resourceUsage(),
        requests: served.count,
        time: process.hrtime.bigint(),
      };
      process.send({ type: 'marked' });
    } else if (message.type === 'report') {
      const cpu = process.cpuUsage(mark.cpu);
      const mainUs = mainThreadUs();
      const usage = process.resourceUsage();
      process.send({
        type: 'report',
        cpuUs: cpu.user + cpu.system,
        userUs: cpu.user,
        systemUs: cpu.system,
        mainUs: mainUs === null || mark.mainUs === null ? null : mainUs - mark.mainUs,
        minorFaults: usage.minorPageFault - mark.usage.minorPageFault,
        involuntarySwitches: usage.involuntaryContextSwitches - mark.usage.involuntaryContextSwitches,
        requests: served.count - mark.requests,
        wallMs: Number(process.hrtime.bigint() - mark.time) / 1e6,
      });
    } else if (message.type === 'stop') {
      await close();
      process.exit(0);
    }
  });
  process.send({ type: 'ready', port });
}

/** Listens on 127.0.0.1, an ephemeral port, and runs the harness for a Node http server. */
export function serveHttp(server) {
  server.listen(0, '127.0.0.1', () => {
    runHarness(server.address().port, () => new Promise((resolve) => server.close(resolve)));
  });
  // Keep-alive sockets from autocannon would hold close() open.
  server.keepAliveTimeout = 5000;
}
