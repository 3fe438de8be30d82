#!/usr/bin/env node
import { processIo } from './io.js';
import { main } from './run.js';

// `mmstats slurp | head` closes the pipe early: stop quietly, as slurpstats 0.8.0 does.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});

main(process.argv.slice(2), processIo()).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(
      `mmstats: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exitCode = 1;
  },
);
