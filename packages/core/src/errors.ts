/** Why a metrics call was refused. Stable strings: match on `code`, never on the message. */
export type MetricsErrorCode =
  | 'INVALID_NAME'
  | 'INVALID_LABEL_NAME'
  | 'RESERVED_LABEL'
  | 'UNKNOWN_LABEL'
  | 'MISSING_LABEL'
  | 'INVALID_VALUE'
  | 'INVALID_BUCKETS'
  | 'MISSING_HELP'
  | 'INVALID_OPTION'
  | 'DUPLICATE_METRIC'
  | 'STORAGE'
  | 'PUSH_FAILED'
  | 'CORRUPT_FILE';

/**
 * The one error class of @mmstats/core. Every message names the bad value and says how to fix it.
 * Compare `err.code` (or `isMetricsError`) rather than `instanceof`: two copies of core in one
 * app must still understand each other's errors.
 */
export class MetricsError extends Error {
  readonly code: MetricsErrorCode;

  constructor(code: MetricsErrorCode, message: string) {
    super(message);
    this.name = 'MetricsError';
    this.code = code;
  }
}

export function isMetricsError(value: unknown): value is MetricsError {
  return (
    value instanceof Error &&
    value.name === 'MetricsError' &&
    typeof (value as MetricsError).code === 'string'
  );
}
