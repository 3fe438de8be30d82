import { MetricsError } from '../errors.js';

/** A cardinality limit as given: undefined, or a whole number >= 1, or Infinity for none. */
export function checkCardinalityLimit(owner: string, limit: unknown): number | undefined {
  if (limit === undefined) return undefined;
  if (limit === Number.POSITIVE_INFINITY) return limit;
  if (typeof limit === 'number' && Number.isSafeInteger(limit) && limit >= 1) return limit;
  throw new MetricsError(
    'INVALID_OPTION',
    `${owner}: cardinalityLimit ${String(limit)} must be a whole number of label sets, at least 1 (default 2000), or Infinity for no limit.`,
  );
}
