import { readMmstatsDirectory } from '../../file-reader/discover.js';
import { type JsonNumber, jsonNumber } from './snapshot.js';

/** How values of several processes combine, as mmash's `aggr` parameter does. */
export type Aggregation = 'sum' | 'avg' | 'min' | 'max';

const AGGREGATIONS: Record<Aggregation, (values: number[]) => number> = {
  sum: (values) => values.reduce((a, b) => a + b, 0),
  avg: (values) => values.reduce((a, b) => a + b, 0) / values.length,
  min: (values) => Math.min(...values),
  max: (values) => Math.max(...values),
};

export function isAggregation(text: string): text is Aggregation {
  return Object.hasOwn(AGGREGATIONS, text);
}

/** `/stats/`: every numeric field label of every readable file, sorted, once each. */
export function fieldListing(targets: readonly string[] | undefined, env: NodeJS.ProcessEnv) {
  const { files, skipped } = readMmstatsDirectory(targets, { env });
  const labels = new Set<string>();
  for (const file of files)
    for (const field of file.fields) if (typeof field.value !== 'string') labels.add(field.label);
  return { fields: [...labels].sort(), files: files.length, skipped };
}

/**
 * `/stats/<prefix>?aggr=…`: each process' sum of the fields whose label starts with `prefix`,
 * combined across processes with `aggr`; `fields` combines each matching label the same way.
 */
export function aggregateStats(
  targets: readonly string[] | undefined,
  env: NodeJS.ProcessEnv,
  prefix: string,
  aggr: Aggregation,
): {
  prefix: string;
  aggr: Aggregation;
  value: JsonNumber | null;
  processes: number;
  fields: Record<string, JsonNumber>;
} {
  const { files } = readMmstatsDirectory(targets, { env });
  const perProcess: number[] = [];
  const perField = new Map<string, number[]>();
  for (const file of files) {
    let total = 0;
    let matched = false;
    for (const field of file.fields) {
      if (typeof field.value === 'string' || !field.label.startsWith(prefix)) continue;
      const value = Number(field.value);
      total += value;
      matched = true;
      const list = perField.get(field.label);
      if (list === undefined) perField.set(field.label, [value]);
      else list.push(value);
    }
    if (matched) perProcess.push(total);
  }
  const combine = AGGREGATIONS[aggr];
  const fields: Record<string, JsonNumber> = {};
  for (const label of [...perField.keys()].sort()) fields[label] = jsonNumber(combine(perField.get(label)!));
  return {
    prefix,
    aggr,
    value: perProcess.length === 0 ? null : jsonNumber(combine(perProcess)),
    processes: perProcess.length,
    fields,
  };
}
