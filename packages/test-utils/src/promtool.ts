import { spawnSync } from 'node:child_process';

export interface PromtoolResult {
  ok: boolean;
  output: string;
}

/**
 * Pipes an exposition through the real `promtool check metrics` (Debian's prometheus 2.42 here):
 * it parses the text format and lints it (HELP present, counters ending in `_total`, …); any
 * parse error or lint finding makes `ok` false.
 */
export function promtoolCheckMetrics(text: string): PromtoolResult {
  const run = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
  if (run.error) throw run.error;
  return { ok: run.status === 0, output: `${run.stdout}${run.stderr}`.trim() };
}
