/**
 * MCP resources: `capi://clusters/{namespace}/{name}` (the same summary list_clusters gives) and
 * `capi://clusterclasses` (every ClusterClass with its variables, so an agent can see what a cluster of
 * that class accepts). Both read the default management cluster; a key limited to others reads neither,
 * and a key limited to namespaces reads only those.
 */
import { ResourceNotFoundError, ResourceTemplate, type McpServer } from '@modelcontextprotocol/server';
import { summarizeCluster } from '../capi/summary.ts';
import { getCluster } from '../kube/discovery.ts';
import { Kinds } from '../kube/kinds.ts';
import type { KubeObject } from '../kube/client.ts';
import { hasScope, mayUseManagementCluster, mayUseNamespace } from '../auth/scopes.ts';
import { CapiMcpError, ErrorCode, isNotFound } from '../errors.ts';
import type { ToolDeps } from './tool.ts';

const json = (uri: URL, value: unknown) => ({
  contents: [{ uri: uri.href, mimeType: 'application/json', text: JSON.stringify(value, null, 1) }],
});

export function registerResources(server: McpServer, deps: ToolDeps): void {
  server.registerResource(
    'cluster',
    // Note: no list callback — with thousands of clusters a resources/list would be unbounded; list_clusters pages.
    new ResourceTemplate('capi://clusters/{namespace}/{name}', { list: undefined }),
    { title: 'Cluster summary', description: 'Summary of one Cluster API cluster', mimeType: 'application/json' },
    async (uri, variables) => {
      assertRead(deps);
      // A limited key learns nothing about clusters elsewhere, not even whether one exists there.
      if (!mayUseNamespace(deps.caller, String(variables.namespace)) || !mayUseDefault(deps)) throw new ResourceNotFoundError(uri.href);
      try {
        const cluster = await getCluster(deps.clusters.client(), String(variables.namespace), String(variables.name));
        return json(uri, summarizeCluster(cluster, deps.now()));
      } catch (error) {
        if (isNotFound(error)) throw new ResourceNotFoundError(uri.href);
        throw error;
      }
    },
  );

  server.registerResource(
    'clusterclasses',
    'capi://clusterclasses',
    { title: 'ClusterClasses', description: 'ClusterClasses with their worker classes and variables', mimeType: 'application/json' },
    async (uri) => {
      assertRead(deps);
      if (!mayUseDefault(deps)) {
        throw new CapiMcpError(ErrorCode.Forbidden, `API key ${deps.caller.keyId} may not use the default management cluster, which resources read`);
      }
      // A limited key reads its own namespaces, never a cluster-wide list filtered afterwards.
      const kube = deps.clusters.client();
      const namespaces = deps.caller.namespaces ? [...new Set(deps.caller.namespaces)].sort() : undefined;
      const lists = namespaces ? await Promise.all(namespaces.map((namespace) => kube.list(Kinds.ClusterClass, { namespace }))) : [await kube.list(Kinds.ClusterClass)];
      return json(uri, { clusterClasses: lists.flatMap((l) => l.items).map(describeClass) });
    },
  );
}

function mayUseDefault(deps: ToolDeps): boolean {
  return mayUseManagementCluster(deps.caller, deps.clusters.names[0] ?? '');
}

function assertRead(deps: ToolDeps): void {
  if (!hasScope(deps.caller, 'read')) throw new CapiMcpError(ErrorCode.Forbidden, `reading resources needs the "read" scope, which API key ${deps.caller.keyId} does not have`);
}

/** The parts of a ClusterClass that decide what a topology may set. */
export function describeClass(cc: KubeObject) {
  const spec = cc.spec ?? {};
  return {
    namespace: cc.metadata.namespace,
    name: cc.metadata.name,
    workerClasses: {
      machineDeployments: (spec.workers?.machineDeployments ?? []).map((md: { class: string }) => md.class),
      machinePools: (spec.workers?.machinePools ?? []).map((mp: { class: string }) => mp.class),
    },
    variables: (spec.variables ?? []).map((v: { name: string; required?: boolean; schema?: { openAPIV3Schema?: unknown } }) => ({
      name: v.name,
      required: v.required ?? false,
      schema: v.schema?.openAPIV3Schema ?? {},
    })),
  };
}
