/**
 * The only code that talks to a Kubernetes API server. Tools and domain code see the small `KubeClient`
 * interface; API errors become CapiMcpErrors with codes an agent can act on, and every call has a
 * deadline so a hung API server surfaces as a Timeout instead of a Lambda timeout.
 *
 * Note: @kubernetes/client-node (with undici, about half the Lambda bundle) is loaded by the first call
 * that reaches an API server, never at import: discovery and tools/list do not pay for it on a cold start.
 * Only its types are imported statically.
 */
import type { KubeConfig, RequestContext } from '@kubernetes/client-node';
import { CapiMcpError, ErrorCode, isNotFound, messageOf } from '../errors.ts';

/** A Kubernetes object as returned by the API server (only the fields every object has are typed). */
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: {
    name: string;
    namespace?: string;
    uid?: string;
    resourceVersion?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    creationTimestamp?: string;
    deletionTimestamp?: string;
    ownerReferences?: { apiVersion: string; kind: string; name: string; uid: string; controller?: boolean }[];
  };
  spec?: any;
  status?: any;
  [key: string]: unknown;
}

/** What the server reads of a Secret: enough to check who wrote it, and its decoded data. */
export interface KubeSecret {
  readonly type?: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly data: Readonly<Record<string, string>>;
}

/** Where a kind is served: enough to LIST or GET it. */
export interface ResourceRef {
  readonly group: string;
  readonly version: string;
  readonly plural: string;
  readonly kind: string;
}

export interface ListOptions {
  readonly namespace?: string;
  readonly labelSelector?: string;
  readonly fieldSelector?: string;
  readonly limit?: number;
  readonly continueToken?: string;
}

export interface ListResult {
  readonly items: KubeObject[];
  /** The API server's continue token, when more items remain. */
  readonly continueToken?: string;
}

export interface KubeClient {
  list(ref: ResourceRef, options?: ListOptions): Promise<ListResult>;
  /** Throws NotFound when the object does not exist. */
  get(ref: ResourceRef, namespace: string, name: string): Promise<KubeObject>;
  /** Resolves a kind of an API group (as in a v1beta2 contract reference) to where it is served. */
  resolve(group: string, kind: string): Promise<ResourceRef>;
  /** A Secret: its type, labels and decoded data. */
  readSecret(namespace: string, name: string): Promise<KubeSecret>;
  /** Events of a namespace (one LIST), optionally narrowed by a field selector. */
  listEvents(namespace: string, fieldSelector?: string): Promise<KubeObject[]>;
  /** Nodes of the cluster this client points at. */
  listNodes(): Promise<KubeObject[]>;
  /**
   * Server-side applies `obj` as `fieldManager` (create or update, idempotent; fields this manager
   * applied before and `obj` omits are removed, as SSA defines). With `dryRun` the API server validates
   * it — schemas, webhooks, admission — and persists nothing. Not forced unless `force`: a field another
   * manager owns with another value fails the apply with a Conflict (see owned-apply.ts). A
   * `metadata.resourceVersion` in `obj` makes the apply conditional on it.
   */
  apply(obj: KubeObject, options: { fieldManager: string; dryRun?: boolean; force?: boolean }): Promise<KubeObject>;
  /** Creates `obj` (a POST); with `dryRun`, only validated, admitted and authorized as a create. */
  create(obj: KubeObject, options: { fieldManager: string; dryRun?: boolean }): Promise<KubeObject>;
  /**
   * Deletes an object; resolves when the API server accepted the deletion (it may finish later). With
   * `dryRun` the API server authorizes and admits the deletion and deletes nothing. With `preconditions`
   * it deletes only the object with that UID (and resourceVersion): any other answers Conflict.
   */
  delete(ref: ResourceRef, namespace: string, name: string, options?: { dryRun?: boolean; preconditions?: { uid: string; resourceVersion?: string } }): Promise<void>;
}

/** The object, or undefined when it does not exist; other failures still throw. */
export async function getIfExists(kube: KubeClient, ref: ResourceRef, namespace: string, name: string): Promise<KubeObject | undefined> {
  try {
    return await kube.get(ref, namespace, name);
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

/** Default deadline of one API call. */
const callTimeoutMs = 10_000;

/** Loads @kubernetes/client-node on first use (the module system keeps it loaded). */
const clientNode = () => import('./client-node.ts');

export interface KubeClientOptions {
  /** Deadline of one API call. */
  readonly timeoutMs?: number;
  /**
   * Errors carry the HTTP status or a connection error code, never text the API server sent: for API
   * servers a tenant may control (workload clusters), whose answers must not reach another caller.
   */
  readonly opaqueErrors?: boolean;
  /** Connect to this endpoint only, with these credentials (workload clusters; see PinnedEndpoint). */
  readonly pinned?: PinnedEndpoint;
}

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

/** A KubeClient over a KubeConfig that `configure` fills in (load a file, a string, options). */
export async function kubeClientFrom(configure: (kc: KubeConfig) => void, options: KubeClientOptions = {}): Promise<KubeClient> {
  const { KubeConfig } = await clientNode();
  const kc = new KubeConfig();
  configure(kc);
  return kubeClientFor(kc, options);
}

/**
 * A KubeClient whose every call first awaits `current()`: for clients that are built on first use
 * (loading client-node, reading a kubeconfig, describing an EKS cluster) behind a synchronous factory.
 * Caching and retrying the build is `current`'s business.
 */
export function deferredKubeClient(current: () => Promise<KubeClient>): KubeClient {
  return {
    list: async (...args) => (await current()).list(...args),
    get: async (...args) => (await current()).get(...args),
    resolve: async (...args) => (await current()).resolve(...args),
    readSecret: async (...args) => (await current()).readSecret(...args),
    listEvents: async (...args) => (await current()).listEvents(...args),
    listNodes: async (...args) => (await current()).listNodes(...args),
    apply: async (...args) => (await current()).apply(...args),
    create: async (...args) => (await current()).create(...args),
    delete: async (...args) => (await current()).delete(...args),
  };
}

/**
 * `build()` once, shared by every caller; a failed build is forgotten, so the next call retries (a
 * kubeconfig written a moment later, an API throttled once) instead of repeating the failure.
 */
export function once<T>(build: () => Promise<T>): () => Promise<T> {
  let built: Promise<T> | undefined;
  return () => {
    if (!built) {
      const attempt = build();
      attempt.catch(() => {
        if (built === attempt) built = undefined;
      });
      built = attempt;
    }
    return built;
  };
}

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
function sharingConnections(kc: KubeConfig, pinned?: { readonly dispatcher: unknown; readonly timeoutMs: number }): KubeConfig {
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

/** A KubeClient over a client-node KubeConfig. */
export async function kubeClientFor(config: KubeConfig, { timeoutMs = callTimeoutMs, opaqueErrors = false, pinned }: KubeClientOptions = {}): Promise<KubeClient> {
  const { Agent, ApisApi, CoreV1Api, CustomObjectsApi, KubernetesObjectApi, PatchStrategy } = await clientNode();
  const kc = sharingConnections(config, pinned && { dispatcher: pinnedDispatcher(Agent, pinned, timeoutMs), timeoutMs });
  const custom = kc.makeApiClient(CustomObjectsApi);
  const core = kc.makeApiClient(CoreV1Api);
  const apis = kc.makeApiClient(ApisApi);
  const objects = KubernetesObjectApi.makeApiClient(kc);
  const resolved = new Map<string, Promise<ResourceRef>>();
  const call = <T>(what: string, fn: () => Promise<T>) => withDeadline(what, fn, timeoutMs, opaqueErrors);

  async function resolveUncached(group: string, kind: string): Promise<ResourceRef> {
    const groups = await call('discover API groups', () => apis.getAPIVersions());
    const version = groups.groups.find((g) => g.name === group)?.preferredVersion?.version;
    if (!version) throw new CapiMcpError(ErrorCode.NotFound, `API group ${group} is not served by the management cluster`);
    const resources = await call(`discover ${group}/${version}`, () => custom.getAPIResources({ group, version }));
    const resource = resources.resources.find((r) => r.kind === kind && !r.name.includes('/'));
    if (!resource) throw new CapiMcpError(ErrorCode.NotFound, `kind ${kind} is not served in ${group}/${version}`);
    return { group, version, plural: resource.name, kind };
  }

  return {
    async list(ref, options = {}) {
      const params = {
        group: ref.group,
        version: ref.version,
        plural: ref.plural,
        labelSelector: options.labelSelector,
        fieldSelector: options.fieldSelector,
        limit: options.limit,
        _continue: options.continueToken,
      };
      const where = options.namespace ? `in namespace ${options.namespace}` : 'in all namespaces';
      const body = await retryWhileCacheLags(() =>
        call(`list ${ref.plural} ${where}`, () =>
          options.namespace
            ? custom.listNamespacedCustomObject({ ...params, namespace: options.namespace })
            : custom.listClusterCustomObject(params),
        ),
      );
      const token = body?.metadata?.continue;
      return { items: (body?.items ?? []) as KubeObject[], ...(token ? { continueToken: token } : {}) };
    },
    async get(ref, namespace, name) {
      return (await call(`get ${ref.kind} ${namespace}/${name}`, () =>
        custom.getNamespacedCustomObject({ group: ref.group, version: ref.version, plural: ref.plural, namespace, name }),
      )) as KubeObject;
    },
    resolve(group, kind) {
      const key = `${group}/${kind}`;
      let found = resolved.get(key);
      if (!found) {
        found = resolveUncached(group, kind);
        // A failed discovery is not cached: the CRD may be installed a moment later.
        found.catch(() => resolved.delete(key));
        resolved.set(key, found);
      }
      return found;
    },
    async readSecret(namespace, name) {
      const secret = await call(`read Secret ${namespace}/${name}`, () => core.readNamespacedSecret({ namespace, name }));
      return {
        ...(secret.type ? { type: secret.type } : {}),
        labels: secret.metadata?.labels ?? {},
        data: Object.fromEntries(Object.entries(secret.data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')])),
      };
    },
    async listEvents(namespace, fieldSelector) {
      const list = await call(`list Events in namespace ${namespace}`, () => core.listNamespacedEvent({ namespace, fieldSelector }));
      return list.items as unknown as KubeObject[];
    },
    async listNodes() {
      const list = await call('list Nodes', () => core.listNode());
      return list.items as unknown as KubeObject[];
    },
    async apply(obj, options) {
      const what = `${options.dryRun ? 'validate' : 'apply'} ${obj.kind} ${obj.metadata.namespace}/${obj.metadata.name}`;
      return (await call(what, () =>
        objects.patch(obj as never, undefined, options.dryRun ? 'All' : undefined, options.fieldManager, options.force === true, PatchStrategy.ServerSideApply),
      )) as KubeObject;
    },
    async create(obj, options) {
      const what = `${options.dryRun ? 'validate the creation of' : 'create'} ${obj.kind} ${obj.metadata.namespace}/${obj.metadata.name}`;
      return (await call(what, () => objects.create(obj as never, undefined, options.dryRun ? 'All' : undefined, options.fieldManager))) as KubeObject;
    },
    async delete(ref, namespace, name, options = {}) {
      await call(`${options.dryRun ? 'validate the deletion of' : 'delete'} ${ref.kind} ${namespace}/${name}`, () =>
        custom.deleteNamespacedCustomObject({
          group: ref.group,
          version: ref.version,
          plural: ref.plural,
          namespace,
          name,
          ...(options.dryRun ? { dryRun: 'All' } : {}),
          ...(options.preconditions ? { body: { preconditions: options.preconditions } } : {}),
        }),
      );
    },
  };
}

/** An undici dispatcher that reaches `pinned.origin` only (see PinnedEndpoint). */
function pinnedDispatcher(AgentClass: typeof import('undici').Agent, pinned: PinnedEndpoint, timeoutMs: number): unknown {
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

/**
 * Note: a LIST that continues a page carries the first page's resourceVersion; an API server whose watch
 * cache has not caught up with it yet waits 3 s, then answers 504 "Too large resource version" (reason
 * ResourceVersionTooLarge, retryAfterSeconds 1) — seen on a loaded machine. client-go's reflector retries
 * it; so does this, twice, a second apart, before the Timeout reaches the caller.
 */
async function retryWhileCacheLags<T>(fn: () => Promise<T>, attempts = 3): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (error) {
      const lagging = error instanceof CapiMcpError && error.code === ErrorCode.Timeout && /Too large resource version/.test(error.message);
      if (!lagging || attempt >= attempts) throw error;
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  }
}

/** Runs `fn` with a deadline and maps API failures to CapiMcpErrors whose message starts with `what`. */
async function withDeadline<T>(what: string, fn: () => Promise<T>, timeoutMs: number, opaque: boolean): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new CapiMcpError(ErrorCode.Timeout, `failed to ${what}: no answer from the API server within ${timeoutMs / 1000}s`)),
      timeoutMs,
    );
  });
  try {
    return await Promise.race([fn(), deadline]);
  } catch (error) {
    throw toCapiMcpError(what, error, opaque);
  } finally {
    clearTimeout(timer);
  }
}

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
