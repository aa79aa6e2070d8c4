/**
 * Two of APP_FAULTS' regressions that live around every request rather than in a route
 * (app/faults.ts): test-only, registered only when one of them is switched on.
 *
 *   fsync_log       each answer's access line is appended to a file and fsync'd before the answer
 *                   goes: synchronous disk I/O on the event loop, paid by every request.
 *   unbounded_memo  each answer is kept by request ID "for a debug endpoint", and nothing ever
 *                   evicts it: the process grows with every request it serves.
 */
import { closeSync, fsyncSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fp from 'fastify-plugin';
import type { Faults } from '../../faults.js';

export default fp<{ faults: Faults }>(
  async (fastify, opts) => {
    if (opts.faults.has('fsync_log')) {
      const file = path.join(tmpdir(), `pressure-app-access-${process.pid}.log`);
      const fd = openSync(file, 'a');
      fastify.addHook('onSend', async (request, reply, payload) => {
        writeSync(fd, `${JSON.stringify({ at: new Date().toISOString(), id: request.id, method: request.method, url: request.url, status: reply.statusCode })}\n`);
        fsyncSync(fd);
        return payload;
      });
      fastify.addHook('onClose', async () => {
        closeSync(fd);
        rmSync(file, { force: true });
      });
    }
    if (opts.faults.has('unbounded_memo')) {
      const answers = new Map<string, { url: string; headers: unknown; payload: unknown }>();
      fastify.addHook('onSend', async (request, _reply, payload) => {
        answers.set(String(request.id), { url: request.url, headers: { ...request.headers }, payload: typeof payload === 'string' ? `${payload}` : payload });
        return payload;
      });
    }
  },
  { name: 'fault-hooks' },
);
