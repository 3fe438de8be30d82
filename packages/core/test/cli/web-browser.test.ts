import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, type RunningProcess, startProgram, toolAvailable, waitFor } from '@mmstats/test-utils';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Counter, Registry } from '../../src/index.js';

// The real thing end to end: the built `mmstats` command, the example Express app writing its
// file, and Debian's Chromium rendering the page. No browser is downloaded.
const CLI = fileURLToPath(new URL('../../bin/mmstats.cjs', import.meta.url));
const EXAMPLE = fileURLToPath(new URL('../../../../examples/express/dist/server.js', import.meta.url));
const RESULTS = fileURLToPath(new URL('../../test-results/', import.meta.url));
const DOCS_SHOT = fileURLToPath(new URL('../../../../docs/mmstats-web.png', import.meta.url));
const HOSTILE_ROUTE = `</td><script>window.__pwned = 1</script><img src=x onerror="window.__pwned=2">'"`;
/** The chart's first series colour in page.js, as canvas pixels report it. */
const STROKE = [0xd9, 0x48, 0x0f];
/** The third, p99 for a histogram. */
const P99 = [0x2f, 0x9e, 0x44];

interface PixelCanvas {
  width: number;
  height: number;
  getContext(kind: '2d'): {
    getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray };
  };
}

describe.skipIf(!toolAvailable('chromium'))('mmstats web in headless Chromium', () => {
  let dir: string;
  let profile: string;
  let app: RunningProcess;
  let web: RunningProcess;
  let appUrl: string;
  let webUrl: string;
  let context: BrowserContext;
  let page: Page;
  let hostile: Registry;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mmstats-web-'));
    profile = mkdtempSync(join(tmpdir(), 'mmstats-chromium-'));
    const [appPort, webPort] = [await freePort(), await freePort()];
    appUrl = `http://127.0.0.1:${appPort}`;
    webUrl = `http://127.0.0.1:${webPort}`;
    const env = { ...process.env, PORT: String(appPort), MMSTATS_PATH: dir };
    app = await startProgram('node', [EXAMPLE], `${appUrl}/users/0`, 20_000, env);
    web = await startProgram('node', [CLI, 'web', '--port', String(webPort), dir], `${webUrl}/`, 20_000);
    context = await chromium.launchPersistentContext(profile, {
      executablePath: '/usr/bin/chromium',
      headless: true,
      viewport: { width: 1100, height: 900 },
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
      timeout: 30_000,
    });
    page = context.pages()[0] ?? (await context.newPage());
  }, 60_000);

  afterAll(async () => {
    await context?.close();
    await web?.stop();
    await app?.stop();
    hostile?.close();
    for (const path of [dir, profile]) if (path) rmSync(path, { recursive: true, force: true });
  });

  const traffic = async (n: number) => {
    for (let i = 0; i < n; i++) await (await fetch(`${appUrl}/users/${i}`)).text();
  };

  /** The value cell of the Express app's counter for GET /users/:id, as the page shows it now. */
  const usersCount = async () => {
    const row = page.locator('tr[data-family="http_requests_total"][data-labels*="/users/:id"]');
    if ((await row.count()) === 0) return undefined;
    const text = await row.first().locator('td.value').first().textContent();
    return text === null || text === '' ? undefined : Number(text);
  };

  /** Pixels of the chart's canvas within a small distance of the colour `rgb`. */
  const pixelsOf = (rgb: number[]) =>
    page.evaluate((rgb) => {
      // Runs in the page; typed by hand, as this package compiles without the DOM library.
      const { document } = globalThis as unknown as {
        document: { querySelector(s: string): PixelCanvas | null };
      };
      const canvas = document.querySelector('#chart canvas');
      if (canvas === null) return 0;
      const { data } = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height);
      let n = 0;
      for (let i = 0; i < data.length; i += 4) {
        const [r, g, b] = [data[i]!, data[i + 1]!, data[i + 2]!];
        if (Math.abs(r - rgb[0]!) < 40 && Math.abs(g - rgb[1]!) < 40 && Math.abs(b - rgb[2]!) < 40) n++;
      }
      return n;
    }, rgb);

  it('shows the counter going up with traffic, charts it, and escapes hostile labels', async () => {
    const loaded: string[] = [];
    page.on('request', (request) => loaded.push(request.url()));
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(`${webUrl}/`);
    const before = await waitFor(usersCount, 10_000, 'the /users/:id counter on the page');
    await traffic(5);
    await waitFor(
      async () => ((await usersCount()) === before + 5 ? true : undefined),
      10_000,
      `the counter to read ${before + 5}`,
    );

    // Select the series: the chart panel appears and uPlot draws the rate line on its canvas.
    await page.locator('tr[data-family="http_requests_total"][data-labels*="/users/:id"]').first().click();
    for (let i = 0; i < 4; i++) {
      await traffic(3 + 4 * i);
      await new Promise((r) => setTimeout(r, 1100));
    }
    const strokePixels = await waitFor(
      async () => {
        const count = await pixelsOf(STROKE);
        return count > 100 ? count : undefined;
      },
      10_000,
      'the rate line drawn on the chart canvas',
    );
    expect(strokePixels).toBeGreaterThan(100);
    await expect(page.locator('#chart-note').textContent()).resolves.toMatch(/^counter: rate per second/);

    mkdirSync(RESULTS, { recursive: true });
    const shot = join(RESULTS, 'mmstats-web.png');
    await page.screenshot({ path: shot });
    if (process.env.MMSTATS_UPDATE_DOCS === '1') copyFileSync(shot, DOCS_SHOT);

    // A histogram's series charts p50, p95 and p99; p99, drawn last, is on top.
    await page
      .locator('tr[data-family="http_request_duration_seconds"][data-labels*="/users/:id"]')
      .first()
      .click();
    await expect(page.locator('#chart-note').textContent()).resolves.toMatch(/^histogram: p50, p95, p99/);
    for (let i = 0; i < 3; i++) {
      await traffic(5);
      await new Promise((r) => setTimeout(r, 1100));
    }
    await waitFor(
      async () => ((await pixelsOf(P99)) > 100 ? true : undefined),
      10_000,
      'the p99 line drawn on the chart canvas',
    );
    await page.screenshot({ path: join(RESULTS, 'mmstats-web-histogram.png') });

    // Files come while the page is open: a second app whose route holds markup and quotes, and
    // a file that is no mmstats file.
    hostile = new Registry({ storage: { directory: dir } });
    new Counter({ name: 'jobs_total', help: 'Jobs', labelNames: ['route'], registers: [hostile] }).inc(
      { route: HOSTILE_ROUTE },
      7,
    );
    hostile.sync();
    writeFileSync(join(dir, 'mmstats-broken-1-1.mmstats'), 'this is not an mmstats file\n'.repeat(200));
    await waitFor(
      async () => ((await page.locator('tr[data-family="jobs_total"]').count()) > 0 ? true : undefined),
      10_000,
      'the new app on the page',
    );

    // The hostile route is text in a cell, not markup: nothing ran, no element was injected.
    const hostileRow = page.locator('tr[data-family="jobs_total"]');
    await expect(hostileRow.locator('td.labels').textContent()).resolves.toBe(
      `route=${JSON.stringify(HOSTILE_ROUTE)}`,
    );
    await expect(hostileRow.locator('td.value').first().textContent()).resolves.toBe('7');
    expect(await page.evaluate(() => (globalThis as { __pwned?: number }).__pwned)).toBeUndefined();
    expect(await page.locator('#apps script, #apps img').count()).toBe(0);

    // The corrupt file is listed as skipped, with the reason; the rest of the page works.
    await expect(page.locator('#skipped-list').textContent()).resolves.toContain(
      'mmstats-broken-1-1.mmstats: ',
    );

    // Only this server was asked for anything.
    expect(loaded.filter((url) => !url.startsWith(`${webUrl}/`))).toEqual([]);
    expect(errors).toEqual([]);

    await page.screenshot({ path: join(RESULTS, 'mmstats-web-hostile.png'), fullPage: true });

    // The filter keeps only the series whose family or labels hold the text.
    await page.fill('#filter', 'JOBS_total');
    await expect(page.locator('tr.series:visible').count()).resolves.toBe(1);
    await page.fill('#filter', '');
    await expect(page.locator('tr.series:visible').count()).resolves.toBeGreaterThan(20);

    // And files go: the app's file removed, its rows leave the page.
    hostile.close();
    await waitFor(
      async () => ((await page.locator('tr[data-family="jobs_total"]').count()) === 0 ? true : undefined),
      10_000,
      'the removed app to leave the page',
    );
  }, 60_000);
});
