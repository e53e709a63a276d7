/**
 * delete_cluster: deletes a cluster and everything CAPI created for it, after refusing protected or
 * GitOps-managed clusters and requiring `confirm` to repeat the name. Returns at once with an operation.
 */
import { z } from 'zod';
import { CapiMcpError, ErrorCode, wrapError } from '../../errors.ts';
import { Kinds } from '../../kube/kinds.ts';
import { getCluster } from '../../kube/discovery.ts';
import { defineTool } from '../tool.ts';
import { dryRunArg, managementClusterArg, nameArg, namespaceArg, timeoutArg, toolInput } from '../arguments.ts';
import { allMachines } from '../../capi/machine-impact.ts';
import { preventDeletionLabel } from '../../capi/protection.ts';
import { deletionPlan, machinesOf, operationOrPlanSchema, planResult } from '../operations/plan.ts';
import { operationInput, refuseProtected, startOrJoin } from '../operations/start-or-join.ts';

export const deleteCluster = defineTool({
  name: 'delete_cluster',
  title: 'Delete cluster',
  description:
    'DESTRUCTIVE: delete a cluster with its machines and infrastructure; ask the user first.',
  inputSchema: toolInput(
    z.object({
      namespace: namespaceArg,
      name: nameArg,
      confirm: z.string().max(253).describe('Must equal name'),
      timeout_seconds: timeoutArg(1800),
      management_cluster: managementClusterArg,
      dry_run: dryRunArg,
    }),
  ),
  outputSchema: operationOrPlanSchema,
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
  startsOperation: true,
  requires: ['workflows'],
  async handler(args, deps) {
    if (args.confirm !== args.name) {
      throw new CapiMcpError(ErrorCode.InvalidInput, `confirm must equal the cluster name "${args.name}"`, {
        hint: 'ask the user to confirm the deletion, then pass confirm with the exact name',
      });
    }
    const kube = deps.clusters.client(args.management_cluster);
    const cluster = await getCluster(kube, args.namespace, args.name);
    // The operation carries the UID of the Cluster judged here: its step deletes that object only, never
    // one created since under the same name, and judges it again (shared/workflows/steps.ts).
    const pinned = cluster.metadata.uid ? { uid: cluster.metadata.uid } : {};
    const check = async () => {
      refuseProtected('delete', args, { action: 'delete' }, [cluster]);
      // A dry-run DELETE: an identity that may not delete (read-only RBAC) is refused now, not minutes later.
      await kube.delete(Kinds.Cluster, args.namespace, args.name, { dryRun: true }).catch((error: unknown) => {
        throw wrapError(`the API server refused the deletion of cluster ${args.namespace}/${args.name}`, error);
      });
    };
    const guards = ['confirm equals the name', `owners (GitOps markers, ${preventDeletionLabel}) on Cluster ${args.name}: allowed`, 'server-side dry-run DELETE: accepted'];
    // Note: a DELETE has no object after it to diff; the plan says what goes instead.
    const dryRun = async () => {
      const plan = planResult('delete_cluster', args, [], deletionPlan(allMachines(await machinesOf(kube, args.namespace, args.name))), guards);
      plan.structured.plan.changes.push(`Cluster ${args.namespace}/${args.name}: deleted, with everything Cluster API created for it`);
      return { ...plan, text: plan.text.replace('  (no field changes)', `  ${plan.structured.plan.changes[0]}`) };
    };
    return startOrJoin(deps, operationInput('delete', args, pinned), 'delete', check, args.dry_run ? dryRun : undefined);
  },
});
