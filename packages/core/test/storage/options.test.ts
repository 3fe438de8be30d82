import { chmodSync, chownSync, mkdirSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Segment } from '../../src/file-format/segment.js';
import { Registry } from '../../src/index.js';
import { createStore, resolveStorageOptions } from '../../src/storage/create-store.js';
import {
  appendDefaultFields,
  currentIdentity,
  defaultFieldsBytes,
} from '../../src/storage/default-fields.js';
import { preparePrivateDirectory } from '../../src/storage/file-directory.js';
import { numberedFileName } from '../../src/storage/file-names.js';
import { FileStore } from '../../src/storage/file-store.js';
import { parseImage } from './support/file-parser.js';
import { storageWarnings, tempDirectories } from './support/warnings.js';

const dirs = tempDirectories();
afterEach(() => dirs.cleanup());

describe('storage options', () => {
  it.each([
    [{ segmentSize: 5000 }, /segmentSize 5000.*multiple of 4096/],
    [{ segmentSize: 0 }, /segmentSize 0/],
    [{ backend: 'disk' }, /backend "disk".*"auto", "mmap" or "fallback"/],
    [{ interval: 0 }, /interval 0/],
    [{ directory: '' }, /directory ""/],
    [{ mode: 0o1777 }, /mode 1023/],
    [{ removeOnExit: 'yes' }, /removeOnExit "yes"/],
  ])('refuses %o when the registry is made', (storage, message) => {
    expect(() => new Registry({ storage: storage as never })).toThrow(message);
  });

  it('defaults: $MMSTATS_PATH or a private per-user directory, auto backend, 250 ms, 64 KiB, 0600', () => {
    expect(resolveStorageOptions({}, {})).toEqual({
      directory: join(tmpdir(), `mmstats-${process.getuid!()}`),
      privateDirectory: true,
      backend: 'auto',
      interval: 250,
      removeOnExit: true,
      segmentSize: 64 * 1024,
      mode: 0o600,
      app: expect.stringMatching(/-[0-9a-f]{10}$/),
    });
    expect(resolveStorageOptions({}, { MMSTATS_PATH: '/srv/m' })).toMatchObject({
      directory: '/srv/m',
      privateDirectory: false,
    });
    expect(resolveStorageOptions({ directory: '/x' }, {})).toMatchObject({
      directory: '/x',
      privateDirectory: false,
    });
  });

  it('keeps files at exit in PM2 and cluster workers, so totals survive restarts', () => {
    expect(resolveStorageOptions({}, { pm_id: '3' }).removeOnExit).toBe(false);
    expect(resolveStorageOptions({}, { NODE_APP_INSTANCE: '0' }).removeOnExit).toBe(false);
    expect(resolveStorageOptions({ removeOnExit: true }, { pm_id: '3' }).removeOnExit).toBe(true);
  });

  it('file storage is on by default; storage: false and MMSTATS_STORAGE=memory turn it off', () => {
    const registry = new Registry();
    expect(registry.storageBackend).not.toBe('memory');
    // No metric yet, so no file either.
    expect(registry.storageFiles).toEqual([]);
    expect(new Registry({ storage: false }).storageBackend).toBe('memory');
    const saved = process.env.MMSTATS_STORAGE;
    process.env.MMSTATS_STORAGE = 'memory';
    try {
      expect(createStore({ directory: dirs.make() }).backend).toBe('memory');
    } finally {
      if (saved === undefined) delete process.env.MMSTATS_STORAGE;
      else process.env.MMSTATS_STORAGE = saved;
    }
  });

  it('numbers further files before .mmstats', () => {
    expect(numberedFileName('mmstats-app-1-1.mmstats', 1)).toBe('mmstats-app-1-1.mmstats');
    expect(numberedFileName('mmstats-app-1-1.mmstats', 2)).toBe('mmstats-app-1-1-2.mmstats');
    expect(numberedFileName('mmstats-%PID%', 3)).toBe('mmstats-%PID%-3');
  });
});

describe('the private default directory', () => {
  it('is created 0700 when missing', () => {
    const dir = join(dirs.make(), 'mine');
    preparePrivateDirectory(dir);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    preparePrivateDirectory(dir);
  });

  it('is refused when it is a symlink, writable by others, or (as root) owned by someone else', () => {
    const base = dirs.make();
    const real = join(base, 'real');
    mkdirSync(real, { mode: 0o700 });
    symlinkSync(real, join(base, 'link'));
    expect(() => preparePrivateDirectory(join(base, 'link'))).toThrow(/symbolic link/);
    const open = join(base, 'open');
    mkdirSync(open);
    chmodSync(open, 0o777);
    expect(() => preparePrivateDirectory(open)).toThrow(/writable by group or others \(mode 777\)/);
    if (process.getuid?.() === 0) {
      const theirs = join(base, 'theirs');
      mkdirSync(theirs, { mode: 0o700 });
      chownSync(theirs, 65534, 65534);
      expect(() => preparePrivateDirectory(theirs)).toThrow(/belongs to uid 65534/);
    }
  });

  it('a refused default directory means memory and one warning, never a file in it', async () => {
    const base = dirs.make();
    mkdirSync(join(base, 'real'), { mode: 0o700 });
    symlinkSync(join(base, 'real'), join(base, 'link'));
    const store = new FileStore({ ...resolveStorageOptions({}, {}), directory: join(base, 'link') });
    const warnings = await storageWarnings(() => {
      store.field('a', 'd').addD(2);
      store.field('b', 'd').addD(3);
    });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/symbolic link.*MMSTATS_PATH/);
    expect(store.backend).toBe('memory');
    store.close();
  });
});

describe('default fields', () => {
  it('match the bytes of the default fields and the worked example (sys.pid record as the Python writer made it)', () => {
    const segment = new Segment(new ArrayBuffer(4096));
    const id = { pid: 15699, tid: 15700, uid: 1000, gid: 100, created: 1700000000.5, version: 'v20.1.0' };
    expect(appendDefaultFields(segment, id)).toBe(true);
    expect(segment.used - 1).toBe(defaultFieldsBytes(id));
    // "07 00 sys.pid 01 00 49 ff 53 3d 00 00" (docs/file-format.md#worked-example shows it with a "web." prefix).
    expect([...segment.u8.subarray(1, 1 + 17)]).toEqual([
      7,
      0,
      ...Buffer.from('sys.pid'),
      1,
      0,
      0x49,
      0xff,
      0x53,
      0x3d,
      0,
      0,
    ]);
    const fields = parseImage(segment.u8).fields;
    expect(fields.map((f) => [f.label, f.sig, f.value])).toEqual([
      ['sys.pid', 'I', 15699],
      ['sys.tid', 'q', 15700],
      ['sys.uid', 'Q', 1000],
      ['sys.gid', 'Q', 100],
      ['sys.created', 'd', 1700000000.5],
      ['org.nodejs.version', '256s', 'v20.1.0'],
    ]);
    expect(currentIdentity().pid).toBe(process.pid);
  });
});
