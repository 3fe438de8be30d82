import { MetricsError } from '../errors.js';

export type LabelValue = string | number;
export type Labels = Record<string, LabelValue>;

/**
 * Children of a trie node by label value. While there are few (methods, status classes, most
 * routes of one method) they sit in a list searched with `===`, which for the interned strings
 * label values usually are is a pointer compare: about half the cost of hashing into a Map,
 * which takes over once the list grows past SMALL.
 */
class Node<T> {
  private keys: unknown[] = [];
  private children: (Node<T> | T)[] = [];
  private map: Map<unknown, Node<T> | T> | null = null;

  get(key: unknown): Node<T> | T | undefined {
    if (this.map !== null) return this.map.get(key);
    const keys = this.keys;
    for (let i = 0; i < keys.length; i++) if (keys[i] === key) return this.children[i];
    return undefined;
  }

  set(key: unknown, value: Node<T> | T): void {
    if (this.map !== null) {
      this.map.set(key, value);
      return;
    }
    const at = this.keys.indexOf(key);
    if (at >= 0) {
      this.children[at] = value;
      return;
    }
    this.keys.push(key);
    this.children.push(value);
    if (this.keys.length > SMALL) {
      this.map = new Map(this.keys.map((k, i) => [k, this.children[i]!]));
      this.keys = [];
      this.children = [];
    }
  }

  /** Drops every key that leads to `value` (a series has aliases: "200" and 200). */
  deleteValue(value: Node<T> | T): void {
    if (this.map !== null) {
      for (const [key, child] of this.map) if (child === value) this.map.delete(key);
      return;
    }
    for (let i = this.keys.length - 1; i >= 0; i--) {
      if (this.children[i] === value) {
        this.keys.splice(i, 1);
        this.children.splice(i, 1);
      }
    }
  }

  clear(): void {
    this.keys = [];
    this.children = [];
    this.map = null;
  }
}

const SMALL = 8;

/** Escapes a label value for the exposition formats and for mmstats field labels. */
export function escapeLabelValue(value: string): string {
  return /[\\"\n]/.test(value)
    ? value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')
    : value;
}

/** `name="value",…` in declared order, the form used in both the exposition and the file. */
export function renderLabelPairs(names: readonly string[], values: readonly string[]): string {
  let out = '';
  for (let i = 0; i < names.length; i++) {
    if (i > 0) out += ',';
    out += `${names[i]}="${escapeLabelValue(values[i]!)}"`;
  }
  return out;
}

/** Labels given at a timer's start and at its end; copies only when both were given. */
export function mergeLabels(start: Labels | undefined, end: Labels | undefined): Labels | undefined {
  if (end === undefined) return start;
  if (start === undefined) return end;
  return { ...start, ...end };
}

function normalise(metric: string, name: string, value: unknown): string {
  if (typeof value === 'string') return value.toWellFormed();
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint')
    return String(value);
  if (value === undefined || value === null) {
    throw new MetricsError(
      'MISSING_LABEL',
      `${metric}: label "${name}" is missing. Pass a value for every declared label name.`,
    );
  }
  throw new MetricsError(
    'INVALID_VALUE',
    `${metric}: label "${name}" must be a string or number, got ${typeof value}.`,
  );
}

/** The value every label of the overflow series takes (as OpenTelemetry's `otel.metric.overflow`). */
export const OVERFLOW_LABEL_VALUE = '__overflow__';

/** Series per metric unless the metric or its registry says otherwise: OpenTelemetry's default. */
export const DEFAULT_CARDINALITY_LIMIT = 2000;

/** Called when a label set is refused because the metric is at its limit; `first` on the first one. */
export type RefusedLabelSet = (first: boolean) => void;

/**
 * Finds the series of a label set without building a string key: a trie of Maps in declared
 * label order, so a hit costs one Map lookup per label. Misses, number values and mistakes take
 * the slow path, which validates and names what was wrong.
 */
export class SeriesIndex<T> {
  private readonly root = new Node<T>();
  private readonly list: T[] = [];
  private readonly valuesOf = new Map<T, string[]>();
  private overflowSeries: T | undefined;
  /** Label sets refused since the metric reached its limit (each recording with one counts). */
  refused = 0;

  /**
   * `limit`: label sets kept; later new ones fold into one overflow series whose every label is
   * OVERFLOW_LABEL_VALUE, and `onRefused` is told. Checked only when a label set is new, so the
   * lookup of a known one costs the same.
   */
  constructor(
    private readonly metric: string,
    private readonly names: readonly string[],
    private readonly create: (values: string[]) => T,
    private readonly limit: number = Number.POSITIVE_INFINITY,
    private readonly onRefused?: RefusedLabelSet,
  ) {
    this.get = compileGet<T>(names, this.root, (labels) => this.slowGet(labels));
  }

  get size(): number {
    return this.list.length;
  }

  /**
   * Series for a label object; every declared name must be present, no other. Replaced in the
   * constructor by a function generated for these label names (see `compileGet`).
   */
  get: (labels: Labels) => T;

  /** Series for positional values, in declared order. */
  getByValues(values: readonly unknown[]): T {
    if (values.length !== this.names.length) {
      throw new MetricsError(
        values.length < this.names.length ? 'MISSING_LABEL' : 'UNKNOWN_LABEL',
        `${this.metric}: got ${values.length} label value(s) for ${this.names.length} label name(s) [${this.names.join(', ')}]. Pass one value per declared label, in order.`,
      );
    }
    const labels: Labels = {};
    for (let i = 0; i < values.length; i++) labels[this.names[i]!] = values[i] as LabelValue;
    return this.slowGet(labels);
  }

  /** Removes the series of a label set; returns it, or undefined when there was none. */
  remove(labels: Labels): T | undefined {
    const values = this.check(labels);
    let node: Node<T> = this.root;
    const path: Node<T>[] = [];
    for (let i = 0; i < values.length - 1; i++) {
      const next = node.get(values[i]);
      if (next === undefined) return undefined;
      path.push(node);
      node = next as Node<T>;
    }
    const last = values[values.length - 1];
    const series = node.get(last) as T | undefined;
    if (series === undefined) return undefined;
    // Aliases (number keys) point at the same series: drop every key that does.
    node.deleteValue(series);
    if (series === this.overflowSeries) this.overflowSeries = undefined;
    this.list.splice(this.list.indexOf(series), 1);
    this.valuesOf.delete(series);
    return series;
  }

  clear(): void {
    this.overflowSeries = undefined;
    this.root.clear();
    this.list.length = 0;
    this.valuesOf.clear();
  }

  /** Series in creation order: a stable exposition order. */
  all(): readonly T[] {
    return this.list;
  }

  labelValues(series: T): readonly string[] {
    return this.valuesOf.get(series) ?? [];
  }

  private check(labels: Labels): string[] {
    if (labels === null || typeof labels !== 'object') {
      throw new MetricsError(
        'INVALID_VALUE',
        `${this.metric}: labels must be an object like { ${this.names.join(': …, ')}: … }.`,
      );
    }
    for (const key of Object.keys(labels)) {
      if (!this.names.includes(key)) {
        throw new MetricsError(
          'UNKNOWN_LABEL',
          `${this.metric}: unknown label "${key}". Declared label names are [${this.names.join(', ')}]; add "${key}" to labelNames or drop it.`,
        );
      }
    }
    return this.names.map((name) => normalise(this.metric, name, labels[name]));
  }

  /** Whether `series` is the one that refused label sets fold into. */
  isOverflow(series: T): boolean {
    return series === this.overflowSeries;
  }

  private find(values: readonly string[]): T | undefined {
    let node: Node<T> | T | undefined = this.root;
    for (const value of values) {
      node = (node as Node<T>).get(value);
      if (node === undefined) return undefined;
    }
    return node as T;
  }

  private refuse(): T {
    this.refused++;
    try {
      this.onRefused?.(this.refused === 1);
    } catch {
      // Only a warning and a count: recording goes on.
    }
    if (this.overflowSeries === undefined) {
      const marker = this.names.map(() => OVERFLOW_LABEL_VALUE);
      this.overflowSeries = this.find(marker) ?? this.insert(marker, marker);
    }
    return this.overflowSeries;
  }

  private slowGet(labels: Labels): T {
    const values = this.check(labels);
    // A metric without labels has exactly one series.
    if (values.length === 0) return this.list[0] ?? this.add(values);
    if (this.list.length >= this.limit && this.find(values) === undefined) return this.refuse();
    return this.insert(values, labels);
  }

  /** The series of `values`, created when missing; `labels` as given, for the number aliases. */
  private insert(values: string[], labels: Labels | readonly string[]): T {
    const given = labels as Record<string | number, unknown>;
    const positional = Array.isArray(labels);
    let node: Node<T> = this.root;
    for (let i = 0; i < values.length; i++) {
      const raw = positional ? given[i] : given[this.names[i]!];
      const last = i === values.length - 1;
      let next = node.get(values[i]);
      if (next === undefined) {
        next = last ? this.add(values) : new Node<T>();
        node.set(values[i], next);
      }
      // A number value gets its own key too, so `status: 200` stays on the fast path.
      // NaN never equals itself, so an alias for it would never be found, only added again.
      if (raw !== values[i] && (typeof raw === 'string' || (typeof raw === 'number' && !Number.isNaN(raw))))
        node.set(raw, next);
      node = next as Node<T>;
    }
    return node as unknown as T;
  }

  private add(values: string[]): T {
    const series = this.create(values);
    this.list.push(series);
    this.valuesOf.set(series, values);
    return series;
  }
}

/**
 * Builds `get` for one metric's label names. Reading `labels[names[i]]` in a loop makes V8's
 * property access megamorphic; named reads in generated code stay monomorphic per metric, about
 * twice as fast (bench/NOTES.md). Names are safe to inline: validateLabelNames only
 * lets `[a-zA-Z_][a-zA-Z0-9_]*` through. The key count rejects unknown labels on the fast path.
 */
function compileGet<T>(
  names: readonly string[],
  root: Node<T>,
  slow: (labels: Labels) => T,
): (labels: Labels) => T {
  if (names.length === 0) return slow;
  let body = `let n = 0; for (const _ in l) n++; if (n !== ${names.length}) return slow(l); let x = root;`;
  for (const name of names) body += ` x = x.get(l.${name}); if (x === undefined) return slow(l);`;
  body += ' return x;';
  return new Function('root', 'slow', `return function get(l) { ${body} };`)(root, slow) as (
    labels: Labels,
  ) => T;
}
