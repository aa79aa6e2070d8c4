/**
 * The history, end to end: 60 synthetic nights (a 15% step planted at night 40, a 3%-a-night
 * creep, a flat series) recorded in a store of the test's own (an embedded PostgreSQL in a
 * temporary folder), change points found in it, then `pressure history serve` started as a user
 * starts it, and Chromium driving its page: the step's series is drawn, the change point is
 * marked at the right run, and a click on it opens that run. A screenshot goes into the report.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from '@playwright/test';
import { changesInStore, openHistory, recordRun, schemaVersion, MIGRATIONS } from 'pressure-harness/history';
import { expect, test } from '../../fixtures';
import { NIGHTS, runIdOfNight, SERIES, STEP_NIGHT, syntheticHistory } from '../support/history';

const CHROMIUM = '/usr/bin/chromium';
const PRESSURE = path.resolve('packages/pressure-harness/bin/pressure.js');
const nightOf = (runId: string) => Number(runId.replace('nightly-', ''));

test('should find the planted step and creep, and show them on the history page in Chromium', async ({}, testInfo) => {
  test.setTimeout(120_000);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'history-'));
  const storeDir = path.join(dir, 'store');
  try {
    const store = await openHistory({ dir: storeDir });
    try {
      expect(await schemaVersion(store)).toBe(MIGRATIONS.at(-1)!.version);
      for (const run of syntheticHistory()) await recordRun(store, run);
      // Recording a run again replaces it: still 60 nights.
      expect((await recordRun(store, syntheticHistory()[0]!)).replaced).toBe(true);

      const changes = await changesInStore(store, { metrics: ['p95'] });
      const step = changes.filter((c) => c.scenario === SERIES.step.scenario);
      expect(step, 'one change in the step series').toHaveLength(1);
      expect(Math.abs(nightOf(step[0]!.run.id) - STEP_NIGHT)).toBeLessThanOrEqual(1);
      expect(changes.filter((c) => c.scenario === SERIES.creep.scenario).length, 'the creep is found').toBeGreaterThanOrEqual(1);
      expect(
        changes.filter((c) => c.scenario === SERIES.flat.scenario),
        'the flat series stays quiet',
      ).toEqual([]);
    } finally {
      await store.close();
    }

    // The verb, as a user runs it: a real server on loopback, on a free port.
    const server = spawn(process.execPath, [PRESSURE, 'history', 'serve', '--dir', storeDir, '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const url = await new Promise<string>((resolve, reject) => {
      const onData = (d: Buffer) => {
        output += d.toString();
        const m = /history: (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
        if (m) resolve(m[1]!);
      };
      server.stdout.on('data', onData);
      server.stderr.on('data', onData);
      server.once('exit', (code) => reject(new Error(`pressure history serve exited ${code}: ${output}`)));
    });
    try {
      // Bad requests are named, never a 500: a missing parameter, an unknown run, a write.
      const missing = await fetch(`${url}/api/series?scenario=demo.step`);
      expect(missing.status).toBe(400);
      expect(await missing.json()).toEqual({ error: 'the query needs route=…' });
      const unknown = await fetch(`${url}/api/runs/nightly-999`);
      expect(unknown.status).toBe(404);
      expect(await unknown.json()).toEqual({ error: 'no run nightly-999 in the history' });
      expect((await fetch(`${url}/api/runs`, { method: 'POST' })).status).toBe(405);
      const badLimit = await fetch(`${url}/api/runs?limit=lots`);
      expect(badLimit.status).toBe(400);
      expect(await badLimit.json()).toEqual({ error: 'limit must be a whole number from 1 to 10000, got "lots"' });
      expect(((await (await fetch(`${url}/api/runs`)).json()) as unknown[]).length).toBe(NIGHTS);

      test.skip(!existsSync(CHROMIUM), `needs Debian's chromium at ${CHROMIUM} (apt-get install -y chromium)`);
      const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
      try {
        const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
        // No request leaves the machine: the page's scripts come from the server itself.
        const outside: string[] = [];
        page.on('request', (r) => void (new URL(r.url()).origin !== url && outside.push(r.url())));
        await page.goto(url);
        await expect(page.getByRole('heading', { name: 'Runs' })).toBeVisible();
        await expect(page.getByRole('link', { name: runIdOfNight(NIGHTS) }).first()).toBeVisible();
        await page
          .getByRole('link', { name: `${SERIES.step.scenario} · ${SERIES.step.route}` })
          .first()
          .click();

        // The series is drawn: 60 runs × 3 percentiles, and one change-point rule.
        await expect(page.locator('body[data-chart="ready"]')).toHaveCount(1);
        await expect(page.locator('#chart svg')).toBeVisible();
        const rule = page.locator('#chart svg g.changepoint_marks > *');
        await expect(rule).toHaveCount(1);
        // The change point is listed with its run, at night 40 ± 1.
        const listed = await page.locator('.change').first().getAttribute('data-run');
        expect(Math.abs(nightOf(listed!) - STEP_NIGHT)).toBeLessThanOrEqual(1);
        await testInfo.attach('history page: series with its change point', { body: await page.screenshot({ fullPage: true }), contentType: 'image/png' });

        // A click on the change point opens its run.
        const box = (await rule.boundingBox())!;
        await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
        await expect(page).toHaveURL(new RegExp(`/runs/${listed}$`));
        await expect(page.locator('#run')).toContainText(`Run ${listed}`);
        await expect(page.getByRole('link', { name: 'against the run before' })).toBeVisible();
        await page.getByRole('link', { name: 'against the run before' }).click();
        await expect(page.getByRole('columnheader', { name: 'p95 B' })).toBeVisible();
        expect(outside, 'requests that left the server').toEqual([]);
      } finally {
        await browser.close();
      }
    } finally {
      server.kill('SIGTERM');
      await new Promise((r) => (server.exitCode !== null ? r(null) : server.once('exit', r)));
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
