import type { CliIo } from '../../../src/cli/io.js';
import { main } from '../../../src/cli/run.js';

/** An io for `main` that keeps what it prints. */
export function capture(env: NodeJS.ProcessEnv = {}) {
  const out = { stdout: '', stderr: '' };
  const io: CliIo = {
    stdout: (text) => {
      out.stdout += text;
    },
    stderr: (text) => {
      out.stderr += text;
    },
    env,
  };
  return { io, out };
}

/** Runs the `mmstats` command in this process; resolves with its exit code and what it printed. */
export async function run(argv: string[], env: NodeJS.ProcessEnv = {}) {
  const { io, out } = capture(env);
  const code = await main(argv, io);
  return { code, ...out };
}
