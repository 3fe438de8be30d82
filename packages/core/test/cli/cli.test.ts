import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/run.js';
import { buffered, image, unbuffered, WORKED_EXAMPLE, writeImage } from '../support/mmstats-images.js';
import { capture, run } from './support/run.js';

const CLI = fileURLToPath(new URL('../../dist/cli.cjs', import.meta.url));

/** A worker file: `status.2XX` (integer) and `load` (double), as pollstats users would poll. */
function workerImage(pid: number, status: number, load: number): Uint8Array {
  return image([
    unbuffered('sys.pid', 'I', pid),
    buffered('web.status.2XX', 'I', status),
    buffered('web.load', 'd', load),
  ]);
}

let dir: string;
let worked: string;
let app: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'mmstats-cli-'));
  mkdirSync(join(dir, 'good'));
  const bytes = new Uint8Array(4096);
  bytes.set(WORKED_EXAMPLE);
  worked = writeImage(join(dir, 'good'), 'a-worked.mmstats', bytes);
  app = writeImage(join(dir, 'good'), 'b-app.mmstats', workerImage(process.pid, 5, 0.25));
  mkdirSync(join(dir, 'mixed'));
  writeImage(join(dir, 'mixed'), 'ok.mmstats', workerImage(1, 1, 1));
  writeImage(
    join(dir, 'mixed'),
    'wb7.mmstats',
    image([buffered('x', 'Q', 1)]).map((b, i) => (i === 7 ? 7 : b)),
  );
  writeImage(join(dir, 'mixed'), 'zeros.mmstats', new Uint8Array(4096));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('mmstats slurp', () => {
  it('prints each file like slurpstats: "==> path", labels aligned, a blank line between files', async () => {
    const result = await run(['slurp', join(dir, 'good')]);
    expect(result).toEqual({
      code: 0,
      stdout:
        `==> ${worked}\n  status.2XX      5\n  timers.last_hit 1300.25\n\n` +
        `==> ${app}\n  sys.pid        ${process.pid}\n  web.status.2XX 5\n  web.load       0.25\n`,
      stderr: '',
    });
  });

  it('prints JSON with --json', async () => {
    const result = await run(['slurp', '--json', worked]);
    expect(JSON.parse(result.stdout)).toEqual({
      files: [
        {
          path: worked,
          pid: null,
          app: null,
          state: 'live',
          fields: [
            { label: 'status.2XX', sig: 'I', value: 5, buffered: true },
            { label: 'timers.last_hit', sig: 'd', value: 1300.25, buffered: true },
          ],
          warnings: [],
        },
      ],
      skipped: [],
    });
  });

  it('skips bad files with a reason on stderr and goes on', async () => {
    const result = await run(['slurp', join(dir, 'mixed')]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`==> ${join(dir, 'mixed', 'ok.mmstats')}\n`);
    expect(result.stderr).toBe(
      `mmstats: skipping ${join(dir, 'mixed', 'wb7.mmstats')}: invalid write-buffer byte 7 in the record at offset 1 (label "x"): expected 0 or 1 (buffered) or 255 (unbuffered)\n` +
        `mmstats: skipping ${join(dir, 'mixed', 'zeros.mmstats')}: format version 0 in byte 0, expected 1: the file is still being created, or is not an mmstats file\n`,
    );
  });

  it('exits 1 when nothing is readable or a path does not exist', async () => {
    const bad = await run(['slurp', join(dir, 'mixed', 'zeros.mmstats'), join(dir, 'nope')]);
    expect(bad).toMatchObject({ code: 1, stdout: '' });
    expect(bad.stderr).toContain(`mmstats: skipping ${join(dir, 'nope')}: no such file or directory\n`);
    const empty = await run(['slurp'], { MMSTATS_PATH: join(dir, 'empty-dir') });
    expect(empty).toEqual({
      code: 1,
      stdout: '',
      stderr: `mmstats: no mmstats files match ${join(dir, 'empty-dir', '*.mmstats')}\n`,
    });
  });

  it('reads $MMSTATS_GLOB when no path is given', async () => {
    const result = await run(['slurp'], { MMSTATS_GLOB: join(dir, 'good', 'b-*.mmstats') });
    expect(result.stdout).toBe(
      `==> ${app}\n  sys.pid        ${process.pid}\n  web.status.2XX 5\n  web.load       0.25\n`,
    );
  });
});

describe('mmstats poll', () => {
  it('prints totals, then the change per sample; integers for integer fields', async () => {
    const polled = join(dir, 'poll');
    mkdirSync(polled);
    const one = writeImage(polled, 'one.mmstats', workerImage(1, 5, 0.1));
    writeImage(polled, 'two.mmstats', workerImage(2, 7, 0.2));
    const { io, out } = capture();
    const done = main(['poll', 'web.status', 'web.load,sys.nothing', '-c', '2', '-d', '0.2', polled], io);
    // The first sample is taken before main() first waits: change a value for the second one.
    writeFileSync(one, workerImage(1, 10, 1.1));
    expect(await done).toBe(0);
    expect(out.stdout).toBe(
      '  web.status     web.load  sys.nothing\n' +
        '          12          0.3            0\n' +
        '           5            1            0\n',
    );
    expect(out.stderr).toBe('mmstats: no numeric field label starts with "sys.nothing"\n');
  });

  it('rejects bad arguments with usage and exit code 2', async () => {
    for (const argv of [
      ['poll'],
      ['poll', 'x', '-d', 'soon'],
      ['poll', 'x', '-c', '0'],
      ['poll', 'x', '--frequency', '3'],
    ]) {
      const result = await run(argv);
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(/^mmstats: .+\n\nUsage: mmstats poll FIELD/);
    }
  });

  it('exits 1 when there is nothing to poll', async () => {
    const result = await run(['poll', 'x', '-c', '1', join(dir, 'mixed', 'zeros.mmstats')]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('no readable mmstats files to poll');
  });
});

describe('mmstats clean', () => {
  let cleanDir: string;
  let deadPid: number;
  beforeAll(() => {
    // A child that has exited and been reaped: its pid names no process now.
    deadPid = spawnSync(process.execPath, ['-e', '']).pid!;
    cleanDir = join(dir, 'clean');
    mkdirSync(cleanDir);
    writeImage(cleanDir, 'dead.mmstats', workerImage(deadPid, 1, 1));
    writeImage(cleanDir, 'alive.mmstats', workerImage(process.pid, 1, 1));
    writeImage(cleanDir, 'init.mmstats', workerImage(1, 1, 1));
    writeImage(cleanDir, 'nopid.mmstats', image([buffered('a', 'Q', 1)]));
    writeImage(cleanDir, 'zeros.mmstats', new Uint8Array(4096));
  });

  it('with --dry-run lists the files of dead processes and removes nothing', async () => {
    const result = await run(['clean', '--dry-run', cleanDir]);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(
      `would remove ${join(cleanDir, 'dead.mmstats')} (pid ${deadPid} is not running)\nwould remove 1 file(s), 2 alive\n`,
    );
    expect(result.stderr).toBe(
      `mmstats: keeping ${join(cleanDir, 'nopid.mmstats')}: it has no sys.pid field\n` +
        `mmstats: keeping ${join(cleanDir, 'zeros.mmstats')}: format version 0 in byte 0, expected 1: the file is still being created, or is not an mmstats file\n`,
    );
    expect(existsSync(join(cleanDir, 'dead.mmstats'))).toBe(true);
  });

  it('removes exactly the files whose process is gone', async () => {
    const result = await run(['clean', cleanDir]);
    expect(result.stdout).toBe(
      `removed ${join(cleanDir, 'dead.mmstats')} (pid ${deadPid} is not running)\nremoved 1 file(s), 2 alive\n`,
    );
    expect(
      ['dead', 'alive', 'init', 'nopid', 'zeros'].map((n) => existsSync(join(cleanDir, `${n}.mmstats`))),
    ).toEqual([false, true, true, true, true]);
  });
});

describe('mmstats help and usage errors', () => {
  it('prints help with --help (exit 0) and usage errors with exit 2', async () => {
    const help = await run(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: mmstats <command>/);
    for (const command of ['slurp', 'poll', 'clean']) {
      const own = await run([command, '--help']);
      expect(own).toMatchObject({ code: 0, stderr: '' });
      expect(own.stdout).toMatch(new RegExp(`^Usage: mmstats ${command}`));
      expect((await run(['help', command])).stdout).toBe(own.stdout);
    }
    const cases: [string[], RegExp][] = [
      [[], /^mmstats: name a command\n\nUsage: mmstats <command>/],
      [['slurpp'], /^mmstats: unknown command "slurpp"\n/],
      [['--verbose'], /^mmstats: unknown option "--verbose"\n/],
      [['slurp', '--bogus'], /^mmstats: Unknown option '--bogus'.*\n\nUsage: mmstats slurp/],
      [['slurp', '--byte-order', 'middle'], /^mmstats: --byte-order must be native, little or big\n/],
      [['help', 'nothing'], /^mmstats: unknown command "nothing"\n/],
    ];
    for (const [argv, expected] of cases) {
      const result = await run(argv);
      expect({ argv, code: result.code, stdout: result.stdout }).toEqual({ argv, code: 2, stdout: '' });
      expect(result.stderr).toMatch(expected);
    }
  });
});

describe('the built binary (dist/cli.cjs, built by `npm run build -w @mmstats/core`)', () => {
  beforeAll(() => {
    if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build -w @mmstats/core\` first.`);
  });

  it('runs as `mmstats` with exit codes 0 and 2', () => {
    const ok = spawnSync(process.execPath, [CLI, 'slurp', app], { encoding: 'utf8' });
    expect(ok.stdout).toBe(
      `==> ${app}\n  sys.pid        ${process.pid}\n  web.status.2XX 5\n  web.load       0.25\n`,
    );
    expect(ok.status).toBe(0);
    const bad = spawnSync(process.execPath, [CLI, 'bogus'], { encoding: 'utf8' });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/^mmstats: unknown command "bogus"/);
  });

  it('is the `mmstats` command npm linked at install (node_modules/.bin/mmstats)', () => {
    const linked = fileURLToPath(new URL('../../../../node_modules/.bin/mmstats', import.meta.url));
    const run = spawnSync(linked, ['slurp', app], { encoding: 'utf8' });
    expect(run.stderr).toBe('');
    expect(run.stdout).toContain('web.status.2XX 5');
    expect(run.status).toBe(0);
  });

  it('exits quietly (0, nothing on stderr) when its reader closes the pipe', async () => {
    const child: ChildProcess = spawn(
      process.execPath,
      [CLI, 'poll', 'web.', '-d', '0.05', '-c', '1000', app],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stderr = '';
    child.stderr!.on('data', (d) => {
      stderr += d;
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await new Promise((resolve) => child.stdout!.once('data', resolve));
    child.stdout!.destroy();
    const code = await exited;
    clearTimeout(killer);
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
  });
});
