import { describe, expect, it } from 'vitest';
import { negotiate } from '../../src/http.js';

const TEXT = 'text/plain; version=0.0.4; charset=utf-8';
const OPENMETRICS = 'application/openmetrics-text; version=1.0.0; charset=utf-8';

/**
 * Accept headers as Prometheus sends them, from its scrape code (scrape/scrape.go `acceptHeader`
 * and config.ScrapeProtocolsHeaders, weights counting down from the number of known protocols).
 */
const PROMETHEUS: Record<string, string> = {
  // Up to 2.48: a constant.
  '2.x (before scrape_protocols)':
    'application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1',
  // 2.49 to 2.55: built from the default scrape_protocols.
  '2.49+ default':
    'application/openmetrics-text;version=1.0.0;q=0.5,application/openmetrics-text;version=0.0.1;q=0.4,text/plain;version=0.0.4;q=0.3,*/*;q=0.2',
  '2.49+ native histograms (protobuf first)':
    'application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited;q=0.5,application/openmetrics-text;version=1.0.0;q=0.4,application/openmetrics-text;version=0.0.1;q=0.3,text/plain;version=0.0.4;q=0.2,*/*;q=0.1',
  // 3.0: text/plain 1.0.0 joins, and every protocol carries the UTF-8 escaping parameter.
  '3.0 default':
    'application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.6,application/openmetrics-text;version=0.0.1;escaping=allow-utf-8;q=0.5,text/plain;version=1.0.0;escaping=allow-utf-8;q=0.4,text/plain;version=0.0.4;escaping=allow-utf-8;q=0.3,*/*;q=0.2',
  // Later 3.x: escaping only on the 1.0.0 formats.
  '3.x default':
    'application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.6,application/openmetrics-text;version=0.0.1;q=0.5,text/plain;version=1.0.0;escaping=allow-utf-8;q=0.4,text/plain;version=0.0.4;q=0.3,*/*;q=0.2',
  '3.x legacy name validation':
    'application/openmetrics-text;version=1.0.0;escaping=underscores;q=0.6,application/openmetrics-text;version=0.0.1;q=0.5,text/plain;version=1.0.0;escaping=underscores;q=0.4,text/plain;version=0.0.4;q=0.3,*/*;q=0.2',
};

describe('negotiate with the Accept headers Prometheus sends', () => {
  for (const [version, accept] of Object.entries(PROMETHEUS)) {
    it(`Prometheus ${version} gets OpenMetrics 1.0.0`, () => {
      expect(negotiate(accept)).toEqual({ format: 'openmetrics', contentType: OPENMETRICS });
    });
  }

  it('Prometheus 3 limited to scrape_protocols [PrometheusText0.0.4] gets the text format', () => {
    expect(negotiate('text/plain;version=0.0.4;q=0.6,*/*;q=0.5')).toEqual({
      format: 'text',
      contentType: TEXT,
    });
  });

  it('Prometheus 3 limited to text 1.0.0 gets text 0.0.4 through */* (our names need no escaping)', () => {
    expect(negotiate('text/plain;version=1.0.0;escaping=allow-utf-8;q=0.6,*/*;q=0.5').format).toBe('text');
  });
});

describe('negotiate with other clients', () => {
  const cases: [string | undefined | null, 'text' | 'openmetrics'][] = [
    [undefined, 'text'],
    [null, 'text'],
    ['', 'text'],
    ['*/*', 'text'],
    ['text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8', 'text'],
    ['text/plain', 'text'],
    ['text/*', 'text'],
    ['application/json', 'text'],
    ['application/openmetrics-text', 'openmetrics'],
    ['Application/OpenMetrics-Text; Version="1.0.0"', 'openmetrics'],
    ['application/openmetrics-text;version=0.0.1', 'text'],
    ['application/openmetrics-text;version=2.0.0,text/plain;q=0.1', 'text'],
    ['*/*, application/openmetrics-text;version=1.0.0;q=0.5', 'text'],
    ['text/plain;q=0.5, application/openmetrics-text;q=0.5', 'text'],
    ['application/openmetrics-text;q=0.5, text/plain;q=0.5', 'openmetrics'],
    ['application/openmetrics-text;q=0, */*', 'text'],
    ['text/plain;q=0, application/openmetrics-text;q=0.1', 'openmetrics'],
    ['text/plain;q=nonsense, application/openmetrics-text;q=0.1', 'openmetrics'],
    [' , ;;, application/openmetrics-text ; version=1.0.0 ', 'openmetrics'],
  ];
  for (const [accept, format] of cases) {
    it(`${JSON.stringify(accept)} gets ${format}`, () => {
      expect(negotiate(accept)).toEqual({ format, contentType: format === 'text' ? TEXT : OPENMETRICS });
    });
  }
});
