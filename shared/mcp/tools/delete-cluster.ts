/**
 * delete_cluster: deletes a cluster and everything CAPI created for it, after refusing protected or
 * GitOps-managed clusters and requiring `confirm` to repeat the name. Returns at once with an operation.
 */
import { z } from 'zod';
import { deletionRefusal } from '../../capi/deletion.ts';
import { CapiMcpError, ErrorCode } from '../../errors.ts';
import { getCluster } from '../../kube/discovery.ts';
import { defineTool } from '../tool.ts';
import { managementClusterArg, nameArg, namespaceArg } from './common.ts';
import { operationSchema } from './operation-schema.ts';
import { operationInput, startOrJoin } from './start-or-join.ts';

export const deleteCluster = defineTool({
  name: 'delete_cluster',
  title: 'Delete cluster',
  description:
    'DESTRUCTIVE: delete a cluster, its machines and infrastructure; confirm must repeat the cluster name. Returns at once with an operation_id for get_operation.',
  inputSchema: z.object({
    namespace: namespaceArg,
    name: nameArg,
    confirm: z.string().max(253).describe('Must equal name: proof the deletion is intended'),
    timeout_seconds: z.number().int().min(60).max(7200).default(1800),
    management_cluster: managementClusterArg,
  }),
  outputSchema: operationSchema,
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
  requires: ['workflows'],
  async handler(args, deps) {
    if (args.confirm !== args.name) {
      throw new CapiMcpError(ErrorCode.InvalidInput, `confirm must equal the cluster name "${args.name}"`, {
        hint: 'ask the user to confirm the deletion, then pass confirm with the exact name',
      });
    }
    return startOrJoin(deps, operationInput('delete', args, {}, 5), 'delete', async () => {
      const cluster = await getCluster(deps.clusters.client(args.management_cluster), args.namespace, args.name);
      const refusal = deletionRefusal(cluster);
      if (refusal) throw new CapiMcpError(ErrorCode.Forbidden, `refusing to delete cluster ${args.namespace}/${args.name}: ${refusal}`);
    });
  },
});
