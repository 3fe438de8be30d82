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

interface AppLike {
  _router?: unknown;
  router?: unknown;
  /** Set by `app.use(path, subApp)` on the sub-app: the app it was mounted on, and the path as written. */
  parent?: unknown;
  mountpath?: unknown;
}

function stackOf(router: unknown): readonly MountLayer[] | undefined {
  const stack = (router as { stack?: unknown } | null | undefined)?.stack;
  return Array.isArray(stack) ? (stack as MountLayer[]) : undefined;
}

function routerStack(app: AppLike): readonly MountLayer[] | undefined {
  // Express 4 keeps its router in `_router` (its `router` getter throws); Express 5 in `router`.
  try {
    return stackOf(app._router) ?? stackOf(app.router);
  } catch {
    return undefined;
  }
}

/** Whether a mount layer's path can match different values: only those need their template back. */
function hasParameters(layer: MountLayer): boolean {
  if (layer.slash === true || layer.regexp?.fast_slash === true) return false;
  if (layer.matchers !== undefined) return typeof layer.rawPath !== 'string' || /[:*{(]/.test(layer.rawPath);
  return (layer.keys?.length ?? 0) > 0;
}

/** The apps from the outermost down to `app`, following the sub-apps' `parent`. */
function appLine(app: unknown): AppLike[] {
  const line: AppLike[] = [];
  let at = app;
  while ((typeof at === 'function' || (typeof at === 'object' && at !== null)) && line.length <= 32) {
    line.unshift(at as AppLike);
    at = (at as AppLike).parent;
  }
  return line;
}

/**
 * Whether `layer` mounted `sub`. Express wraps a sub-app in a closure named `mounted_app` that
 * keeps no reference to it, so the layer is recognised by its own pattern matching the sub-app's
 * mount path as written (`/t/:tenant` matches the pattern it was compiled from).
 */
function mountsApp(layer: MountLayer, sub: AppLike): boolean {
  if (typeof layer.handle !== 'function' || layer.handle.name !== 'mounted_app') return false;
  const paths: unknown[] = Array.isArray(sub.mountpath) ? sub.mountpath : [sub.mountpath];
  return paths.some((path) => {
    if (typeof path !== 'string') return false;
    const written = path.endsWith('/') ? path.slice(0, -1) : path;
    return matchMount(layer, written)?.length === written.length;
  });
}

/**
 * The layers a request continues into below `layer`: a router's, an app's used as a handler
 * (`router.use('/s/:shop', subApp)`), or those of one of `apps` that `layer` mounted.
 */
function innerStacks(layer: MountLayer, apps: readonly AppLike[]): (readonly MountLayer[])[] {
  const router = stackOf(layer.handle);
  if (router !== undefined) return [router];
  if (typeof layer.handle !== 'function') return [];
  const app = routerStack(layer.handle as AppLike);
  if (app !== undefined) return [app];
  const stacks: (readonly MountLayer[])[] = [];
  for (const sub of apps) {
    const stack = mountsApp(layer, sub) ? routerStack(sub) : undefined;
    if (stack !== undefined) stacks.push(stack);
  }
  return stacks;
}

/**
 * Every chain of router layers from `stack` down to a layer `isTarget` picks; with `keepTarget`
 * (a sub-app's mount, which matched a piece of the base) that layer ends the chain.
 */
function findChains(
  stack: readonly MountLayer[],
  isTarget: (layer: MountLayer) => boolean,
  keepTarget: boolean,
  apps: readonly AppLike[],
  chain: Chain,
  out: Chain[],
  depth: number,
): void {
  if (depth > 32) return;
  for (const layer of stack) {
    if (isTarget(layer)) out.push(keepTarget ? [...chain, layer] : chain);
    else
      for (const inner of innerStacks(layer, apps))
        findChains(inner, isTarget, keepTarget, apps, [...chain, layer], out, depth + 1);
  }
}

function withParameters(chains: readonly Chain[]): readonly Chain[] {
  return chains.filter((chain) => chain.some(hasParameters));
}

function topStack(home: unknown, apps: readonly AppLike[]): readonly MountLayer[] | undefined {
  const top = appLine(home)[0] ?? apps[0];
  return top === undefined ? undefined : routerStack(top);
}

/**
 * The chains to `route` in which some mount has parameters, searched from the outermost app of
 * `home` (where the middleware runs); `app` is the request's app, whose line of parents names
 * the sub-apps on the way. Empty when the base needs no work; undefined when `route` is not found
 * (an error has taken the request out of the sub-app that holds it), so it is looked for again.
 */
export function parameterMounts(home: unknown, app: unknown, route: object): readonly Chain[] | undefined {
  const apps = appLine(app);
  const stack = topStack(home, apps);
  if (stack === undefined) return undefined;
  const chains: Chain[] = [];
  findChains(stack, (layer) => layer.route === route, false, apps, [], chains, 0);
  return chains.length === 0 ? undefined : withParameters(chains);
}

/**
 * For a route not found: the chains to the sub-app mounts themselves, whose templates cover a
 * base that gains no parameters inside the sub-app. An error that leaves a sub-app takes the
 * request back to the parent app, and with it the one reference to the sub-app.
 */
export function subAppMounts(home: unknown): readonly Chain[] {
  const stack = topStack(home, []);
  if (stack === undefined) return [];
  const chains: Chain[] = [];
  const isMount = (layer: MountLayer) =>
    typeof layer.handle === 'function' && layer.handle.name === 'mounted_app';
  findChains(stack, isMount, true, [], [], chains, 0);
  return withParameters(chains);
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
