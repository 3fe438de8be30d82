/**
 * The route template of a request that went through routers mounted at paths with parameters:
 * `app.use('/t/:tenant', router)` gives `req.baseUrl === '/t/acme'`, and the template
 * `/t/:tenant` is found again from the router layers that lead to the matched route.
 *
 * Express 5's router (2.x) keeps each layer's path as written (`rawPath`) and matches without
 * storing state; Express 4 keeps only the compiled regular expression and its `keys`, so the
 * captured values are put back as `:name` at the positions the expression captured them.
 */

interface MountLayer {
  handle?: unknown;
  route?: unknown;
  /** Express 4: the parameter names, in the order the expression captures them. */
  keys?: readonly { name: string | number }[];
  /** Express 4: the compiled path; `fast_slash` for a mount at `/`. */
  regexp?: RegExp & { fast_slash?: boolean };
  /** Express 5 (router 2): the path as written, and a matcher that stores nothing. */
  rawPath?: unknown;
  slash?: boolean;
  matchers?: unknown;
  match?: (path: string) => { path: string; pattern?: unknown } | false;
}

type Chain = readonly MountLayer[];

/** Express 4 expressions, compiled again with indices (flag `d`) to know where each value was. */
const indexed = new WeakMap<RegExp, RegExp>();

function stackOf(handle: unknown): readonly MountLayer[] | undefined {
  const stack = (handle as { stack?: unknown } | null | undefined)?.stack;
  return Array.isArray(stack) ? (stack as MountLayer[]) : undefined;
}

/** Whether a mount layer's path can match different values: only those need their template back. */
function hasParameters(layer: MountLayer): boolean {
  if (layer.slash === true || layer.regexp?.fast_slash === true) return false;
  if (layer.matchers !== undefined) return typeof layer.rawPath !== 'string' || /[:*{(]/.test(layer.rawPath);
  return (layer.keys?.length ?? 0) > 0;
}

/** Every chain of router layers from `stack` down to the layer of `route`. */
function findChains(
  stack: readonly MountLayer[],
  route: object,
  chain: Chain,
  out: Chain[],
  depth: number,
): void {
  if (depth > 32) return;
  for (const layer of stack) {
    if (layer.route === route) out.push(chain);
    else {
      const inner = stackOf(layer.handle);
      if (inner !== undefined) findChains(inner, route, [...chain, layer], out, depth + 1);
    }
  }
}

/** The chains to `route` in which some mount has parameters; empty when the base needs no work. */
export function parameterMounts(app: unknown, route: object): readonly Chain[] {
  const root = app as { _router?: unknown; router?: unknown } | undefined;
  // Express 4 keeps its router in `_router` (its `router` getter throws); Express 5 in `router`.
  let stack: readonly MountLayer[] | undefined;
  try {
    stack = stackOf(root?._router) ?? stackOf(root?.router);
  } catch {
    stack = undefined;
  }
  if (stack === undefined) return [];
  const chains: Chain[] = [];
  findChains(stack, route, [], chains, 0);
  return chains.filter((chain) => chain.some(hasParameters));
}

/** One mount's share of `rest`: its template and how many characters of `rest` it matched. */
function matchMount(layer: MountLayer, rest: string): { template: string; length: number } | undefined {
  if (layer.slash === true || layer.regexp?.fast_slash === true) return { template: '', length: 0 };
  if (typeof layer.match === 'function' && layer.matchers !== undefined) {
    const m = layer.match(rest);
    if (m === false) return undefined;
    const template = typeof m.pattern === 'string' ? m.pattern : m.path;
    return { template: template.endsWith('/') ? template.slice(0, -1) : template, length: m.path.length };
  }
  const regexp = layer.regexp;
  if (regexp === undefined) return undefined;
  let withIndices = indexed.get(regexp);
  if (withIndices === undefined) {
    withIndices = new RegExp(regexp.source, `${regexp.flags.replace(/[gy]/g, '')}d`);
    indexed.set(regexp, withIndices);
  }
  const m = withIndices.exec(rest);
  if (m === null || m.index !== 0) return undefined;
  let matched = m[0];
  if (matched.endsWith('/')) matched = matched.slice(0, -1);
  let template = '';
  let at = 0;
  const keys = layer.keys ?? [];
  for (let group = 1; group < m.length; group++) {
    const span = m.indices?.[group];
    const key = keys[group - 1];
    if (span === undefined || key === undefined || span[0] < at || span[1] > matched.length) continue;
    template += `${matched.slice(at, span[0])}:${key.name}`;
    at = span[1];
  }
  return { template: template + matched.slice(at), length: matched.length };
}

/** The template of `base` along one of `chains`, or undefined when none matches it. */
export function mountTemplate(chains: readonly Chain[], base: string): string | undefined {
  for (const chain of chains) {
    let template = '';
    let at = 0;
    let ok = true;
    for (const layer of chain) {
      const part = matchMount(layer, base.slice(at));
      if (part === undefined) {
        ok = false;
        break;
      }
      template += part.template;
      at += part.length;
    }
    if (ok && at === base.length) return template;
  }
  return undefined;
}
