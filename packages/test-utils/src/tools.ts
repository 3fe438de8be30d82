import { spawnSync } from 'node:child_process';

/** Debian packages that provide each external tool our tests run. */
const PACKAGE_OF: Record<string, string> = {
  promtool: 'prometheus',
  prometheus: 'prometheus',
  'prometheus-pushgateway': 'prometheus-pushgateway',
  python3: 'python3',
  chromium: 'chromium',
};

function which(tool: string): string | null {
  const found = spawnSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' });
  return found.status === 0 ? found.stdout.trim() : null;
}

/**
 * Whether an external tool can run. Under CI=true a missing tool is an error (the CI script
 * installs it); elsewhere the test is skipped with a message naming the package to install.
 */
export function toolAvailable(tool: string): boolean {
  if (which(tool) !== null) return true;
  const hint = `${tool} is not installed: run \`apt-get install ${PACKAGE_OF[tool] ?? tool}\` (as .ci/run does).`;
  if (process.env.CI === 'true') throw new Error(`${hint} CI must not skip this test.`);
  console.warn(`skipping: ${hint}`);
  return false;
}
