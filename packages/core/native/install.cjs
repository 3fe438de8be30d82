// Builds the optional mmap binding. A failed build must never fail `npm
// install`: without it @mmstats/core keeps values in memory and writes them to
// the mmstats file with positional writes (the "fallback" backend).
'use strict';
const { spawnSync } = require('node:child_process');
const path = require('node:path');

const FALLBACK =
  'Metrics still work: values are kept in memory and written to the mmstats file every 250 ms ' +
  '(storage backend "fallback"). To get the mmap backend later: `npm rebuild @mmstats/core`.';

if (process.env.MMSTATS_SKIP_NATIVE === '1') {
  console.warn(`@mmstats/core: MMSTATS_SKIP_NATIVE=1, not building the mmap binding. ${FALLBACK}`);
  process.exit(0);
}
// npm passes the path of its own node-gyp; run directly, we look for one on PATH.
const npmNodeGyp = process.env.npm_config_node_gyp;
const cmd = npmNodeGyp ? process.execPath : 'node-gyp';
const args = npmNodeGyp ? [npmNodeGyp, 'rebuild'] : ['rebuild'];
const result = spawnSync(cmd, args, { cwd: path.join(__dirname, '..'), stdio: 'inherit' });
if (result.status !== 0) {
  const why = result.error
    ? `${cmd} could not be run (${result.error.code || result.error.message})`
    : 'node-gyp failed (see its output above: it needs a C compiler, make, Python and the Node headers)';
  console.warn(`@mmstats/core: the optional mmap binding was not built: ${why}.\n${FALLBACK}`);
}
process.exit(0);
