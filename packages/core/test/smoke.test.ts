import { describe, expect, it } from 'vitest';
import { Counter, Registry } from '../src/index.js';

describe('core smoke', () => {
  it('counts and renders', () => {
    const registry = new Registry({ storage: false });
    const c = new Counter({ name: 'x_total', help: 'x', labelNames: ['a'], registers: [registry] });
    c.inc({ a: 'b' }, 2);
    expect(registry.metrics()).toBe('# HELP x_total x\n# TYPE x_total counter\nx_total{a="b"} 2\n');
  });
});
