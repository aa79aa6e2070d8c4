/**
 * The notification provider, behind an adapter. The test profile's adapter records what would
 * have been sent and never sends it, but otherwise behaves like a provider: each call takes
 * time, and some fail (transiently) so that the queue's retries run as in production.
 */
import { setTimeout } from 'node:timers/promises';

export type Notification = { channel: 'email'; to: string; subject: string; itemId: string };

export class ProviderUnavailable extends Error {
  constructor() {
    super('notification provider unavailable (simulated transient failure); the job will be retried');
    this.name = 'ProviderUnavailable';
  }
}

export type NotificationProvider = { send(n: Notification): Promise<void> };

export function recordingProvider(o: { latencyMs: number; failureRate: number; random?: () => number }): NotificationProvider {
  const random = o.random ?? Math.random;
  return {
    async send() {
      if (o.latencyMs > 0) await setTimeout(o.latencyMs);
      if (random() < o.failureRate) throw new ProviderUnavailable();
    },
  };
}
