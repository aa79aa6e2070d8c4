/**
 * How the embedded PostgreSQL is reached: shared by the app (which starts it) and the harness
 * (which checks for leaked rows in it directly). Kept free of heavy imports on purpose.
 */
export const EMBEDDED_USER = 'postgres';
export const EMBEDDED_PASSWORD = 'postgres';
export const EMBEDDED_DATABASE = 'pressure';

export function embeddedUrl(port: number): string {
  return `postgres://${EMBEDDED_USER}:${EMBEDDED_PASSWORD}@127.0.0.1:${port}/${EMBEDDED_DATABASE}`;
}
