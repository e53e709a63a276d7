/**
 * Node's web streams reject a released reader's `closed` promise with one error per process, made on the
 * first `releaseLock()`, whose stack Node reads at once to strip the caller's frames from it. Under
 * --enable-source-maps (the Lambda functions' NODE_OPTIONS) reading a stack parses the source map of every
 * file with a frame on it, and the MCP SDK reads each request body through a reader it releases: so the
 * first request of every container parsed the whole map of the chunk holding the SDK, the tools and their
 * schemas (~1 MB, 30–80 ms of CPU) for an error nobody sees.
 */

/**
 * Makes that error now, with no frames (Error.stackTraceLimit 0 for the one call), so no source map is
 * parsed for it; the maps stay for the stacks that are read — errors logged or thrown to the runtime.
 */
export function makeReaderReleaseErrorWithoutStack(): void {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    new ReadableStream().getReader().releaseLock();
  } finally {
    Error.stackTraceLimit = limit;
  }
}
