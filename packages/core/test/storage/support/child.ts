import { type ChildProcess, type SpawnOptions, spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
// esbuild comes with tsup (a dev dependency): Node 20 cannot run TypeScript by itself.
import { buildSync } from 'esbuild';

const here = fileURLToPath(new URL('.', import.meta.url));

/**
 * Bundles test/storage/support/writer.ts with src into one script in `directory`. `import.meta.url` is
 * pinned to src/storage/mmap.ts so the native binding is found where the package keeps it.
 */
export function bundleWriter(directory: string): string {
  const outfile = join(directory, 'writer.mjs');
  buildSync({
    entryPoints: [join(here, 'writer.ts')],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    outfile,
    logLevel: 'silent',
    define: {
      'import.meta.url': JSON.stringify(
        pathToFileURL(join(here, '..', '..', '..', 'src', 'storage', 'mmap.ts')).href,
      ),
    },
  });
  return outfile;
}

export interface Child {
  process: ChildProcess;
  /** JSON lines printed so far. */
  messages: Record<string, unknown>[];
  /** Resolves with the exit code or signal. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stderr: () => string;
}

export interface WriterOptions {
  /** A shell command run first, e.g. `ulimit -f 8`. */
  shell?: string;
  nodeArgs?: string[];
  env?: NodeJS.ProcessEnv;
}

/** Runs the bundled writer. Stop it with `stop(child)`. */
export function runWriter(script: string, job: object, options: WriterOptions = {}): Child {
  const arg = JSON.stringify(job);
  const spawnOptions: SpawnOptions = { stdio: ['ignore', 'pipe', 'pipe'], env: options.env ?? process.env };
  const child = options.shell
    ? spawn(
        '/bin/sh',
        ['-c', `${options.shell}; exec "$0" "$1" "$2"`, process.execPath, script, arg],
        spawnOptions,
      )
    : spawn(process.execPath, [...(options.nodeArgs ?? []), script, arg], spawnOptions);
  const messages: Record<string, unknown>[] = [];
  let pending = '';
  let errors = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    pending += chunk.toString();
    let nl = pending.indexOf('\n');
    while (nl >= 0) {
      messages.push(JSON.parse(pending.slice(0, nl)) as Record<string, unknown>);
      pending = pending.slice(nl + 1);
      nl = pending.indexOf('\n');
    }
  });
  child.stderr!.on('data', (chunk: Buffer) => {
    errors += chunk.toString();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return { process: child, messages, exited, stderr: () => errors };
}

/** Waits until a message matching `test` arrived or the child exited; bounded by `timeoutMs`. */
export async function message(
  child: Child,
  test: (m: Record<string, unknown>) => boolean,
  timeoutMs = 10_000,
): Promise<Record<string, unknown>> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const found = child.messages.find(test);
    if (found) return found;
    if (child.process.exitCode !== null || child.process.signalCode !== null) break;
    await new Promise((r) => setTimeout(r, 5));
  }
  const found = child.messages.find(test);
  if (found) return found;
  throw new Error(`the writer never said what was expected; stderr:\n${child.stderr()}`);
}

/** Ends the child by its PID if it still runs. */
export async function stop(child: Child): Promise<void> {
  if (child.process.exitCode === null && child.process.signalCode === null) child.process.kill('SIGKILL');
  await child.exited;
}
