/**
 * How a KubeClient's requests reach an API server: over one shared connection pool per client (a
 * client-node 2.0.1 workaround), for workload clusters over a dispatcher pinned to the one endpoint
 * that was checked, with verified TLS and bounded answers, and each carrying the abort signal of the
 * call it belongs to, so a call's deadline ends its requests.
 */
import type { KubeConfig, RequestContext } from '@kubernetes/client-node';
import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * An API server the client may talk to and nothing else, for workload clusters whose answers a tenant may
 * control: requests to any other origin (a redirect to the metadata service, a plain-http port) fail,
 * TLS is verified against `ca` whatever NODE_TLS_REJECT_UNAUTHORIZED says, an answer is cut off past
 * `maxResponseBytes`, and every request is aborted at its call's deadline instead of streaming on after it.
 */
export interface PinnedEndpoint {
  /** `https://host:port`. */
  readonly origin: string;
  /** PEM. */
  readonly ca: string;
  readonly cert?: string;
  readonly key?: string;
  readonly servername?: string;
}

/** A Nodes list of a 5,000-node cluster is a few MiB; nothing a tool reads from a workload cluster is larger. */
export const maxWorkloadResponseBytes = 8 * 1024 * 1024;

/** The abort signal of the API call this async context runs in; see {@link abortingWith}. */
const callSignal = new AsyncLocalStorage<AbortSignal>();

/**
 * Runs `fn` (one API call) so that every request it makes carries `signal`: aborting it makes undici
 * abort those requests, closing their connections, instead of letting them wait and read on.
 *
 * Note: the signal travels in async context, not as an argument, because client-node has no per-call
 * way to set it that reaches every request: KubernetesObjectApi ignores per-call middleware and makes its
 * discovery request without the call's options. Every request does pass through the KubeConfig's
 * applySecurityAuthentication (see sharingConnections), which runs in the call's async context.
 */
export function abortingWith<T>(signal: AbortSignal, fn: () => Promise<T>): Promise<T> {
  return callSignal.run(signal, fn);
}

/**
 * `kc` as seen by API clients that share one connection pool (or use `pinnedDispatcher`) and whose
 * requests carry their call's abort signal, and ask for uncompressed answers when `compression` is
 * false; `kc` itself is left as it is.
 *
 * Note: client-node 2.0.1 hands every request a new undici Agent (KubeConfig.applySecurityAuthentication
 * → createDispatcher, uncached, unlike the https.Agent it caches per cluster and user since
 * kubernetes-client/javascript#2893), so every API call opened a TLS connection of its own: 8 handshakes
 * per get_cluster, about 60% of the client's CPU. The first Agent is kept and given to every later
 * request, as client-node does for its https.Agent: same cluster, same user, so the same TLS settings.
 * Headers (tokens an exec plugin refreshes) are still applied per request. undici closes a connection
 * idle for 4 s, so reuse covers bursts such as get_cluster's calls, and a Lambda container thawed after
 * a pause opens a fresh one. An aborted request closes its connection (HTTP/1.1 cannot drop an answer
 * half read); the pool opens another for the next call.
 */
export function sharingConnections(kc: KubeConfig, pinnedDispatcher?: unknown, { compression = true }: { compression?: boolean } = {}): KubeConfig {
  let pool: ReturnType<RequestContext['getDispatcher']>;
  const shared: KubeConfig = Object.create(kc);
  shared.applySecurityAuthentication = async (context) => {
    await kc.applySecurityAuthentication(context);
    // Note: undici's fetch asks for compressed answers unless told otherwise; the API server then gzips
    // every answer over 128 KiB (a LIST page of 200 Clusters: 2.6 MB into 0.1 MB), which costs both ends
    // more CPU than a fast link saves. kubectl and client-go offer the same switch (disable-compression).
    if (!compression) context.setHeaderParam('Accept-Encoding', 'identity');
    const signal = callSignal.getStore();
    if (signal) context.setSignal(signal);
    if (pinnedDispatcher) {
      context.setDispatcher(pinnedDispatcher as never);
      return;
    }
    const fresh = context.getDispatcher();
    if (fresh) context.setDispatcher((pool ??= fresh));
  };
  return shared;
}

/** An undici dispatcher that reaches `pinned.origin` only (see PinnedEndpoint). */
export function pinnedDispatcher(AgentClass: typeof import('undici').Agent, pinned: PinnedEndpoint, timeoutMs: number): unknown {
  const origin = new URL(pinned.origin).origin;
  const agent = new AgentClass({
    connect: {
      ca: pinned.ca,
      ...(pinned.cert ? { cert: pinned.cert } : {}),
      ...(pinned.key ? { key: pinned.key } : {}),
      ...(pinned.servername ? { servername: pinned.servername } : {}),
      rejectUnauthorized: true,
    },
    maxResponseSize: maxWorkloadResponseBytes,
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
  });
  return agent.compose((dispatch) => (options, handler) => {
    if (new URL(String(options.origin)).origin === origin) return dispatch(options, handler);
    const refused = Object.assign(new Error('refused: not the endpoint checked for this cluster'), { code: 'ERR_OTHER_ORIGIN_REFUSED' });
    const h = handler as { onResponseError?: (controller: unknown, error: Error) => void; onError?: (error: Error) => void };
    if (h.onResponseError) h.onResponseError(null, refused);
    else h.onError?.(refused);
    return true;
  });
}
