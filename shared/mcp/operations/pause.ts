/**
 * pause_cluster and resume_cluster are one change with two values of spec.paused: one definition, made twice
 * (shared/mcp/tools/pause-cluster.ts, resume-cluster.ts). The domain is shared/capi/pause.ts.
 */
import { z } from 'zod';
import { pauseChange } from '../../capi/pause.ts';
import { defineTool } from '../tool.ts';
import { dryRunArg, managementClusterArg, nameArg, namespaceArg, toolInput } from '../arguments.ts';
import { startClusterChange } from './change.ts';
import { operationOrPlanSchema } from './plan.ts';

export function definePauseTool({ name, title, description, paused }: { name: string; title: string; description: string; paused: boolean }) {
  return defineTool({
    name,
    title,
    description,
    inputSchema: toolInput(z.object({ namespace: namespaceArg, name: nameArg, management_cluster: managementClusterArg, dry_run: dryRunArg })),
    outputSchema: operationOrPlanSchema,
    // Note: neither is destructive: no machine changes, and what a pause stops, a resume carries on.
    annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: false },
    startsOperation: true,
    requires: ['workflows'],
    async handler(args, deps) {
      return startClusterChange(deps, args, paused ? 'pause' : 'resume', (cluster) => pauseChange(cluster, paused));
    },
  });
}
