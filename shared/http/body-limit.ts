/**
 * The cap on request bodies, for both front doors (the local adapter streams the body to the web
 * handler; the Lambda's arrives whole in its event): a declared length over the cap is refused before
 * anything is read, a body that passes it while streaming is refused at that point, and the rest of it is
 * never read.
 *
 * Note: 1 MiB. The largest request a tool takes is a create_cluster with its ClusterClass variables: real
 * ones are a few KiB, and even sixteen values at their own 64 KiB bound fit. Parsing, validating and
 * redacting a whole body of that size stays in the milliseconds.
 */

export const maxRequestBodyBytes = 1024 * 1024;

/** The 413 answer, in the JSON-RPC error shape the MCP SDK uses for the other transport refusals. */
export function payloadTooLarge(): Response {
  return Response.json(
    { jsonrpc: '2.0', id: null, error: { code: -32600, message: `request body is larger than ${maxRequestBodyBytes} bytes` } },
    { status: 413 },
  );
}

/** True when the request announces a body over the cap (Content-Length), so it can be refused unread. */
export function declaresTooLarge(request: Request): boolean {
  return Number(request.headers.get('content-length') ?? 0) > maxRequestBodyBytes; // NaN never is
}

/**
 * The request with its body read into memory, or undefined as soon as the body passes the cap: reading
 * stops there, and the stream is left unread (not cancelled, which would close the connection before
 * the 413 goes out; the adapter closes it after the answer).
 */
export async function withBodyWithinLimit(request: Request): Promise<Request | undefined> {
  if (!request.body) return request;
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (let read = await reader.read(); !read.done; read = await reader.read()) {
    size += read.value.byteLength;
    if (size > maxRequestBodyBytes) {
      reader.releaseLock();
      return undefined;
    }
    chunks.push(read.value);
  }
  return new Request(request.url, { method: request.method, headers: request.headers, body: Buffer.concat(chunks) });
}
