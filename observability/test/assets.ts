import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

/** The observability/ directory: the shipped assets the tests read. */
export const ASSETS = fileURLToPath(new URL('..', import.meta.url));
export const REPO = join(ASSETS, '..');
export const PROMETHEUS_YML = join(ASSETS, 'prometheus.yml');
export const RULES_DIR = join(ASSETS, 'rules');
export const RULE_FILES = [join(RULES_DIR, 'recording.yml'), join(RULES_DIR, 'alerts.yml')];
export const RULE_TESTS = readdirSync(join(RULES_DIR, 'tests'))
  .filter((f) => f.endsWith('.test.yml'))
  .sort()
  .map((f) => join(RULES_DIR, 'tests', f));
export const DASHBOARD = join(ASSETS, 'grafana', 'dashboard.json');

export interface Rule {
  record?: string;
  alert?: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export interface RuleGroup {
  name: string;
  interval?: string;
  rules: Rule[];
}

export function ruleGroups(file: string): RuleGroup[] {
  const parsed = parse(readFileSync(file, 'utf8')) as { groups: RuleGroup[] };
  return parsed.groups;
}

/** Every rule of the shipped rule files, in file order. */
export function allRules(): Rule[] {
  return RULE_FILES.flatMap((file) => ruleGroups(file).flatMap((g) => g.rules));
}

export function alertRules(): Array<Rule & { alert: string }> {
  return allRules().filter((r): r is Rule & { alert: string } => typeof r.alert === 'string');
}

export function recordedNames(): Set<string> {
  return new Set(allRules().flatMap((r) => (r.record ? [r.record] : [])));
}

/** The shipped dashboard, as parsed JSON. */
export function dashboard(): Record<string, unknown> {
  return JSON.parse(readFileSync(DASHBOARD, 'utf8')) as Record<string, unknown>;
}

export interface PanelQuery {
  panel: string;
  refId: string;
  expr: string;
}

interface PanelJson {
  type: string;
  title?: string;
  panels?: PanelJson[];
  targets?: Array<{ refId?: string; expr?: string }>;
}

/** Every target of every panel (rows included), as Grafana would send them. */
export function panelQueries(board = dashboard()): PanelQuery[] {
  const out: PanelQuery[] = [];
  const walk = (panels: PanelJson[]) => {
    for (const panel of panels) {
      if (panel.panels) walk(panel.panels);
      for (const target of panel.targets ?? []) {
        if (typeof target.expr === 'string')
          out.push({ panel: panel.title ?? panel.type, refId: target.refId ?? '', expr: target.expr });
      }
    }
  };
  walk((board.panels ?? []) as PanelJson[]);
  return out;
}

/** Every string under a key named "expr" anywhere in the JSON, however it is nested. */
export function everyExprIn(json: unknown): string[] {
  if (Array.isArray(json)) return json.flatMap(everyExprIn);
  if (json === null || typeof json !== 'object') return [];
  return Object.entries(json).flatMap(([key, value]) =>
    key === 'expr' && typeof value === 'string' ? [value] : everyExprIn(value),
  );
}

export interface TemplateVariable {
  name: string;
  type: string;
  query?: string | { query?: string };
}

export function templateVariables(board = dashboard()): TemplateVariable[] {
  return ((board.templating as { list?: TemplateVariable[] } | undefined)?.list ?? []) as TemplateVariable[];
}

/** The recorded series an expression reads (identifiers with a colon, outside label values). */
export function recordedNamesIn(expr: string): string[] {
  const withoutStrings = expr.replace(/"(?:[^"\\]|\\.)*"/g, '""');
  return [...new Set(withoutStrings.match(/[a-zA-Z_][a-zA-Z0-9_]*:[a-zA-Z0-9_:]*/g) ?? [])];
}
