import { MetricsError } from '../errors.js';
import { createImageFile, type ImageFile } from '../storage/image-file.js';
import { closeAtExit, OpenFiles } from '../storage/open-files.js';
import { defaultFieldSpecs } from './default-field-specs.js';
import type { FieldSlot, FieldSpec } from './field-spec.js';
import { type Layout, planLayout } from './layout.js';
import { type FieldMap, type MmStatsOptions, resolveOptions } from './options.js';
import { claimStatsPath, type FileOwner } from './stats-path.js';

type ValueOf<S> = S extends FieldSpec<infer T, boolean> ? T : never;
type WritableKeys<F> = { [K in keyof F]: F[K] extends FieldSpec<unknown, true> ? K : never }[keyof F];

/** The properties of a stats object: assignable values, and read-only statics and objects. */
export type MmStatsFields<F extends FieldMap> = {
  -readonly [K in WritableKeys<F>]: ValueOf<F[K]>;
} & {
  readonly [K in Exclude<keyof F, WritableKeys<F>>]: ValueOf<F[K]>;
};

/** A stats object: its fields as properties, plus the members of MmStatsBase. */
export type MmStats<F extends FieldMap> = MmStatsBase & MmStatsFields<F>;

/** Exit and garbage-collection bookkeeping; reachable exactly as long as the stats object is. */
interface FileState extends FileOwner {
  /** The first write that failed (fallback backend), reported by sync(). */
  failure: unknown;
  untrack: () => void;
  publish(): void;
}

/**
 * What every stats object has besides its fields (mmstats' `filename`, `size`, `remove()`). Field
 * properties are defined on each instance, so a field may not reuse one of these names.
 */
export class MmStatsBase {
  readonly #file: ImageFile;
  readonly #state: FileState;

  /** @internal Made by createMmStats. */
  constructor(file: ImageFile, state: FileState) {
    this.#file = file;
    this.#state = state;
  }

  /** The file's path. */
  get path(): string {
    return this.#file.path;
  }

  /** The file's size in bytes: one page, or whole pages when the fields need more. */
  get size(): number {
    return this.#file.segment.capacity;
  }

  /** `'mmap'`: fields are stores into a shared mapping. `'fallback'`: every write is a pwrite. */
  get backend(): 'mmap' | 'fallback' {
    return this.#file.backend;
  }

  /** Makes the values durable on disk (msync or fsync); reports a write that failed. */
  sync(): void {
    const state = this.#state;
    if (state.closed) return;
    try {
      if (state.failure !== undefined) throw state.failure;
      this.#file.sync();
    } catch (error) {
      throw new MetricsError(
        'STORAGE',
        `Cannot write ${this.path}: ${(error as Error).message}. Free space or fix the permissions of its directory; the values are still correct in this process.`,
      );
    }
  }

  /** Deletes the file. The fields keep working, in this process only. */
  remove(): void {
    const state = this.#state;
    if (state.closed) return;
    state.closed = true;
    state.untrack();
    this.#file.close(true);
  }
}

/** A member name of the stats object, which a field property would hide. */
const reserved = (property: string) => property in MmStatsBase.prototype;

/**
 * Creates a stats object and its mmstats file, like instantiating an mmstats `MmStats` subclass:
 * the field set is fixed, laid out in one go in declaration order (after the default fields), in
 * a file of one page or more, built under a temporary name and renamed into place.
 *
 * ```ts
 * const web = createMmStats({
 *   labelPrefix: 'web.stats.',
 *   fields: { status2xx: field.uint({ label: 'status.2XX' }), hits: field.counter() },
 * });
 * web.status2xx += 1;
 * web.hits.incr();
 * ```
 */
export function createMmStats<F extends FieldMap>(options: MmStatsOptions<F>): MmStats<F> {
  const resolved = resolveOptions(options);
  const layout = planLayout(
    resolved.labelPrefix,
    resolved.defaultFields ? defaultFieldSpecs() : [],
    resolved.fields,
    reserved,
  );
  const state: FileState = { closed: false, failure: undefined, untrack: () => {}, publish() {} };
  const path = claimStatsPath(resolved, state);
  const offsets: number[] = [];
  let file: ImageFile;
  try {
    file = createImageFile(
      path,
      layout.size,
      (segment) => {
        for (const { labelBytes, spec } of layout.fields) {
          offsets.push(
            segment.appendField(labelBytes, spec.sig, spec.valueSize, spec.buffered, spec.initial()),
          );
        }
      },
      resolved.mode,
      resolved.backend === 'fallback',
      { writeThrough: true },
    );
  } catch (error) {
    state.closed = true;
    if (error instanceof MetricsError) throw error;
    throw new MetricsError(
      'STORAGE',
      `Cannot create ${path}: ${(error as Error).message}. Free space or fix the permissions of ${resolved.directory}.`,
    );
  }
  const files = new OpenFiles(resolved.removeOnExit);
  files.add(file);
  state.untrack = closeAtExit(state, files);
  const stats = new MmStatsBase(file, state);
  defineFields(stats, layout, offsets, slotMaker(file, state));
  return stats as MmStats<F>;
}

/** Slots over the file's bytes; the fallback writes each change through, keeping its first failure. */
function slotMaker(file: ImageFile, state: FileState): (offset: number) => FieldSlot {
  const { u8, dv } = file.segment;
  const publish =
    file.writeRange === undefined
      ? () => {}
      : (start: number, end: number) => {
          try {
            file.writeRange!(start, end);
          } catch (error) {
            // Never thrown at the caller of `stats.x = …`: sync() reports it.
            state.failure ??= error;
          }
        };
  return (offset) => ({ u8, dv, offset, publish });
}

function defineFields(
  stats: MmStatsBase,
  layout: Layout,
  offsets: readonly number[],
  slot: (offset: number) => FieldSlot,
): void {
  layout.fields.forEach(({ property, spec }, i) => {
    if (property === undefined) return;
    const access = spec.bind(slot(offsets[i]!));
    Object.defineProperty(stats, property, {
      enumerable: true,
      get: access.get,
      set: spec.writable ? access.set : undefined,
    });
  });
}
