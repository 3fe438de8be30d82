import { isMainThread } from 'node:worker_threads';
import { onExit } from 'signal-exit';

/**
 * What runs when the process ends. `signal-exit` (v4, npm's own) is the one hook for every way out:
 * `exit()`, the event loop running dry, and the signals that end a Node process by default
 * (SIGINT, SIGTERM, SIGHUP, …). On such a signal it runs our hook only when the application has
 * no listener of its own for it, and then re-sends the signal to the process, so the process ends
 * by that signal as it would have without us. When the application listens itself, we stay out
 * of its way: its handler decides, and we run when it calls `exit()` or the loop ends.
 *
 * Worker threads get no signals (the process gets them), so there the plain `exit` event of the
 * thread is the hook.
 */
export type ExitHook = (code: number | null, signal: NodeJS.Signals | null) => void;

/** Exit codes shells and supervisors use for "ended by SIGHUP, SIGINT, SIGTERM" (128 + signal number). */
const TERMINATION_CODES = new Set([129, 130, 143]);
const TERMINATION_SIGNALS = new Set(['SIGHUP', 'SIGINT', 'SIGTERM']);

/**
 * True for an orderly end: exit code 0, or asked to stop by SIGINT, SIGTERM or SIGHUP, directly
 * or through an application handler that exits with 128 + the signal's number.
 */
export function endedOrderly(code: number | null, signal: NodeJS.Signals | null): boolean {
  if (signal !== null) return TERMINATION_SIGNALS.has(signal);
  return code === 0 || code === null || TERMINATION_CODES.has(code);
}

export function whenProcessEnds(hook: ExitHook): void {
  if (isMainThread) {
    // Last, after the application's own exit listeners, so their final counts reach the file.
    onExit((code, signal) => hook(code ?? null, signal as NodeJS.Signals | null), { alwaysLast: true });
  } else {
    process.on('exit', (code) => hook(code, null));
  }
}

/**
 * Hands the files of exiting cluster and PM2 workers to the application's archive. The archive
 * is written by the file reader, a layer above storage, so the entry points register it here.
 */
export type Archiver = (paths: readonly string[]) => void;

let archiver: Archiver | undefined;

export function setExitArchiver(fn: Archiver): void {
  archiver = fn;
}

export function exitArchiver(): Archiver | undefined {
  return archiver;
}
