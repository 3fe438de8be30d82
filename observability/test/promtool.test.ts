import { spawn } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { toolAvailable } from '@mmstats/test-utils';
import { afterAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import {
  ASSETS,
  alertRules,
  PROMETHEUS_YML,
  RULE_FILES,
  RULE_TESTS,
  RULES_DIR,
  type RuleGroup,
  ruleGroups,
} from './assets.js';

interface Run {
  status: number | null;
  output: string;
}

/** Runs promtool (asynchronously, so that several runs overlap), for at most 90 s. */
function promtool(args: string[], cwd = ASSETS): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn('promtool', args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => {
      output += d;
    });
    child.stderr.on('data', (d) => {
      output += d;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
    child.on('error', reject);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, output });
    });
  });
}

interface AlertTest {
  eval_time: string;
  alertname: string;
  exp_alerts?: unknown[];
}

interface UnitTestFile {
  rule_files: string[];
  tests: Array<{ name: string; alert_rule_test?: AlertTest[] }>;
}

const unitTests = RULE_TESTS.map((file) => ({
  file,
  parsed: parse(readFileSync(file, 'utf8')) as UnitTestFile,
}));

describe.skipIf(!toolAvailable('promtool'))('promtool on the shipped config and rules', () => {
  const scratch: string[] = [];
  afterAll(() => {
    for (const dir of scratch) rmSync(dir, { recursive: true, force: true });
  });

  it('checks the scrape config and the rule files it loads', async () => {
    const run = await promtool(['check', 'config', basename(PROMETHEUS_YML)]);
    expect(run.output).toContain('is valid prometheus config file syntax');
    for (const file of RULE_FILES) {
      const count = ruleGroups(file).reduce((n, g) => n + g.rules.length, 0);
      expect(run.output).toContain(`Checking rules/${basename(file)}\n  SUCCESS: ${count} rules found`);
    }
    expect(run.status, run.output).toBe(0);
  });

  it('checks the rule files (syntax, PromQL, templates)', async () => {
    const run = await promtool(['check', 'rules', ...RULE_FILES]);
    expect(run.status, run.output).toBe(0);
    expect(run.output.match(/SUCCESS: \d+ rules found/g)).toHaveLength(RULE_FILES.length);
  });

  it('has unit tests that show every alert both firing and silent', () => {
    for (const { parsed } of unitTests) {
      expect(parsed.rule_files.sort()).toEqual(['../alerts.yml', '../recording.yml']);
    }
    const cases = unitTests.flatMap(({ parsed }) => parsed.tests.flatMap((t) => t.alert_rule_test ?? []));
    for (const { alert } of alertRules()) {
      const mine = cases.filter((c) => c.alertname === alert);
      expect(
        mine.some((c) => (c.exp_alerts ?? []).length > 0),
        `${alert} is never shown firing`,
      ).toBe(true);
      expect(
        mine.some((c) => (c.exp_alerts ?? []).length === 0),
        `${alert} is never shown silent`,
      ).toBe(true);
    }
    // No test names an alert that does not exist.
    const names = new Set(alertRules().map((r) => r.alert));
    for (const c of cases) expect(names.has(c.alertname), c.alertname).toBe(true);
  });

  // Three promtool runs at once: the shipped tests must pass, and two broken copies of the
  // alerts must make them fail for every alert (so that the tests do check each one).
  const mutated = (mutate: (expr: string) => string) => {
    const dir = mkdtempSync(join(tmpdir(), 'mmstats-rules-'));
    scratch.push(dir);
    cpSync(RULES_DIR, dir, { recursive: true });
    const file = join(dir, 'alerts.yml');
    const groups = (parse(readFileSync(file, 'utf8')) as { groups: RuleGroup[] }).groups;
    for (const rule of groups.flatMap((g) => g.rules)) {
      if (!rule.alert) continue;
      const expr = mutate(rule.expr);
      expect(expr, `mutation left ${rule.alert} unchanged`).not.toBe(rule.expr);
      rule.expr = expr;
    }
    writeFileSync(file, stringify({ groups }));
    return promtool(['test', 'rules', ...RULE_TESTS.map((t) => join('tests', basename(t)))], dir);
  };

  it('passes the unit tests of every alert; broken alerts fail them', async () => {
    const [shipped, never, always] = await Promise.all([
      promtool(['test', 'rules', ...RULE_TESTS]),
      // Never fires: the condition can no longer hold.
      mutated((expr) => `(${expr}) and on () vector(0) > 1`),
      // Fires too easily: every threshold becomes 0.
      mutated((expr) => expr.replace(/> [0-9.]+ \*/g, '> 0 *').replace(/> [0-9.]+\s*$/, '> 0')),
    ]);
    expect(shipped.status, shipped.output).toBe(0);
    expect(shipped.output.match(/SUCCESS/g)).toHaveLength(RULE_TESTS.length);
    expect(shipped.output).not.toContain('FAILED');
    for (const run of [never, always]) expect(run.status, run.output).not.toBe(0);
    for (const { alert } of alertRules()) {
      expect(never.output, `a never-firing ${alert} passes the tests`).toContain(`alertname: ${alert},`);
      expect(always.output, `a ${alert} with threshold 0 passes the tests`).toContain(`alertname: ${alert},`);
    }
  }, 180_000);
});

describe('the SLO parameters', () => {
  it('are one target each, and one latency threshold shared by the rules and the alert texts', () => {
    const recording = ruleGroups(RULE_FILES[0]!).flatMap((g) => g.rules);
    for (const name of ['slo:availability_target', 'slo:latency_target']) {
      const rules = recording.filter((r) => r.record === name);
      expect(rules, name).toHaveLength(1);
      expect(rules[0]!.expr, name).toMatch(/^vector\(0\.\d+\)$/);
    }
    const latency = recording.filter((r) => r.record?.startsWith('job:slo_latency_slow:'));
    expect(latency.map((r) => r.record!.split(':')[2]).sort()).toEqual(
      ['ratio_rate1h', 'ratio_rate30m', 'ratio_rate3d', 'ratio_rate5m', 'ratio_rate6h'].sort(),
    );
    const bounds = new Set(latency.flatMap((r) => [...r.expr.matchAll(/le="([^"]+)"/g)].map((m) => m[1])));
    expect([...bounds]).toHaveLength(1);
    const ms = `${Number([...bounds][0]) * 1000} ms`;
    for (const alert of alertRules().filter((r) => r.labels?.slo === 'latency')) {
      expect(alert.annotations?.description, alert.alert).toContain(ms);
      expect(alert.expr, alert.alert).toContain('slo:latency_target');
    }
    for (const alert of alertRules().filter((r) => r.labels?.slo === 'availability'))
      expect(alert.expr, alert.alert).toContain('slo:availability_target');
  });
});
