/**
 * remediate_machine: deletes one Machine so that its owner (MachineSet or KubeadmControlPlane) replaces
 * it, as a MachineHealthCheck would, and follows until the replacement is ready. Refuses what
 * shared/capi/remediation.ts refuses: no owner, the last control-plane Machine, a pool already short.
 */
import { z } from 'zod';
import { remediationPlan } from '../../capi/remediation.ts';
import { poolOf } from '../../capi/machine-impact.ts';
import { CapiMcpError, ErrorCode, isNotFound, wrapError } from '../../errors.ts';
import { Kinds } from '../../kube/kinds.ts';
import { getCluster, getMachine } from '../../kube/discovery.ts';
import { defineTool } from '../tool.ts';
import { dryRunArg, managementClusterArg, nameArg, namespaceArg, toolInput } from '../arguments.ts';
import { machinesOf, operationOrPlanSchema, planResult } from '../operations/plan.ts';
import { desiredOfPool } from '../operations/pools.ts';
import { joinRunning, operationInput, refuseProblems, startOrJoin } from '../operations/start-or-join.ts';

export const remediateMachine = defineTool({
  name: 'remediate_machine',
  title: 'Remediate machine',
  description: 'Replace one broken machine: delete it for its MachineSet or control plane to recreate.',
  inputSchema: toolInput(z.object({ namespace: namespaceArg, name: nameArg, machine: nameArg, management_cluster: managementClusterArg, dry_run: dryRunArg })),
  outputSchema: operationOrPlanSchema,
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
  startsOperation: true,
  requires: ['workflows'],
  async handler(args, deps) {
    const kube = deps.clusters.client(args.management_cluster);
    const cluster = await getCluster(kube, args.namespace, args.name);
    const [found, machines] = await Promise.all([
      getMachine(kube, args.namespace, args.machine).then((machine) => ({ machine }), (error: unknown) => ({ error })),
      machinesOf(kube, args.namespace, args.name),
    ]);
    if ('error' in found) {
      // The Machine is gone: once this very remediation's step deleted it, a retry joins the operation (a dry run plans nothing gone).
      const running = isNotFound(found.error) && !args.dry_run ? await joinRunning(deps, 'remediate', args, ['remediate', args.machine], (o) => o.machine?.name === args.machine) : undefined;
      if (running) return running;
      throw found.error;
    }
    const { machine } = found;
    const desired = await desiredOfPool(kube, cluster, poolOf(machine));
    const plan = remediationPlan(args.name, machine, machines, desired);
    const uid = machine.metadata.uid;
    if (!uid) throw new CapiMcpError(ErrorCode.Upstream, `the API server returned Machine ${args.namespace}/${args.machine} without a UID`);
    // Note: judged in the check, which runs only for a new operation: a retry while the step deletes the
    // Machine joins its operation instead of being told the Machine is being deleted already.
    const check = async () => {
      refuseProblems('remediate', args, plan.problems, `call diagnose_cluster with namespace=${args.namespace} name=${args.name}`);
      // A dry-run DELETE: an identity that may not delete Machines is refused now, not at the step.
      await kube.delete(Kinds.Machine, args.namespace, args.machine, { dryRun: true }).catch((error: unknown) => {
        throw wrapError(`the API server refused the deletion of Machine ${args.namespace}/${args.machine}`, error);
      });
    };
    const dryRun = async () => {
      const lines = [`delete ${args.machine} (${plan.pool}); ${plan.owner} creates its replacement${desired !== undefined ? `, back to ${desired} ready` : ''}`];
      const guards = [`Machine ${args.machine}: owned by ${plan.owner}, not the last control-plane Machine, its pool replacing no other`, 'server-side dry-run DELETE: accepted'];
      const planned = planResult('remediate_machine', args, [], { lines, replaced: [{ name: args.machine, pool: plan.pool }] }, guards);
      // Note: a DELETE has no object after it to diff; the plan says what goes instead, as delete_cluster's does.
      const change = `Machine ${args.namespace}/${args.machine}: deleted`;
      planned.structured.plan.changes.push(change);
      return { ...planned, text: planned.text.replace('  (no field changes)', `  ${change}`) };
    };
    const input = operationInput('remediate', args, {
      machine: { name: args.machine, uid },
      expect: { replaced: { pool: plan.pool, ...(desired !== undefined ? { replicas: desired } : {}) } },
    });
    return startOrJoin(deps, input, ['remediate', args.machine], check, args.dry_run ? dryRun : undefined);
  },
});
