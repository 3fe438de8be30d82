/** A process that folds an app's dead files into its archive for `ms` milliseconds, as scrapes do. */
import { foldIntoArchive } from '../../../src/file-reader/archive.js';

const { directory, app, ms } = JSON.parse(process.argv[2] ?? '{}') as {
  directory: string;
  app: string;
  ms: number;
};
const until = Date.now() + ms;
let folded = 0;
let locked = 0;
while (Date.now() < until) {
  const result = foldIntoArchive(directory, app);
  folded += result.folded;
  if (result.locked) locked++;
}
process.stdout.write(`${JSON.stringify({ folded, locked })}\n`);
