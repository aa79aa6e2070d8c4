/**
 * Every way a peer can stall the app is bounded: a client that trickles its request or its
 * headers is cut with 408 in the error contract, and a database that answers nothing (a frozen
 * server) gives 503 with Retry-After once the pool's connect timeout passes, not a request that
 * hangs for as long as the client waits. Each once waited without end.
 */
import net from 'node:net';
import { createPool } from '../../app/db/pool.js';
import { expect, test } from '../../fixtures';

/** Sends `head` on a raw connection, then nothing: what comes back, and after how long. */
function stall(port: number, head: string): Promise<{ text: string; ms: number }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const socket = net.connect(port, '127.0.0.1', () => socket.write(head));
    let text = '';
    socket.on('data', (d) => (text += d.toString()));
    socket.on('close', () => resolve({ text, ms: performance.now() - t0 }));
    socket.on('error', reject);
  });
}

test.describe('timeouts', () => {
  test('should answer 408 to a request whose body or headers stop arriving', async ({ inProcessApp }) => {
    const app = await inProcessApp({ timeouts: { requestMs: 1000, headersMs: 1000, keepAliveMs: 5000 } });
    try {
      await app.listen({ port: 0, host: '127.0.0.1' });
      const port = (app.server.address() as net.AddressInfo).port;
      const body = await stall(port, 'POST /v1/projects HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"na');
      expect(body.text).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\n/);
      expect(JSON.parse(body.text.split('\r\n\r\n')[1]!)).toEqual({ code: 'REQUEST_TIMEOUT', message: expect.stringContaining('APP_REQUEST_TIMEOUT_MS') });
      const headers = await stall(port, 'GET /v1/me HTTP/1.1\r\nHost: x\r\nX-Slow: ');
      expect(headers.text).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\n/);
    } finally {
      await app.close();
    }
  });

  test('should answer 503 with Retry-After when the database accepts connections and answers nothing', async ({ inProcessApp, account }) => {
    // A PostgreSQL that froze: the port accepts, nothing ever comes back.
    const silent = net.createServer(() => {});
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const pool = createPool(`postgres://u:p@127.0.0.1:${(silent.address() as net.AddressInfo).port}/db`, 2, { connectMs: 300, statementMs: 1000, idleTxMs: 1000, queryMs: 500 });
    pool.on('error', () => {});
    const app = await inProcessApp({}, pool);
    try {
      const res = await app.inject({ method: 'GET', url: '/v1/me', headers: { authorization: `Bearer ${account.token}` } });
      expect(res.statusCode).toBe(503);
      expect(res.headers['retry-after']).toBe('5');
      expect(res.json()).toEqual({ code: 'UNAVAILABLE', message: expect.stringContaining('database is unreachable') });
    } finally {
      await app.close();
      await pool.end().catch(() => {});
      silent.close();
    }
  });
});
