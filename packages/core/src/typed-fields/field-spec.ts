import { MetricsError } from '../errors.js';

/**
 * The bytes of one field once its file exists: the mapping (mmap backend) or the in-memory image
 * whose changes are written through to the file (fallback backend).
 */
export interface FieldSlot {
  readonly u8: Uint8Array;
  readonly dv: DataView;
  /** Offset of the write-buffer byte; the value (or the two buffers) follows it. */
  readonly offset: number;
  /** Makes bytes `[start, end)` visible to readers: nothing to do on a mapping, one pwrite otherwise. */
  publish(start: number, end: number): void;
}

/** How the property of a field reads and writes (read-only fields have no `set`). */
export interface FieldAccess<T> {
  get(): T;
  set?(value: T): void;
}

/**
 * One declared field of a stats object, made by the `field.*` factories (mmstats' `UIntField()`,
 * `CounterField()`, …). `T` is the type of the property; `W` whether it can be assigned
 * (`stats.x = 5`) or is read-only (static fields, and counters, averages and timers, which are
 * objects with their own methods).
 */
export interface FieldSpec<T, W extends boolean> {
  /** The label after the prefix; the property name when undefined. */
  readonly label: string | undefined;
  /** Struct code written to the file (docs/file-format.md#value-types). */
  readonly sig: string;
  /** Bytes per value. */
  readonly valueSize: number;
  /** Double-buffered (docs/file-format.md#double-buffering) or written in place (write-buffer byte 0xFF). */
  readonly buffered: boolean;
  readonly writable: W;
  /** Bytes of the start value, resolved when the file is made; zeros when undefined. */
  initial(): Uint8Array | undefined;
  /** The property's accessors over the field's bytes. */
  bind(slot: FieldSlot): FieldAccess<T>;
}

/** Any field spec, as a map of them takes it. */
export type AnyFieldSpec = FieldSpec<unknown, boolean>;

/** Options every field takes. */
export interface FieldOptions {
  /** Label after the stats object's `labelPrefix`; default the property name. */
  label?: string;
}

export function invalidField(kind: string, what: string, value: unknown, fix: string): MetricsError {
  return new MetricsError('INVALID_OPTION', `field.${kind}(): ${what} ${describe(value)} is invalid: ${fix}`);
}

function describe(value: unknown): string {
  if (typeof value === 'function') return 'function';
  return JSON.stringify(value) ?? String(value);
}

/** The `label` option: absent, or a non-empty string. */
export function checkLabel(kind: string, options: FieldOptions | undefined): string | undefined {
  if (options !== undefined && (options === null || typeof options !== 'object')) {
    throw invalidField(kind, 'options', options, 'pass an object such as { label: "status.2XX" }.');
  }
  const label = options?.label;
  if (label === undefined) return undefined;
  if (typeof label !== 'string' || label === '') {
    throw invalidField(
      kind,
      'label',
      label,
      'pass a non-empty string, or leave it out to use the property name.',
    );
  }
  return label;
}

/** A whole number of at least 1 and at most `max`, for sizes. */
export function checkCount(
  kind: string,
  what: string,
  value: unknown,
  fallback: number,
  max: number,
): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > max) {
    throw invalidField(kind, what, value, `pass a whole number from 1 to ${max}.`);
  }
  return value;
}
