/**
 * How a KubeClient's requests reach an API server: over one shared connection pool per client (a
 * client-node 2.0.1 workaround), and for workload clusters over a dispatcher pinned to the one endpoint
 * that was checked, with verified TLS and bounded answers.
 */
import type { KubeConfig, RequestContext } from '@kubernetes/client-node';

/**
 * An API server the client may talk to and nothing else, for workload clusters whose answers a tenant may
 * control: requests to any other origin (a redirect to the metadata service, a plain-http port) fail,
 * TLS is verified against `ca` whatever NODE_TLS_REJECT_UNAUTHORIZED says, an answer is cut off past
 * `maxResponseBytes`, and every request is aborted at its deadline instead of streaming on after it.
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

/**
 * `kc` as seen by API clients that share one connection pool; `kc` itself is left as it is.
 *
 * Note: client-node 2.0.1 hands every request a new undici Agent (KubeConfig.applySecurityAuthentication
 * → createDispatcher, uncached, unlike the https.Agent it caches per cluster and user since
 * kubernetes-client/javascript#2893), so every API call opened a TLS connection of its own: 8 handshakes
 * per get_cluster, about 60% of the client's CPU. The first Agent is kept and given to every later
 * request, as client-node does for its https.Agent: same cluster, same user, so the same TLS settings.
 * Headers (tokens an exec plugin refreshes) are still applied per request. undici closes a connection
 * idle for 4 s, so reuse covers bursts such as get_cluster's calls, and a Lambda container thawed after
 * a pause opens a fresh one.
 */
export function sharingConnections(kc: KubeConfig, pinned?: { readonly dispatcher: unknown; readonly timeoutMs: number }): KubeConfig {
  let pool: ReturnType<RequestContext['getDispatcher']>;
  const shared: KubeConfig = Object.create(kc);
  shared.applySecurityAuthentication = async (context) => {
    await kc.applySecurityAuthentication(context);
    if (pinned) {
      context.setDispatcher(pinned.dispatcher as never);
      context.setSignal(AbortSignal.timeout(pinned.timeoutMs));
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
