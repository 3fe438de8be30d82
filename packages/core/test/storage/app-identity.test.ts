import { describe, expect, it } from 'vitest';
import { isMetricsError } from '../../src/errors.js';
import { appSlug, ownStartTime, resolveApp, startTimeOf } from '../../src/storage/app-identity.js';

describe('application identity', () => {
  it('takes the option first, then MMSTATS_APP, then PM2 name and namespace, then the main module', () => {
    const pm2 = { pm_id: '3', name: 'web', namespace: 'shop', NODE_APP_INSTANCE: '1' };
    expect(resolveApp('checkout', { MMSTATS_APP: 'other', ...pm2 })).toEqual({
      app: 'checkout',
      source: 'option',
    });
    expect(resolveApp(undefined, { MMSTATS_APP: 'other', ...pm2 })).toEqual({
      app: 'other',
      source: 'MMSTATS_APP',
    });
    expect(resolveApp(undefined, pm2)).toEqual({ app: 'pm2:shop/web', source: 'pm2' });
    expect(resolveApp(undefined, { pm_id: '0', name: 'web' }).app).toBe('pm2:default/web');
    expect(resolveApp(undefined, {}).source).toBe('main-module');
  });

  it('two projects running a script of the same name get different names; one script always the same', () => {
    const a = resolveApp(undefined, { pm_exec_path: '/srv/shop/server.js' }).app;
    const b = resolveApp(undefined, { pm_exec_path: '/srv/blog/server.js' }).app;
    expect(a).toMatch(/^server-[0-9a-f]{10}$/);
    expect(b).toMatch(/^server-[0-9a-f]{10}$/);
    expect(a).not.toBe(b);
    expect(resolveApp(undefined, { pm_exec_path: '/srv/shop/server.js' }).app).toBe(a);
  });

  it('refuses an empty or overlong name with a message that says what to pass', () => {
    for (const bad of ['', ' ', 'x'.repeat(201)]) {
      try {
        resolveApp(bad, {});
        expect.unreachable();
      } catch (error) {
        expect(isMetricsError(error) && error.code).toBe('INVALID_OPTION');
        expect((error as Error).message).toMatch(/storage\.app .* pass a non-empty application name/);
      }
    }
    expect(() => resolveApp(undefined, { MMSTATS_APP: 'y'.repeat(201) })).toThrow(/MMSTATS_APP/);
  });

  it('file-name slugs are safe and tell apps apart even when their readable part is the same', () => {
    expect(appSlug('pm2:shop/web')).toMatch(/^shop_web-[0-9a-f]{10}$/);
    expect(appSlug('a/b')).not.toBe(appSlug('a_b'));
  });

  it.runIf(process.platform === 'linux')(
    'reads start times from /proc: its own, and none for a PID that does not exist',
    () => {
      expect(ownStartTime()).toMatch(/^\d+$/);
      expect(startTimeOf(process.pid)).toBe(ownStartTime());
      expect(startTimeOf(0x7ffffffe)).toBeUndefined();
    },
  );
});
