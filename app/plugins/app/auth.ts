/**
 * Bearer-token authentication. Tokens are `pst_<random>`; only their sha256 is stored.
 * `fastify.authenticate` is the preHandler of every /v1 route.
 */
import { createHash, randomBytes, scryptSync } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { AppError } from '../../errors.js';
import type { Faults } from '../../faults.js';
import { findAccountByTokenHash, slideTokenExpiry } from '../../sql/accounts.js';

export type Account = { id: string; name: string; email: string; testRunId: string };

declare module 'fastify' {
  interface FastifyRequest {
    account: Account;
  }
  interface FastifyInstance {
    authenticate: (request: FastifyRequest, reply: FastifyReply) => Promise<void>;
    /** What api_tokens.token_hash holds for a token. */
    hashToken: (token: string) => Buffer;
  }
}

export const newToken = () => `pst_${randomBytes(24).toString('base64url')}`;
export const hashToken = (token: string) => createHash('sha256').update(token).digest();
/** APP_FAULTS=token_kdf: a password hash for a random 192-bit token, on the event loop, on every request. */
const kdfHashToken = (token: string) => scryptSync(token, 'pressure-app', 32);

export default fp<{ faults: Faults }>(
  async (fastify, opts) => {
    const hash = opts.faults.has('token_kdf') ? kdfHashToken : hashToken;
    const slide = opts.faults.has('sliding_expiry');
    fastify.decorate('hashToken', hash);
    fastify.decorateRequest('account', null as unknown as Account);
    fastify.decorate('authenticate', async (request: FastifyRequest) => {
      const header = request.headers.authorization;
      // The scheme is case-insensitive (RFC 9110 §11.1: "bearer" is "Bearer"); the token is not.
      const m = typeof header === 'string' ? /^[Bb][Ee][Aa][Rr][Ee][Rr] +(pst_[A-Za-z0-9_-]{16,})$/.exec(header) : null;
      if (!m) {
        throw new AppError('UNAUTHENTICATED', 'Authorization must be "Bearer pst_…" with an API token of this app');
      }
      const tokenHash = hash(m[1]!);
      const account = await findAccountByTokenHash(fastify.db, tokenHash);
      if (!account) throw new AppError('UNAUTHENTICATED', 'the API token is unknown or has expired');
      // APP_FAULTS=sliding_expiry: a token in use stays valid (an UPDATE on every read).
      if (slide) await slideTokenExpiry(fastify.db, tokenHash);
      request.account = account;
    });
  },
  { name: 'auth', dependencies: ['db'] },
);
