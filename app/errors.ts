/**
 * The one catalogue of error codes. Every error body is `{ code, message }` (plus `details` when
 * useful); codes are stable and tests assert them, messages are for people and may improve.
 */
export const ErrorCodes = {
  VALIDATION_FAILED: 400,
  INVALID_CURSOR: 400,
  UNAUTHENTICATED: 401,
  NOT_FOUND: 404,
  INVALID_TRANSITION: 409,
  VERSION_CONFLICT: 409,
  CLAIM_LOST: 409,
  ALREADY_EXISTS: 409,
  STILL_REFERENCED: 409,
  SCHEMA_MISMATCH: 409,
  REQUEST_TIMEOUT: 408,
  PRECONDITION_FAILED: 412,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  RATE_LIMITED: 429,
  HEADERS_TOO_LARGE: 431,
  INTERNAL: 500,
  UNAVAILABLE: 503,
} as const;

export type ErrorCode = keyof typeof ErrorCodes;

export class AppError extends Error {
  readonly statusCode: number;
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
    readonly headers?: Record<string, string>,
  ) {
    super(message);
    this.statusCode = ErrorCodes[code];
  }
}

export const notFound = (what: string, id: string | number) => new AppError('NOT_FOUND', `${what} ${id} was not found`);
