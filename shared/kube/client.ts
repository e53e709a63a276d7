/**
 * The only code that talks to a Kubernetes API server. Tools and domain code see the small `KubeClient`
 * interface; API errors become CapiMcpErrors with codes an agent can act on, and every call has a
 * deadline so a hung API server surfaces as a Timeout instead of a Lambda timeout.
 *
 * Note: @kubernetes/client-node (with undici, about half the Lambda bundle) is loaded by the first call
 * that reaches an API server, never at import: discovery and tools/list do not pay for it on a cold start.
 * Only its types are imported statically.
 *
 * The interface and its shapes are in types.ts, how requests reach a server (one shared connection, a
 * pinned endpoint for workload clusters) in connection.ts, and how failures become codes in http-errors.ts.
 */
import type { KubeConfig } from '@kubernetes/client-node';
import { CapiMcpError, ErrorCode, isNotFound } from '../errors.ts';
import { abortingWith, pinnedDispatcher, sharingConnections, type PinnedEndpoint } from './connection.ts';
import { toCapiMcpError } from './http-errors.ts';
import { streamedListCall } from './list-stream.ts';
import type { KubeClient, KubeObject, ResourceRef } from './types.ts';

// Note: other modules import these from here, as before the split into types.ts, connection.ts and http-errors.ts.
export type { KubeClient, KubeObject, KubeSecret, ListOptions, ListResult, ResourceRef } from './types.ts';
export { maxWorkloadResponseBytes, type PinnedEndpoint } from './connection.ts';
export { toCapiMcpError } from './http-errors.ts';

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
  /** false: ask for uncompressed answers (a kubeconfig's `disable-compression`, for fast links). Default true. */
  readonly compression?: boolean;
}

/**
 * A KubeClient over a KubeConfig that `configure` fills in (load a file, a string, options); what
 * `configure` returns adds to `options` (settings only the loaded kubeconfig knows).
 */
export async function kubeClientFrom(configure: (kc: KubeConfig) => KubeClientOptions | void, options: KubeClientOptions = {}): Promise<KubeClient> {
  const { KubeConfig } = await clientNode();
  const kc = new KubeConfig();
  const more = configure(kc);
  return kubeClientFor(kc, { ...options, ...more });
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
    ping: async () => (await current()).ping(),
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

/** A KubeClient over a client-node KubeConfig. */
export async function kubeClientFor(config: KubeConfig, { timeoutMs = callTimeoutMs, opaqueErrors = false, pinned, compression = true }: KubeClientOptions = {}): Promise<KubeClient> {
  const { Agent, ApisApi, CoreV1Api, CustomObjectsApi, KubernetesObjectApi, Observable, PatchStrategy } = await clientNode();
  const kc = sharingConnections(config, pinned && pinnedDispatcher(Agent, pinned, timeoutMs), { compression });
  const custom = kc.makeApiClient(CustomObjectsApi);
  const core = kc.makeApiClient(CoreV1Api);
  const apis = kc.makeApiClient(ApisApi);
  const objects = KubernetesObjectApi.makeApiClient(kc);
  const resolved = new Map<string, Promise<ResourceRef>>();
  const call = <T>(what: string, fn: () => Promise<T>, effect: Effect = 'reads') => withDeadline(what, fn, timeoutMs, opaqueErrors, effect);

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
      const streamed = options.keep ? streamedListCall(options.keep as (item: unknown) => KubeObject, Observable) : undefined;
      const body = await retryWhileCacheLags(() =>
        call(`list ${ref.plural} ${where}`, async () => {
          const answer = options.namespace
            ? await custom.listNamespacedCustomObject({ ...params, namespace: options.namespace }, streamed?.options)
            : await custom.listClusterCustomObject(params, streamed?.options);
          return streamed ? streamed.read() : answer;
        }),
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
    async ping() {
      await call('discover API groups', () => apis.getAPIVersions());
    },
    async apply(obj, options) {
      const what = `${options.dryRun ? 'validate' : 'apply'} ${obj.kind} ${obj.metadata.namespace}/${obj.metadata.name}`;
      return (await call(
        what,
        () => objects.patch(obj as never, undefined, options.dryRun ? 'All' : undefined, options.fieldManager, options.force === true, PatchStrategy.ServerSideApply),
        options.dryRun ? 'reads' : 'writes',
      )) as KubeObject;
    },
    async create(obj, options) {
      const what = `${options.dryRun ? 'validate the creation of' : 'create'} ${obj.kind} ${obj.metadata.namespace}/${obj.metadata.name}`;
      return (await call(
        what,
        () => objects.create(obj as never, undefined, options.dryRun ? 'All' : undefined, options.fieldManager),
        options.dryRun ? 'reads' : 'writes',
      )) as KubeObject;
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
        options.dryRun ? 'reads' : 'writes',
      );
    },
  };
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

/** Whether a call may change the cluster (a dry run does not): what its Timeout tells the agent to do. */
type Effect = 'reads' | 'writes';

/**
 * The next step after a call timed out. Note: a write the API server did not answer may still have been
 * made (the request reached it; only the answer is missing), so retrying it blind could act twice.
 */
const afterTimeout: Record<Effect, string> = {
  reads: 'the API server is slow or overloaded; the call changed nothing, so retry it in a moment',
  writes: 'the API server did not answer in time, so the change may have been made or not: read the object before retrying',
};

/**
 * Runs `fn` with a deadline and maps API failures to CapiMcpErrors whose message starts with `what`. At
 * the deadline the call rejects with Timeout and its requests are aborted, so a timed-out call keeps no
 * socket and reads nothing more (see abortingWith).
 */
async function withDeadline<T>(what: string, fn: () => Promise<T>, timeoutMs: number, opaque: boolean, effect: Effect): Promise<T> {
  const aborter = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(new CapiMcpError(ErrorCode.Timeout, `failed to ${what}: no answer from the API server within ${timeoutMs / 1000}s`, { hint: afterTimeout[effect] }));
      // Note: the abort's own reason (an AbortError), not the Timeout above: client-node rewrites the
      // message of errors it sees, and the caller's Timeout must stay as it was thrown.
      aborter.abort();
    }, timeoutMs);
  });
  try {
    return await Promise.race([abortingWith(aborter.signal, fn), deadline]);
  } catch (error) {
    throw toCapiMcpError(what, error, opaque);
  } finally {
    clearTimeout(timer);
  }
}
