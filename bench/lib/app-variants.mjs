/**
 * The bench apps (`node bench/apps/<framework>.mjs <variant>`) and the variants each one serves,
 * in one place for the apps and for the orchestrators that start them.
 */
export const APP_FRAMEWORKS = ['express', 'fastify', 'koa'];

/**
 * Libraries the `probe-import-*` variants load and keep without using them, for what loading
 * alone costs a server (bench/README.md): ours, and prom-client, of about the same size.
 */
export const IMPORT_PROBES = {
  'probe-import-core': '@mmstats/core',
  'probe-import-prom-client': 'prom-client',
};

/** Probes only one app has (what its framework charges for a hook, a middleware, an idle adapter). */
const OWN_PROBES = {
  express: [],
  fastify: [
    'probe-hook',
    'probe-channel',
    'probe-onresponse',
    'probe-track',
    'probe-1mib-file',
    'probe-1mib-buffer',
    'probe-inflight-js',
  ],
  koa: ['probe-idle', 'probe-idle-memory', 'probe-noop'],
};

export function appVariants(framework) {
  return [
    'bare',
    'ours',
    'ours-memory',
    'alternative',
    'probe-observe',
    ...OWN_PROBES[framework],
    ...Object.keys(IMPORT_PROBES),
  ];
}

/**
 * The framework and variants an orchestrator was given (`<framework> <variant>...`), or null
 * after printing `usage` and what each app serves, when the framework, the number of variants
 * (`min` to `max`) or a variant is wrong.
 */
export function appArguments(positionals, { min, max = Number.POSITIVE_INFINITY }, usage) {
  const [framework, ...variants] = positionals;
  const appKnown = APP_FRAMEWORKS.includes(framework);
  // `variant@/other/checkout` names a variant of another checkout's bench app (bench/lib/http-fleet.mjs).
  const known = (v) => appVariants(framework).includes(v.split('@')[0]);
  const unknown = appKnown ? variants.filter((v) => !known(v)) : [];
  if (appKnown && unknown.length === 0 && variants.length >= min && variants.length <= max)
    return { framework, variants };
  const lists = APP_FRAMEWORKS.map((f) => `  ${f}: ${appVariants(f).join(', ')}`).join('\n');
  let what = '';
  if (framework !== undefined && !appKnown) what = `unknown framework "${framework}"\n`;
  else if (unknown.length > 0) what = `unknown variant ${unknown.map((v) => `"${v}"`).join(', ')}\n`;
  console.error(`${what}usage: ${usage}\nvariants (see bench/apps/):\n${lists}`);
  return null;
}
