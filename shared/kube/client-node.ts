/**
 * The parts of @kubernetes/client-node (and of undici, its HTTP client, for workload clusters' pinned
 * connections) that client.ts uses, in a module of their own that client.ts
 * imports dynamically, on the first call that reaches an API server.
 *
 * Note: not `import('@kubernetes/client-node')` itself: esbuild cannot tree-shake a dynamically imported
 * namespace, which keeps all of client-node (about 3 MB instead of 1 MB) in the bundle. Named re-exports
 * from a static import keep the tree-shaking; the dynamic import of this file keeps the laziness.
 */
export { ApisApi, CoreV1Api, CustomObjectsApi, KubeConfig, KubernetesObjectApi, Observable, PatchStrategy } from '@kubernetes/client-node';
export { Agent } from 'undici';
