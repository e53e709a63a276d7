/**
 * API failures as CapiMcpErrors: the HTTP status of a client-node ApiException becomes a code an agent can
 * act on (404 NotFound, 401/403 Forbidden, 409 Conflict, 400/422 InvalidInput, 504 Timeout, anything else
 * Upstream), and a connection failure Upstream. For API servers a tenant may control, only the status or a
 * fixed-vocabulary error code is kept, never text the server sent.
 */
import { CapiMcpError, ErrorCode, messageOf } from '../errors.ts';

/** Maps a client-node ApiException (or a network error) to a CapiMcpError. */
export function toCapiMcpError(what: string, error: unknown, opaque = false): CapiMcpError {
  if (error instanceof CapiMcpError) return error;
  const status = (error as { code?: unknown }).code;
  if (typeof status === 'number') {
    const reason = (opaque ? undefined : apiMessage((error as { body?: unknown }).body)) ?? `HTTP ${status}`;
    const code =
      status === 404 ? ErrorCode.NotFound
      : status === 401 || status === 403 ? ErrorCode.Forbidden
      : status === 409 ? ErrorCode.Conflict
      : status === 400 || status === 422 ? ErrorCode.InvalidInput
      : status === 504 ? ErrorCode.Timeout
      : ErrorCode.Upstream;
    return new CapiMcpError(code, `failed to ${what}: ${reason}`, { cause: error });
  }
  if (opaque) return new CapiMcpError(ErrorCode.Upstream, `failed to ${what}: no answer (${connectionErrorCode(error)})`, { cause: error });
  return new CapiMcpError(ErrorCode.Upstream, `failed to ${what}: ${messageOf(error)}`, { cause: error });
}

/** A Node or TLS error code (ECONNREFUSED, CERT_HAS_EXPIRED, …) from an error or its causes: fixed vocabulary, no peer text. */
function connectionErrorCode(error: unknown): string {
  for (let e: unknown = error, depth = 0; e && typeof e === 'object' && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && /^[A-Z][A-Z0-9_]{1,40}$/.test(code)) return code;
  }
  return 'connection failed';
}

/** The `message` of a Kubernetes Status body (client-node passes it as a string or an object). */
function apiMessage(body: unknown): string | undefined {
  try {
    const parsed = typeof body === 'string' ? JSON.parse(body) : body;
    const message = (parsed as { message?: unknown } | undefined)?.message;
    return typeof message === 'string' ? message : undefined;
  } catch {
    return typeof body === 'string' && body.length < 300 ? body : undefined;
  }
}
