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

/**
 * Finds the series of a label set without building a string key: a trie of Maps in declared
 * label order, so a hit costs one Map lookup per label. Misses, number values and mistakes take
 * the slow path, which validates and names what was wrong.
 */
export class SeriesIndex<T> {
  private readonly root = new Node<T>();
  private readonly list: T[] = [];
  private readonly valuesOf = new Map<T, string[]>();

  constructor(
    private readonly metric: string,
    private readonly names: readonly string[],
    private readonly create: (values: string[]) => T,
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
    this.list.splice(this.list.indexOf(series), 1);
    this.valuesOf.delete(series);
    return series;
  }

  clear(): void {
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

  private slowGet(labels: Labels): T {
    const values = this.check(labels);
    // A metric without labels has exactly one series.
    if (values.length === 0) return this.list[0] ?? this.add(values);
    let node: Node<T> = this.root;
    for (let i = 0; i < values.length; i++) {
      const raw = labels[this.names[i]!];
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
