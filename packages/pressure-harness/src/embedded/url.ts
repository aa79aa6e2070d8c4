/**
 * How an embedded PostgreSQL is reached: shared by the backend that starts it and the
 * suite that reads it directly (leak proof, PostgreSQL's statistics). Kept free of heavy imports on purpose.
 */
import net from 'node:net';
export const EMBEDDED_USER = 'postgres';
export const EMBEDDED_PASSWORD = 'postgres';
export const EMBEDDED_DATABASE = 'pressure';

export function embeddedUrl(port: number, database = EMBEDDED_DATABASE): string {
  return `postgres://${EMBEDDED_USER}:${EMBEDDED_PASSWORD}@127.0.0.1:${port}/${database}`;
}

/** Where a backend of this repository keeps its embedded cluster by default: `.pgdata` for the default port, `.pgdata-<port>` for any other. */
export const embeddedDataDir = (root: string, pgPort: number) => `${root.replace(/\/+$/, '')}/${pgPort === 54329 ? '.pgdata' : `.pgdata-${pgPort}`}`;

/** A port nobody uses right now, from the OS. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}
