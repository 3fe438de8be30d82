import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderMmstatsFiles } from '../../src/files.js';
import { stop } from '../storage/support/child.js';
import { mmstatsFiles, request, requestTotals, startApp, tempDirectory } from './support/app.js';
import { bundleServer } from './support/bundle.js';

const root = tempDirectory('exit');
let script = '';
beforeAll(() => {
  script = bundleServer(root);
});
afterAll(() => rmSync(root, { recursive: true, force: true, maxRetries: 20, retryDelay: 50 }));

type Handler = 'none' | 'close' | 'exit-code';

/** Runs the app, serves two requests, sends `signal`; how it ended and what it left. */
async function endWith(signal: NodeJS.Signals, handler: Handler, metrics: boolean, worker: boolean) {
  const directory = tempDirectory('exit-case');
  const app = await startApp(
    script,
    directory,
    { handler, metrics },
    worker ? { NODE_APP_INSTANCE: '0' } : {},
  );
  try {
    await request(app.port, '/a');
    await request(app.port, '/a');
    app.child.process.kill(signal);
    const ended = await app.child.exited;
    return { ended, files: mmstatsFiles(directory), directory };
  } finally {
    await stop(app.child);
  }
}

describe.concurrent('SIGINT and SIGTERM: the process ends as it would without us, and its file follows', () => {
  const cases: [NodeJS.Signals, Handler][] = [
    ['SIGINT', 'none'],
    ['SIGTERM', 'none'],
    ['SIGINT', 'close'],
    ['SIGTERM', 'close'],
    ['SIGTERM', 'exit-code'],
  ];

  it.each(cases)(
    '%s with app handler %s: same exit code and signal; file removed, or archived in a worker',
    async (signal, handler) => {
      const [bare, single, worker] = await Promise.all([
        endWith(signal, handler, false, false),
        endWith(signal, handler, true, false),
        endWith(signal, handler, true, true),
      ]);
      expect(single.ended).toEqual(bare.ended);
      expect(worker.ended).toEqual(bare.ended);
      // Without a handler Node ends by the signal itself; with one, as the handler says.
      if (handler === 'none') expect(bare.ended).toEqual({ code: null, signal });
      expect(single.files).toEqual([]);
      expect(worker.files).toHaveLength(1);
      expect(worker.files[0]).toMatch(/^mmstats-archive-.*\.mmstats$/);
      const archived = renderMmstatsFiles(join(worker.directory, worker.files[0]!));
      expect(requestTotals(archived)).toEqual({ '/a 2XX': 2 });
      for (const c of [bare, single, worker]) rmSync(c.directory, { recursive: true, force: true });
    },
  );
});
