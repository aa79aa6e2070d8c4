/**
 * How an embedded PostgreSQL of devdb/ is reached: shared by the backend that starts it and the
 * suite that reads it directly (leak proof, PostgreSQL's statistics). Kept free of heavy imports on purpose.
 */
export const EMBEDDED_USER = 'postgres';
export const EMBEDDED_PASSWORD = 'postgres';
export const EMBEDDED_DATABASE = 'pressure';

export function embeddedUrl(port: number, database = EMBEDDED_DATABASE): string {
  return `postgres://${EMBEDDED_USER}:${EMBEDDED_PASSWORD}@127.0.0.1:${port}/${database}`;
}
