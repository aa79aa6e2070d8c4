/**
 * Bearer-token authentication. Tokens are `pst_<random>`; only their sha256 is stored.
 * `fastify.authenticate` is the preHandler of every /v1 route.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { AppError } from '../../errors.js';
import { findAccountByTokenHash } from '../../sql/accounts.js';

export type Account = { id: string; name: string; email: string; testRunId: string };

declare module 'fastify' {
  interface FastifyRequest {
    account: Account;
  }
  interface FastifyInstance {
    authenticate: (request: FastifyRequest, reply: FastifyReply) => Promise<void>;
  }
}

export const newToken = () => `pst_${randomBytes(24).toString('base64url')}`;
export const hashToken = (token: string) => createHash('sha256').update(token).digest();

export default fp(
  async (fastify) => {
    fastify.decorateRequest('account', null as unknown as Account);
    fastify.decorate('authenticate', async (request: FastifyRequest) => {
      const header = request.headers.authorization;
      // The scheme is case-insensitive (RFC 9110 §11.1: "bearer" is "Bearer"); the token is not.
      const m = typeof header === 'string' ? /^[Bb][Ee][Aa][Rr][Ee][Rr] +(pst_[A-Za-z0-9_-]{16,})$/.exec(header) : null;
      if (!m) {
        throw new AppError('UNAUTHENTICATED', 'Authorization must be "Bearer pst_…" with an API token of this app');
      }
      const account = await findAccountByTokenHash(fastify.db, hashToken(m[1]!));
      if (!account) throw new AppError('UNAUTHENTICATED', 'the API token is unknown or has expired');
      request.account = account;
    });
  },
  { name: 'auth', dependencies: ['db'] },
);
