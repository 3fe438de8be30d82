import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderExposition } from '../../src/exposition/render.js';
import { readAppFiles } from '../../src/file-reader/app-files.js';
import { appFamilies } from '../../src/file-reader/cluster-metrics.js';
import { readMmstatsDirectory } from '../../src/file-reader/discover.js';
import { appOf } from '../../src/file-reader/file-identity.js';
import { message, runWriter, stop } from '../storage/support/child.js';
import { mmstatsFiles, tempDirectory } from './support/app.js';
import { bundleServer } from './support/bundle.js';

const root = tempDirectory('threads');
let script = '';
beforeAll(() => {
  script = bundleServer(root, 'threads');
});
afterAll(() => rmSync(root, { recursive: true, force: true, maxRetries: 20, retryDelay: 50 }));

const total = (text: string) => Number(/^jobs_total (\S+)$/m.exec(text)?.[1]);

describe('worker_threads', () => {
  it('one file per thread, summed like processes; a thread that ends and then the process are archived', async () => {
    const directory = tempDirectory('threads-run');
    const child = runWriter(
      script,
      {},
      { env: { ...process.env, MMSTATS_PATH: directory, NODE_APP_INSTANCE: '0' } },
    );
    try {
      await message(child, (m) => typeof m.ready === 'number');
      await message(child, (m) => m.threadEnded === true);
      const first = mmstatsFiles(directory);
      // The main thread, the thread still running, and the archive holding the one that ended.
      expect(first).toHaveLength(3);
      const app = appNameOf(directory);
      const files = readAppFiles(directory, app);
      expect(files.live).toHaveLength(2);
      expect(files.archive).toBeDefined();
      const text = renderExposition(appFamilies(directory, app), 'text');
      expect(total(text)).toBe(31);
      // Gauges of the running threads only, told apart by `tid`.
      expect(text.match(/^queue_depth\{pid="\d+",tid="\d+"\} 11$/m)).not.toBeNull();
      expect(text).not.toMatch(/^queue_depth\{.*\} 10$/m);
      child.process.kill('SIGTERM');
      expect(await child.exited).toEqual({ code: null, signal: 'SIGTERM' });
      const last = mmstatsFiles(directory);
      expect(last).toHaveLength(1);
      expect(total(renderExposition(appFamilies(directory, app), 'text'))).toBe(31);
    } finally {
      await stop(child);
      rmSync(directory, { recursive: true, force: true, maxRetries: 20, retryDelay: 50 });
    }
  });
});

function appNameOf(directory: string): string {
  const app = readMmstatsDirectory(directory)
    .files.map(appOf)
    .find((a) => a !== undefined);
  if (app === undefined) throw new Error(`no file of ours in ${directory}`);
  return app;
}
