import { contentTypeOf, type ExpositionFormat } from './render.js';

export interface Negotiated {
  format: ExpositionFormat;
  contentType: string;
}

interface MediaRange {
  type: string;
  params: Map<string, string>;
  q: number;
  order: number;
}

function parseAccept(header: string): MediaRange[] {
  const ranges: MediaRange[] = [];
  header.split(',').forEach((part, order) => {
    const [type = '', ...rest] = part.split(';').map((s) => s.trim());
    if (type === '') return;
    const params = new Map<string, string>();
    for (const p of rest) {
      const eq = p.indexOf('=');
      if (eq > 0)
        params.set(
          p.slice(0, eq).trim().toLowerCase(),
          p
            .slice(eq + 1)
            .trim()
            .replace(/^"|"$/g, ''),
        );
    }
    const q = params.has('q') ? Number(params.get('q')) : 1;
    ranges.push({ type: type.toLowerCase(), params, q: Number.isFinite(q) ? q : 0, order });
  });
  return ranges;
}

function supported(range: MediaRange): ExpositionFormat | null {
  const version = range.params.get('version');
  if (range.type === 'application/openmetrics-text')
    return version === undefined || version === '1.0.0' ? 'openmetrics' : null;
  if (range.type === 'text/plain') return version === undefined || version === '0.0.4' ? 'text' : null;
  if (range.type === '*/*' || range.type === 'text/*') return 'text';
  return null;
}

/**
 * Picks the exposition format from an `Accept` header the way Prometheus' own clients do: the
 * highest-q media range we can serve wins, the earlier one on ties; OpenMetrics only in the
 * version we write (1.0.0); anything else, or no header at all, gets the text format 0.0.4.
 */
export function negotiate(accept: string | undefined | null): Negotiated {
  let best: { format: ExpositionFormat; q: number; order: number } | null = null;
  if (accept) {
    for (const range of parseAccept(accept)) {
      const format = supported(range);
      if (format === null || range.q <= 0) continue;
      if (best === null || range.q > best.q || (range.q === best.q && range.order < best.order)) {
        best = { format, q: range.q, order: range.order };
      }
    }
  }
  const format = best?.format ?? 'text';
  return { format, contentType: contentTypeOf(format) };
}
