/** A field label split the way docs/file-format.md#samples-as-labels builds it: `<prefix><name><suffix>{labels}`. */
export interface ParsedFieldLabel {
  /** Prometheus sample name: the part before `{` with characters outside [a-zA-Z0-9_:] turned into `_`. */
  name: string;
  /** Label pairs with their values still escaped as in the exposition, in file order. */
  pairs: [string, string][];
}

const PAIR = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"(,|$)/y;

/** A Prometheus metric name from any label: sanitised, and never starting with a digit. */
export function sanitizeName(text: string): string {
  const name = text.replace(/[^a-zA-Z0-9_:]/g, '_');
  return /^[0-9]/.test(name) ? `_${name}` : name;
}

/**
 * Splits a field label. Labels that do not parse as `name{k="v",…}` (files from the original Python
 * mmstats, `status.2XX`, or anything else) become a sanitised name without labels, so whatever a
 * file holds, the exposition we build from it stays valid.
 */
export function parseFieldLabel(label: string): ParsedFieldLabel {
  const brace = label.indexOf('{');
  if (brace > 0 && label.endsWith('}')) {
    const pairs = parsePairs(label.slice(brace + 1, -1));
    if (pairs !== null) return { name: sanitizeName(label.slice(0, brace)), pairs };
  }
  return { name: sanitizeName(label), pairs: [] };
}

function parsePairs(text: string): [string, string][] | null {
  const pairs: [string, string][] = [];
  if (text === '') return pairs;
  const seen = new Set<string>();
  PAIR.lastIndex = 0;
  while (PAIR.lastIndex < text.length) {
    const m = PAIR.exec(text);
    if (m === null || seen.has(m[1]!) || m[1]!.startsWith('__')) return null;
    seen.add(m[1]!);
    pairs.push([m[1]!, m[2]!]);
  }
  return text.endsWith(',') ? null : pairs;
}

export function renderPairs(pairs: readonly (readonly [string, string])[]): string {
  return pairs.map(([k, v]) => `${k}="${v}"`).join(',');
}
