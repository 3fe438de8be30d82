import { usageError } from './args.js';
import { CLEAN_USAGE, clean } from './clean.js';
import { type CliIo, EXIT_OK, processIo } from './io.js';
import { POLL_USAGE, poll } from './poll.js';
import { SERVE_USAGE, serve } from './serve.js';
import { SLURP_USAGE, slurp } from './slurp.js';
import { WEB_USAGE, web } from './web/command.js';

export const USAGE = `Usage: mmstats <command> [options] [PATH...]

Reads the mmstats files that @mmstats/core (and the original Python mmstats) write.

Commands:
  slurp [PATH...]              print every field of every file
  poll FIELD... [PATH...]      print how fields change, vmstat-style
  clean [PATH...]              remove files of processes that no longer run
  web [PATH...]                a live view of the files in the browser (127.0.0.1:9465)
  serve [PATH...]              a Prometheus exporter for the files (127.0.0.1:9464/metrics)

Without PATH the commands read $MMSTATS_GLOB, else $MMSTATS_PATH/*.mmstats, else
*.mmstats in the per-user directory under the temp dir.
Run 'mmstats <command> --help' for the options of a command.
`;

const COMMANDS: Record<
  string,
  { usage: string; run: (argv: readonly string[], io: CliIo) => number | Promise<number> }
> = {
  slurp: { usage: SLURP_USAGE, run: slurp },
  poll: { usage: POLL_USAGE, run: poll },
  clean: { usage: CLEAN_USAGE, run: clean },
  web: { usage: WEB_USAGE, run: web },
  serve: { usage: SERVE_USAGE, run: serve },
};

/** The whole CLI as a function: arguments in, exit code out, output through `io`. */
export async function main(argv: readonly string[], io: CliIo = processIo()): Promise<number> {
  const [command, ...rest] = argv;
  if (command === '--help' || command === '-h') {
    io.stdout(USAGE);
    return EXIT_OK;
  }
  if (command === 'help') {
    const topic = rest[0] === undefined ? undefined : COMMANDS[rest[0]];
    if (rest[0] !== undefined && topic === undefined)
      return usageError(io, `unknown command ${JSON.stringify(rest[0])}`, USAGE);
    io.stdout(topic?.usage ?? USAGE);
    return EXIT_OK;
  }
  if (command === undefined) return usageError(io, 'name a command', USAGE);
  const entry = Object.hasOwn(COMMANDS, command) ? COMMANDS[command] : undefined;
  if (entry === undefined) {
    const what = command.startsWith('-') ? 'option' : 'command';
    return usageError(io, `unknown ${what} ${JSON.stringify(command)}`, USAGE);
  }
  return entry.run(rest, io);
}
