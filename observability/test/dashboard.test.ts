import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { defaultDashboard } from '@grafana/schema';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { createGenerator } from 'ts-json-schema-generator';
import { beforeAll, describe, expect, it } from 'vitest';
import { dashboard, panelQueries, recordedNames, recordedNamesIn, templateVariables } from './assets.js';

// Grafana publishes its dashboard schema (CUE, kinds/dashboard) as the generated TypeScript
// types of @grafana/schema; no JSON Schema file ships on npm. We turn those types into a JSON
// Schema with ts-json-schema-generator (closed objects: an unknown or misspelt field is an
// error) and validate with ajv: the dashboard against `Dashboard` (dashboard v1, the JSON model
// Grafana imports), each timeseries panel's options and custom field config against the
// timeseries panel's own `Options` and `FieldConfig`.
const SCHEMA_DIR = join(
  dirname(createRequire(import.meta.url).resolve('@grafana/schema/package.json')),
  'dist',
  'types',
);
const DASHBOARD_TYPES = join(SCHEMA_DIR, 'raw', 'dashboard', 'x', 'types.gen.d.ts');
const TIMESERIES_TYPES = join(
  SCHEMA_DIR,
  'raw',
  'composable',
  'timeseries',
  'panelcfg',
  'x',
  'types.gen.d.ts',
);

function compile(path: string, type: string): ValidateFunction {
  const schema = createGenerator({
    path,
    type,
    skipTypeCheck: true,
    additionalProperties: false,
  }).createSchema(type);
  return new Ajv({ allErrors: true, strict: false }).compile(schema);
}

function errors(validate: ValidateFunction, value: unknown): string[] {
  return validate(value)
    ? []
    : (validate.errors ?? []).map(
        (e: ErrorObject) => `${e.instancePath} ${e.message} ${JSON.stringify(e.params)}`,
      );
}

interface Panel {
  id: number;
  type: string;
  title?: string;
  gridPos: { x: number; y: number; w: number; h: number };
  datasource?: { type?: string; uid?: string };
  targets?: Array<{ expr?: string; refId?: string; datasource?: { type?: string; uid?: string } }>;
  options?: unknown;
  fieldConfig?: { defaults: { custom?: unknown } };
  panels?: Panel[];
}

/** Grafana's reference to the datasource variable (a Grafana placeholder, not a JS template). */
const DATASOURCE = { type: 'prometheus', uid: ['$', '{datasource}'].join('') };

const board = dashboard();
const panels = (board.panels as Panel[]).flatMap((p) => [p, ...(p.panels ?? [])]);
const clone = () => JSON.parse(JSON.stringify(board)) as { panels: Panel[]; schemaVersion: unknown };

describe("the Grafana dashboard against Grafana's published schema", () => {
  let validateDashboard: ValidateFunction;
  let validateOptions: ValidateFunction;
  let validateFieldConfig: ValidateFunction;

  beforeAll(() => {
    validateDashboard = compile(DASHBOARD_TYPES, 'Dashboard');
    validateOptions = compile(TIMESERIES_TYPES, 'Options');
    validateFieldConfig = compile(TIMESERIES_TYPES, 'FieldConfig');
  }, 60_000);

  it('is a valid dashboard of the current schema version', () => {
    expect(errors(validateDashboard, board)).toEqual([]);
    expect(board.schemaVersion).toBeGreaterThanOrEqual(
      defaultDashboard.schemaVersion ?? Number.POSITIVE_INFINITY,
    );
  });

  it('has valid timeseries options and field config in every panel', () => {
    const series = panels.filter((p) => p.type === 'timeseries');
    expect(series.length).toBeGreaterThan(0);
    for (const panel of series) {
      expect(errors(validateOptions, panel.options), panel.title).toEqual([]);
      expect(errors(validateFieldConfig, panel.fieldConfig?.defaults.custom), panel.title).toEqual([]);
    }
    expect(panels.every((p) => p.type === 'timeseries' || p.type === 'row')).toBe(true);
  });

  it('rejects broken dashboards (the validation is not vacuous)', () => {
    const stringVersion = clone();
    stringVersion.schemaVersion = '42';
    expect(errors(validateDashboard, stringVersion)).not.toEqual([]);
    const misspelt = clone();
    (misspelt.panels[1] as unknown as Record<string, unknown>).titel = 'typo';
    expect(errors(validateDashboard, misspelt).join('\n')).toContain('titel');
    const noY = clone();
    delete (noY.panels[1]!.gridPos as Partial<Panel['gridPos']>).y;
    expect(errors(validateDashboard, noY)).not.toEqual([]);
    const badLegend = clone().panels[1]!.options as { legend: { displayMode: string } };
    badLegend.legend.displayMode = 'grid';
    expect(errors(validateOptions, badLegend)).not.toEqual([]);
  });
});

describe('the dashboard model', () => {
  it('has a datasource variable, and job and route variables that read our metric', () => {
    const vars = Object.fromEntries(templateVariables().map((v) => [v.name, v]));
    expect(vars.datasource).toMatchObject({ type: 'datasource', query: 'prometheus' });
    const query = (name: string) => {
      const q = vars[name]?.query;
      return typeof q === 'string' ? q : q?.query;
    };
    expect(vars.job?.type).toBe('query');
    expect(query('job')).toBe('label_values(http_requests_total, job)');
    expect(vars.route?.type).toBe('query');
    expect(query('route')).toBe('label_values(http_requests_total{job=~"$job"}, route)');
    for (const name of ['job', 'route'])
      expect((vars[name] as { datasource?: unknown }).datasource).toEqual(DATASOURCE);
  });

  it('queries the datasource variable from every panel and target', () => {
    for (const panel of panels.filter((p) => p.type !== 'row')) {
      expect(panel.datasource, panel.title).toEqual(DATASOURCE);
      expect(panel.targets?.length, panel.title).toBeGreaterThan(0);
      for (const target of panel.targets ?? []) expect(target.datasource, panel.title).toEqual(DATASOURCE);
    }
  });

  it('builds every panel on the recording rules, with one panel or more per golden signal', () => {
    const recorded = recordedNames();
    const used = new Set<string>();
    for (const { panel, expr } of panelQueries()) {
      const names = recordedNamesIn(expr);
      expect(names.length, `${panel}: ${expr}`).toBeGreaterThan(0);
      for (const name of names) {
        expect(recorded.has(name), `${panel} reads ${name}, which no rule records`).toBe(true);
        used.add(name);
      }
      // Raw series are read through the rules only.
      const raw = expr.replace(/[a-zA-Z_][a-zA-Z0-9_]*:[a-zA-Z0-9_:]*/g, '');
      expect(raw, panel).not.toMatch(
        /\b(http_requests_total|http_request_duration_seconds_|nodejs_|process_)/,
      );
      expect(expr, panel).toMatch(/job=~"\$job"/);
    }
    for (const signal of [
      'job_route:http_requests:rate5m', // traffic
      'job_route_status:http_requests:rate5m',
      'job_route:http_requests_errors:ratio_rate5m', // errors
      'job:slo_availability_errors:ratio_rate1h',
      'job_route_le:http_request_duration_seconds_bucket:rate5m', // latency
      'job:slo_latency_slow:ratio_rate1h',
      'job_instance:http_requests_in_flight:sum', // saturation
      'job_instance:nodejs_eventloop_lag_seconds:avg5m',
      'job_instance:nodejs_eventloop_utilization_ratio:avg5m',
      'job_instance:process_cpu_seconds:rate5m',
    ])
      expect(used.has(signal), `no panel shows ${signal}`).toBe(true);
  });

  it('lays panels out without overlaps, with unique ids', () => {
    expect(new Set(panels.map((p) => p.id)).size).toBe(panels.length);
    for (const [i, a] of panels.entries())
      for (const b of panels.slice(i + 1)) {
        const apart =
          a.gridPos.x + a.gridPos.w <= b.gridPos.x ||
          b.gridPos.x + b.gridPos.w <= a.gridPos.x ||
          a.gridPos.y + a.gridPos.h <= b.gridPos.y ||
          b.gridPos.y + b.gridPos.h <= a.gridPos.y;
        expect(apart, `${a.title} overlaps ${b.title}`).toBe(true);
      }
    for (const p of panels) expect(p.gridPos.x + p.gridPos.w, p.title).toBeLessThanOrEqual(24);
  });
});
