import type { ErrorCode } from '../../config/foundation/errors.ts';

/** HTTP status for each stable error code; anything not listed is a 500. */
const STATUS: Partial<Record<ErrorCode, number>> = {
  BAD_REQUEST: 400,
  CONFIG_INVALID: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  PTZ_NO_SUCH_PRESET: 404,
  CONFLICT: 409,
  INVALID_STATE: 409,
  RATE_LIMITED: 429,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  PTZ_AUTH_FAILED: 502,
  PTZ_FAULT: 502,
  PTZ_BAD_RESPONSE: 502,
  PTZ_UNREACHABLE: 503,
  SERIAL_DISCONNECTED: 503,
  SFU_NO_BROADCAST: 503,
  SFU_WORKER_DIED: 503,
  LINK_DOWN: 503,
  LINK_ERROR: 502,
  TIMEOUT: 504,
  PTZ_TIMEOUT: 504,
  SERIAL_TIMEOUT: 504,
};

export function statusForCode(code: ErrorCode): number {
  return STATUS[code] ?? 500;
}
