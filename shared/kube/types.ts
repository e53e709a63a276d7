/**
 * What code above kube/ sees of a Kubernetes API server: the small KubeClient interface and the plain
 * shapes it takes and returns. No client library here, so domain code and tests import these types
 * without loading one.
 */

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
  /**
   * What to keep of each item, applied as the answer arrives (shared/kube/list-stream.ts): the items of
   * the result are what it returns, and a page holds no more than that. It must only leave fields out.
   */
  readonly keep?: (item: KubeObject) => KubeObject;
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
   * One request that needs this client's credentials (API discovery, which Kubernetes grants every
   * authenticated user): resolves when the API server answers and accepts them. Never cached.
   */
  ping(): Promise<void>;
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
