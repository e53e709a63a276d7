/** upgrade_cluster: a new Kubernetes version for a topology-managed cluster, rolled out machine by machine. */
import { z } from 'zod';
import { defineTool } from '../tool.ts';
import { dryRunArg, managementClusterArg, nameArg, namespaceArg, timeoutArg, toolInput, kubernetesVersionArg } from '../arguments.ts';
import { operationOrPlanSchema } from '../operations/plan.ts';
import { startClusterChange } from '../operations/change.ts';

export const upgradeCluster = defineTool({
  name: 'upgrade_cluster',
  title: 'Upgrade cluster',
  description:
    'Upgrade to a newer Kubernetes version, one minor at a time, replacing machines one by one.',
  inputSchema: toolInput(
    z.object({
      namespace: namespaceArg,
      name: nameArg,
      kubernetes_version: kubernetesVersionArg,
      timeout_seconds: timeoutArg(3600),
      management_cluster: managementClusterArg,
      dry_run: dryRunArg,
    }),
  ),
  outputSchema: operationOrPlanSchema,
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
  startsOperation: true,
  requires: ['workflows'],
  async handler(args, deps) {
    // Note: topology.ts is imported on the call, not with this module: it brings Ajv (capi/variables.ts),
    // which a cold start that answers only discovery and tools/list would otherwise load and compile.
    const { upgradeChange } = await import('../../capi/topology.ts');
    return startClusterChange(deps, args, 'upgrade', (cluster) => upgradeChange(cluster, args.kubernetes_version));
  },
});
