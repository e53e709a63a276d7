/**
 * create_cluster: validates a topology against its ClusterClass and with a server-side dry run (so a bad
 * request fails at once with the API server's own reason and creates nothing), then starts the create
 * workflow and returns the operation to follow. The same request while it runs returns the same operation.
 */
import { z } from 'zod';
import { reservedKeyProblems } from '../../capi/labels.ts';
import { CapiMcpError, ErrorCode, isNotFound, wrapError } from '../../errors.ts';
import { getIfExists, type KubeObject } from '../../kube/client.ts';
import { Kinds } from '../../kube/kinds.ts';
import { applyOwned } from '../../kube/owned-apply.ts';
import { capiMcpFieldManagers, fieldManagerOf } from '../../workflows/operation.ts';
import { defineTool } from '../tool.ts';
import { dryRunArg, labelArg, managementClusterArg, namespaceArg, timeoutArg, toolInput, kubernetesVersionArg } from '../arguments.ts';
import { creationPlan, operationOrPlanSchema, planResult, type Accepted } from '../operations/plan.ts';
import { operationInput, startOrJoin } from '../operations/start-or-join.ts';
import { takesControlPlaneReplicas } from '../../providers/registry.ts';

const inputSchema = toolInput(
  z.object({
    namespace: namespaceArg,
    name: labelArg,
    cluster_class: labelArg.describe('See capi://clusterclasses'),
    kubernetes_version: kubernetesVersionArg,
    control_plane_replicas: z
      .number()
      .int()
      .min(1)
      .max(7)
      .refine((n) => n % 2 === 1, 'must be odd (1, 3, 5, 7) so etcd keeps quorum')
      .optional()
      .describe('Odd; default 1; omit for EKS'),
    workers: z
      .array(z.object({ class: labelArg.describe('A worker class of the ClusterClass'), name: labelArg, replicas: z.number().int().min(0).max(100) }))
      .max(10)
      .refine((ws) => new Set(ws.map((w) => w.name)).size === ws.length, 'worker pool names must be unique')
      .default([])
      .describe('Worker pools (MachineDeployments)'),
    variables: z
      .record(z.string(), z.unknown())
      .refine((v) => Object.keys(v).every((k) => k.length <= 253), 'variable names are at most 253 characters')
      .optional()
      .describe('ClusterClass variables by name'),
    labels: z
      .record(z.string(), z.string())
      .refine((l) => Object.entries(l).every(([k, v]) => k.length <= 317 && v.length <= 63), 'label keys are at most 317 characters, values at most 63')
      .optional(),
    timeout_seconds: timeoutArg(1800),
    management_cluster: managementClusterArg,
    dry_run: dryRunArg,
  }),
);

export const createCluster = defineTool({
  name: 'create_cluster',
  title: 'Create cluster',
  description:
    'Create a cluster from a ClusterClass, checked by a server-side dry run first.',
  inputSchema,
  outputSchema: operationOrPlanSchema,
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  startsOperation: true,
  requires: ['workflows'],
  async handler(args, deps) {
    // The only metadata a caller sets is the Cluster's labels (no annotations, no pool labels): checked
    // first, since a reserved key changes who may change the cluster or what is installed into it.
    const reserved = reservedKeyProblems('label', args.labels ?? {});
    if (reserved.length > 0) {
      throw new CapiMcpError(ErrorCode.InvalidInput, `invalid cluster ${args.namespace}/${args.name}: ${reserved.join('; ')}`, {
        hint: 'use label keys without these prefixes, e.g. under a domain of your own (team.example.com/owner)',
      });
    }
    // Note: imported on the call, not with this module: both bring Ajv (capi/variables.ts), which a cold
    // start that answers only discovery and tools/list would otherwise load and compile.
    const [{ variableSizeProblems }, { buildTopologyCluster, topologyProblems }] = await Promise.all([import('../../capi/variables.ts'), import('../../capi/topology.ts')]);
    const oversized = variableSizeProblems(args.variables ?? {});
    if (oversized.length > 0) {
      throw new CapiMcpError(ErrorCode.InvalidInput, `invalid cluster ${args.namespace}/${args.name}: ${oversized.join('; ')}`, {
        hint: 'larger content belongs in a Secret or ConfigMap the ClusterClass reads, not in a variable',
      });
    }
    const kube = deps.clusters.client(args.management_cluster);
    // The class decides the shape of the request (an EKS control plane takes no replica count), so it is
    // read before the operation input — the idempotency key — is built.
    let clusterClass: KubeObject;
    try {
      clusterClass = await kube.get(Kinds.ClusterClass, args.namespace, args.cluster_class);
    } catch (error) {
      if (isNotFound(error)) {
        throw new CapiMcpError(ErrorCode.InvalidInput, `ClusterClass ${args.namespace}/${args.cluster_class} does not exist`, {
          hint: 'read the capi://clusterclasses resource for the classes and variables available',
        });
      }
      throw wrapError('failed to read the ClusterClass', error);
    }
    const sized = takesControlPlaneReplicas(clusterClass);
    if (!sized && args.control_plane_replicas !== undefined) {
      throw new CapiMcpError(ErrorCode.InvalidInput, `ClusterClass ${args.cluster_class} has a control plane its provider sizes: omit control_plane_replicas`);
    }
    const controlPlaneReplicas = sized ? (args.control_plane_replicas ?? 1) : undefined;
    const request = {
      namespace: args.namespace,
      name: args.name,
      clusterClass: args.cluster_class,
      version: args.kubernetes_version,
      ...(controlPlaneReplicas !== undefined ? { controlPlaneReplicas } : {}),
      workers: args.workers,
      ...(args.variables ? { variables: args.variables } : {}),
      ...(args.labels ? { labels: args.labels } : {}),
    };
    const cluster = buildTopologyCluster(request);
    const expect = { ...(controlPlaneReplicas !== undefined ? { controlPlaneReplicas } : {}), workerReplicas: args.workers.reduce((n, w) => n + w.replicas, 0) };
    const guards = ['labels: no reserved keys', `ClusterClass ${args.cluster_class}: worker classes and variables valid`, `no cluster ${args.namespace}/${args.name} exists yet`, 'server-side dry run (apply and create) as capi-mcp-create: accepted'];
    const dryRun = async (accepted: readonly Accepted[]) => planResult('create_cluster', args, accepted, creationPlan(controlPlaneReplicas, args.workers), guards);
    return startOrJoin(deps, operationInput('create', args, { cluster, expect }), cluster.spec, async () => {
      const problems = topologyProblems(request, clusterClass);
      if (problems.length > 0) {
        throw new CapiMcpError(ErrorCode.InvalidInput, `invalid cluster ${args.namespace}/${args.name}: ${problems.join('; ')}`, {
          hint: 'read capi://clusterclasses for the worker classes and variables of each class',
        });
      }
      let existing: KubeObject | undefined;
      try {
        existing = await getIfExists(kube, Kinds.Cluster, args.namespace, args.name);
      } catch (error) {
        throw wrapError(`failed to check whether cluster ${args.namespace}/${args.name} exists`, error);
      }
      if (existing) {
        throw new CapiMcpError(ErrorCode.Conflict, `cluster ${args.namespace}/${args.name} already exists`, {
          hint: 'call get_cluster to see it, or choose another name',
        });
      }
      try {
        // Apply is authorized as a patch even when it creates; the Apply step needs create as well, so
        // both are checked: validation and admission run in each, nothing is persisted.
        const applied = await applyOwned(kube, cluster, { dryRun: true, fieldManager: fieldManagerOf('create'), mayTakeFrom: capiMcpFieldManagers });
        const created = await kube.create(cluster, { dryRun: true, fieldManager: fieldManagerOf('create') }).catch((error: unknown) => {
          // Created since the existence check above, by an identical request's Apply: starting then joins it.
          if (!(error instanceof CapiMcpError && error.code === ErrorCode.Conflict) || args.dry_run) throw error;
        });
        return [{ after: created ?? applied }];
      } catch (error) {
        throw wrapError(`the API server rejected cluster ${args.namespace}/${args.name}`, error);
      }
    }, args.dry_run ? dryRun : undefined);
  },
});
