import { describe, expect, it } from 'vitest';
import { isMetricsError } from '../../src/errors.js';
import { DEFAULT_SIZE_BUCKETS, DEFAULT_UNMATCHED_ROUTE, resolveHttpOptions } from '../../src/http/options.js';
import { DEFAULT_BUCKETS } from '../../src/metrics/buckets.js';
import { defaultRegistry, Registry } from '../../src/metrics/registry.js';

const resolve = (options: unknown) => resolveHttpOptions(options as never, '@mmstats/test');

function refusal(options: unknown): string {
  try {
    resolve(options);
  } catch (error) {
    expect(['INVALID_OPTION', 'INVALID_BUCKETS', 'INVALID_LABEL_NAME', 'RESERVED_LABEL']).toContain(
      isMetricsError(error) && error.code,
    );
    return (error as Error).message;
  }
  throw new Error(`${JSON.stringify(options)} was accepted`);
}

describe('adapter options', () => {
  it('defaults: /metrics, class status, default buckets and registry, process metrics on', () => {
    const o = resolve(undefined);
    expect(o).toMatchObject({
      prefix: '',
      path: '/metrics',
      statusCodes: 'class',
      processMetrics: true,
      unmatchedRoute: DEFAULT_UNMATCHED_ROUTE,
      excludePaths: null,
      excludeFn: null,
      customLabels: null,
      requestSizes: null,
      responseSizes: null,
      auth: null,
    });
    expect(o.buckets).toBe(DEFAULT_BUCKETS);
    expect(o.registry).toBe(defaultRegistry());
    expect(DEFAULT_UNMATCHED_ROUTE).toBe('__unmatched__');
  });

  it('creates a registry with the given storage only when none is passed', () => {
    const own = resolve({ storage: false }).registry;
    expect(own).toBeInstanceOf(Registry);
    expect(own).not.toBe(defaultRegistry());
    const registry = new Registry({ storage: false });
    expect(resolve({ registry }).registry).toBe(registry);
    expect(refusal({ registry, storage: false })).toContain('new Registry({ storage })');
  });

  it('takes path false as "no endpoint", sizes true as the default byte buckets', () => {
    expect(resolve({ path: false }).path).toBeNull();
    expect(resolve({ requestSizes: true }).requestSizes).toBe(DEFAULT_SIZE_BUCKETS);
    expect(resolve({ responseSizes: { buckets: [10, 100] } }).responseSizes).toEqual([10, 100]);
    expect(DEFAULT_SIZE_BUCKETS[0]).toBe(64);
    expect(DEFAULT_SIZE_BUCKETS.at(-1)).toBe(4 * 1024 * 1024);
  });

  it('turns exclude paths into a set and keeps a predicate', () => {
    expect([...(resolve({ exclude: ['/health', '/ready'] }).excludePaths ?? [])]).toEqual([
      '/health',
      '/ready',
    ]);
    const fn = () => true;
    expect(resolve({ exclude: fn }).excludeFn).toBe(fn);
  });

  it.each([
    [{ nope: 1 }, 'unknown option "nope"'],
    [{ prefix: 3 }, 'prefix must be a string'],
    [{ buckets: [1, 1] }, 'increase strictly'],
    [{ path: 'metrics' }, 'path "metrics" must be a string starting with "/"'],
    [{ path: '/m?x' }, 'without "?"'],
    [{ path: true }, 'or false for no endpoint'],
    [{ exclude: '/health' }, 'exclude must be an array of paths'],
    [{ exclude: ['health'] }, 'starting with "/"'],
    [{ customLabels: { names: ['tenant'] } }, 'customLabels must be { names'],
    [{ customLabels: { names: ['route'], values: () => ({}) } }, '"route"'],
    [{ customLabels: { names: ['bad-name'], values: () => ({}) } }, 'bad-name'],
    [{ registry: {} }, 'registry must be a Registry'],
    [{ storage: 'yes' }, 'storage must be false or { directory?: string }'],
    [{ processMetrics: 'no' }, 'processMetrics must be true or false'],
    [{ statusCodes: 'code' }, 'statusCodes must be "class" or "exact", got "code"'],
    [{ requestSizes: 'yes' }, 'requestSizes must be true, false or { buckets'],
    [{ responseSizes: { buckets: [] } }, 'at least one'],
    [{ auth: { bearer: '' } }, 'auth must be'],
    [{ auth: { basic: { username: 'a:b', password: 'c' } } }, 'username without ":"'],
    [{ auth: 'token' }, 'auth must be'],
    [{ unmatchedRoute: '' }, 'unmatchedRoute must be a non-empty string'],
  ])('refuses %j, naming the option and the fix', (options, message) => {
    const text = refusal(options);
    expect(text).toContain(message);
    expect(text.startsWith('@mmstats/test: ')).toBe(true);
  });
});
