import { MetricsError } from '../errors.js';
import { END_MARKER, MAX_LABEL_BYTES, PAGE_SIZE } from '../file-format/constants.js';
import { encodeLabel, Segment } from '../file-format/segment.js';
import type { AnyFieldSpec } from './field-spec.js';

export interface PlannedField {
  /** Property of the stats object; undefined for the default fields. */
  readonly property: string | undefined;
  readonly label: string;
  readonly labelBytes: Uint8Array;
  readonly spec: AnyFieldSpec;
}

/** Every record of a file, in file order, and the file's size. */
export interface Layout {
  readonly fields: readonly PlannedField[];
  /** Version byte plus records. */
  readonly used: number;
  readonly size: number;
}

/**
 * The size the original's `ftruncate` gives (one page, else whole pages), except that a file is
 * never filled to its last byte: at least two zero bytes end the records (docs/file-format.md#end-of-records).
 */
export function fileSize(used: number): number {
  return Math.ceil((used + END_MARKER) / PAGE_SIZE) * PAGE_SIZE;
}

function invalid(message: string): MetricsError {
  return new MetricsError('INVALID_OPTION', message);
}

export function isFieldSpec(value: unknown): value is AnyFieldSpec {
  const spec = value as AnyFieldSpec | null;
  return (
    typeof spec === 'object' &&
    spec !== null &&
    typeof spec.sig === 'string' &&
    typeof spec.valueSize === 'number' &&
    typeof spec.buffered === 'boolean' &&
    typeof spec.initial === 'function' &&
    typeof spec.bind === 'function'
  );
}

/** The label's bytes, or an error that says what is wrong with it and how to fix it. */
function labelBytes(label: string, owner: string): Uint8Array {
  const bytes = encodeLabel(label);
  if (bytes.byteLength === 0) {
    throw invalid(
      `The label of ${owner} is empty (an empty label ends an mmstats file). Give it a label or a labelPrefix.`,
    );
  }
  if (bytes.byteLength > MAX_LABEL_BYTES) {
    throw invalid(
      `The label of ${owner} is ${bytes.byteLength} bytes; mmstats labels hold at most ${MAX_LABEL_BYTES}. Shorten it.`,
    );
  }
  // Rejected rather than padded: the label is the name readers show, and it should be the one given.
  if (bytes.byteLength % 256 === 0) {
    throw invalid(
      `The label ${JSON.stringify(label)} of ${owner} is ${bytes.byteLength} bytes, a multiple of 256: ` +
        'mmstats 0.3.x readers test only the first length byte, take it for the end of the file and drop this field and all after it ' +
        '(docs/file-format.md#label-length in the mmstats repository). Make it one byte shorter or longer.',
    );
  }
  return bytes;
}

/**
 * Lays out the default fields, then the declared ones in declaration order, checking that every
 * value is a field, no property clashes with the stats object's own members, and labels are valid
 * and unique (docs/file-format.md#field-labels).
 */
export function planLayout(
  prefix: string,
  defaults: readonly AnyFieldSpec[],
  fields: Readonly<Record<string, unknown>>,
  reserved: (property: string) => boolean,
): Layout {
  const planned: PlannedField[] = [];
  const owners = new Map<string, string>();
  const add = (property: string | undefined, spec: AnyFieldSpec) => {
    const label = prefix + (spec.label ?? property ?? '');
    const owner = property === undefined ? `the default field ${label}` : `field "${property}"`;
    const bytes = labelBytes(label, owner);
    const taken = owners.get(label);
    if (taken !== undefined) {
      throw invalid(
        `Label ${JSON.stringify(label)} is used by both ${taken} and ${owner}; labels must be unique within a file. ` +
          "Give one of them another label, e.g. { label: '...' }" +
          (taken.startsWith('the default') ? ', or set defaultFields: false.' : '.'),
      );
    }
    owners.set(label, owner);
    planned.push({ property, label, labelBytes: bytes, spec });
  };
  for (const spec of defaults) add(undefined, spec);
  for (const [property, spec] of Object.entries(fields)) {
    if (!isFieldSpec(spec)) {
      throw invalid(
        `fields.${property} is not a field: declare it with field.uint(), field.counter(), field.string() and the like.`,
      );
    }
    if (reserved(property)) {
      throw invalid(
        `Field name "${property}" clashes with a member of the stats object. Use another property name; ` +
          `{ label: ${JSON.stringify(property)} } keeps the label in the file.`,
      );
    }
    add(property, spec);
  }
  let used = 1;
  for (const { labelBytes: bytes, spec } of planned) {
    used += Segment.recordSize(bytes.byteLength, spec.sig.length, spec.valueSize * (spec.buffered ? 2 : 1));
  }
  return { fields: planned, used, size: fileSize(used) };
}
