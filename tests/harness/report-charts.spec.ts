/**
 * The perf report as people see it: a real perf run (mix.ramp, on the smoke profile, against
 * an app of its own on this database) writes a Playwright HTML report, and Chromium opens it and
 * finds the scenario's charts (images rendered by Vega-Lite), its endpoint table and its HTML page
 * with the charts inside.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { chromium } from '@playwright/test';
import { expect, test } from '../../fixtures';
import { freePort } from '../../scripts/app-process';
import { nestedRunEnv } from '../../scripts/nested-run';

const CHROMIUM = '/usr/bin/chromium';

/** The report folder over HTTP, as `npx playwright show-report` serves it. */
async function serve(dir: string): Promise<{ url: string; close: () => Promise<void> }> {
  const types: Record<string, string> = {
    '.html': 'text/html',
    '.js': 'text/javascript',
    '.css': 'text/css',
    '.svg': 'image/svg+xml',
    '.json': 'application/json',
    '.txt': 'text/plain',
    '.zip': 'application/zip',
  };
  const server = createServer((req, res) => {
    const file = path.join(dir, decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname).replace(/^\/+$/, 'index.html'));
    if (!file.startsWith(dir) || !existsSync(file)) return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': types[path.extname(file)] ?? 'application/octet-stream' }).end(readFileSync(file));
  });
  const port = await freePort();
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${port}/`, close: () => new Promise((r) => server.close(() => r())) };
}

test('should show every perf test with its charts and tables in the HTML report, in Chromium', async ({ verifyDatabaseUrl, serviceToken, referenceApp }, testInfo) => {
  test.skip(!referenceApp || !verifyDatabaseUrl, 'runs a perf scenario against app/ on the database this suite started');
  test.skip(!existsSync(CHROMIUM), `needs Debian's chromium at ${CHROMIUM} (apt-get install -y chromium)`);
  test.setTimeout(180_000);
  const work = mkdtempSync(path.join(os.tmpdir(), 'perf-report-'));
  const reportDir = path.join(work, 'report');
  try {
    const env = nestedRunEnv({
      DATABASE_URL: verifyDatabaseUrl!,
      APP_PORT: String(await freePort()),
      TEST_SERVICE_TOKEN: serviceToken,
      SEED_PROFILE: 'smoke',
      SEED_DATASET: 'generate',
      PERF_RAMP_HOLD_SECONDS: '1',
      PERF_RESULTS_DIR: path.join(work, 'perf-results'),
      PLAYWRIGHT_HTML_OUTPUT_DIR: reportDir,
    });
    const code = await new Promise<number>((resolve) => {
      const child = spawn('npx', ['playwright', 'test', '--project=perf', '-g', 'mix\\.ramp', '--reporter=html', '--output', path.join(work, 'results')], { env, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (out += d.toString()));
      child.on('exit', (c) => {
        if (c !== 0) void testInfo.attach('nested perf run output', { body: out, contentType: 'text/plain' });
        resolve(c ?? 1);
      });
    });
    expect(code, 'the nested perf run passes').toBe(0);
    expect(existsSync(path.join(reportDir, 'index.html'))).toBe(true);

    const site = await serve(reportDir);
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
    try {
      // Tall enough that the report renders its image section without scrolling (it loads lazily).
      const page = await browser.newPage({ viewport: { width: 1300, height: 2400 } });
      await page.goto(site.url);
      await page.getByRole('link', { name: 'mix.ramp' }).first().click();

      // Charts: image attachments, rendered inline; each must have loaded (an SVG with a size).
      const charts = page.locator('img[src$=".svg"]');
      await expect.poll(() => charts.count(), { message: 'latency over time and latency distribution at least' }).toBeGreaterThanOrEqual(2);
      const loaded = () =>
        charts.evaluateAll((imgs) => imgs.map((i) => (i as unknown as { naturalWidth: number; naturalHeight: number }).naturalWidth * (i as unknown as { naturalHeight: number }).naturalHeight));
      await expect.poll(async () => (await loaded()).every((area) => area > 0), { message: 'every chart image loaded' }).toBe(true);
      const sizes = await loaded();

      // The endpoint table and the scenario's own page are attached too.
      await expect(page.getByText('mix.ramp endpoints.txt').first()).toBeVisible();
      const [scenarioPage] = await Promise.all([page.waitForEvent('popup'), page.getByRole('link', { name: 'mix.ramp report.html' }).click()]);
      await expect(scenarioPage.locator('figure.chart svg')).toHaveCount(sizes.length);
      await expect(scenarioPage.locator('table').first()).toContainText('GET /v1/dashboard');
      // The load steps are marked on the latency-over-time chart.
      await expect(scenarioPage.locator('figure[data-chart="latency-over-time"] svg')).toContainText('16 users');
      await expect(scenarioPage.getByRole('columnheader', { name: 'p95 ms' }).first()).toBeVisible();
    } finally {
      await browser.close();
      await site.close();
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});
