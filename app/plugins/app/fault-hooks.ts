/**
 * APP_FAULTS' regression that lives around every request rather than in a route (app/faults.ts):
 * test-only, registered only when it is switched on.
 *
 *   unbounded_memo  each answer is kept by request ID "for a debug endpoint", and nothing ever
 *                   evicts it: the process grows with every request it serves.
 */
import fp from 'fastify-plugin';
import type { Faults } from '../../faults.js';

export default fp<{ faults: Faults }>(
  async (fastify, opts) => {
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
