import net from 'node:net';
import { parsePrometheus } from 'pressure-harness/load';
import { expect, test } from '../../fixtures';

test.describe('backend metrics', () => {
  test('should count a request a client abandons as no longer in flight', async ({}, testInfo) => {
    const base = new URL(testInfo.project.use.baseURL!);
    const inFlight = async () => parsePrometheus(await (await fetch(`${base.origin}/metrics`)).text(), ['http_requests_in_flight']).http_requests_in_flight ?? 0;
    // 30 requests that promise a body, send part of it, and hang up: no response is ever sent.
    await Promise.all(
      Array.from(
        { length: 30 },
        () =>
          new Promise<void>((resolve) => {
            const socket = net.connect(Number(base.port), base.hostname, () => {
              socket.write(`POST /v1/projects HTTP/1.1\r\nHost: ${base.host}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"name":`);
              setTimeout(() => socket.destroy(), 100);
            });
            socket.on('close', () => resolve());
            socket.on('error', () => resolve());
          }),
      ),
    );
    // Other tests' requests come and go; 30 leaked ones would stay.
    await expect.poll(inFlight, { timeout: 10_000 }).toBeLessThan(10);
  });

  test('should not name the test endpoints in /metrics', async ({ testService }, testInfo) => {
    await testService.get('/internal/test/runs/metrics-probe');
    const text = await (await fetch(`${new URL(testInfo.project.use.baseURL!).origin}/metrics`)).text();
    expect(text).not.toContain('/internal/');
  });
});
