/**
 * plan_upgrade: before upgrade_cluster, where a cluster can go (one minor at most, what its ClusterClass
 * lists), which Machines the upgrade replaces, what blocks it, and how long it took this cluster before.
 * Read-only: it applies and dry-runs nothing (upgrade_cluster with dry_run does the server-side check).
 */
import { z } from 'zod';
import { formatAge } from '../../capi/age.ts';
import { upgradeReplacements } from '../../capi/machine-impact.ts';
import { maxBlockers, median, upgradeBlockers } from '../../capi/upgrade-readiness.ts';
import { nextVersions, upgradeStepProblem } from '../../capi/versions.ts';
import { CapiMcpError, ErrorCode, wrapError } from '../../errors.ts';
import { getIfExists } from '../../kube/client.ts';
import { getCluster } from '../../kube/discovery.ts';
import { Kinds } from '../../kube/kinds.ts';
import type { ExecutionRecord } from '../../workflows/engine.ts';
import { kubernetesVersionArg, managementClusterArg, nameArg, namespaceArg, toolInput, toolOutput } from '../arguments.ts';
import { listVisibleOperations } from '../operations/access.ts';
import { machinesOf } from '../operations/plan.ts';
import { unlisted } from '../schemas.ts';
import { defineTool, type ToolDeps } from '../tool.ts';

/** A list of lines, listed as an array (its items' type adds tokens and nothing an agent acts on). */
const lines = unlisted(z.array(z.string()), 'items');

export const planUpgrade = defineTool({
  name: 'plan_upgrade',
  title: 'Plan upgrade',
  description: 'Before upgrade_cluster: next versions, machines replaced, blockers, duration.',
  // Note: the version's pattern is upgrade_cluster's, listed there; here it is only checked.
  inputSchema: toolInput(z.object({ namespace: namespaceArg, name: nameArg, kubernetes_version: unlisted(kubernetesVersionArg, 'pattern').optional().describe('Check this target'), management_cluster: managementClusterArg })),
  outputSchema: toolOutput(z.object({ version: z.string(), next: lines, target: z.string().optional(), replaced: lines, blockers: lines, estimate: z.string() })),
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  async handler(args, deps) {
    const kube = deps.clusters.client(args.management_cluster);
    const cluster = await getCluster(kube, args.namespace, args.name);
    const topology = cluster.spec?.topology;
    const what = `cluster ${args.namespace}/${args.name}`;
    if (!topology) throw new CapiMcpError(ErrorCode.InvalidInput, `${what} has no managed topology (no ClusterClass); capi-mcp upgrades topology-managed clusters only`);
    const version = String(topology.version ?? '');
    const className = String(topology.classRef?.name ?? '');
    const [clusterClass, machines] = await Promise.all([
      getIfExists(kube, Kinds.ClusterClass, topology.classRef?.namespace ?? args.namespace, className).catch((error: unknown) => {
        throw wrapError(`failed to read ClusterClass ${className}`, error);
      }),
      machinesOf(kube, args.namespace, args.name),
    ]);
    const listed: unknown[] | undefined = clusterClass?.spec?.kubernetesVersions;
    const next = nextVersions(version, listed);
    if (args.kubernetes_version) {
      const target = args.kubernetes_version;
      const problem = upgradeStepProblem(version, target) ?? (listed && !listed.includes(target) ? `${target} is not one of the versions ClusterClass ${className} allows (${listed.join(', ')})` : undefined);
      if (problem) throw new CapiMcpError(ErrorCode.InvalidInput, `cannot upgrade ${what}: ${problem}`, { hint: 'call plan_upgrade without kubernetes_version for the versions it can go to next' });
    }
    const replaced = upgradeReplacements(machines, args.kubernetes_version ?? '').map((m) => m.name);
    const blocking = upgradeBlockers(cluster, machines);
    const history = await ownHistory(deps, args);
    const running = history.filter((r) => r.status === 'RUNNING').map((r) => `operation ${r.name} (${r.input.operation.action}) is running on this cluster`);
    const all = [...blocking.cluster, ...running, ...blocking.machines];
    const blockers = all.length > maxBlockers ? [...all.slice(0, maxBlockers), `and ${all.length - maxBlockers} more`] : all;
    const structured = {
      version,
      next: next ? (next.listed ? [...next.listed] : [next.patch, next.minor]) : [],
      ...(args.kubernetes_version ? { target: args.kubernetes_version } : {}),
      replaced,
      blockers,
      estimate: estimate(history, replaced.length),
    };
    const text = [
      `${what} runs ${version}; next: ${structured.next.join(', ') || 'none that capi-mcp can tell'} (control plane first, then each worker pool)`,
      `replaces ${replaced.length} Machine(s)${args.kubernetes_version ? ` for ${args.kubernetes_version}` : ''}: ${replaced.join(', ') || 'none'}`,
      blockers.length > 0 ? `blockers:\n${blockers.map((b) => `  ${b}`).join('\n')}` : 'blockers: none',
      `estimate: ${structured.estimate}`,
      blockers.length > 0 ? 'Next: resolve the blockers (call get_cluster), then plan again' : 'Next: call upgrade_cluster with kubernetes_version (dry_run: true first)',
    ].join('\n');
    return { structured, text };
  },
});

/** This cluster's running operations and its finished upgrades and scales, as far as the caller may see operations. */
async function ownHistory(deps: ToolDeps, args: { namespace: string; name: string; management_cluster?: string | undefined }): Promise<ExecutionRecord[]> {
  if (!deps.workflows) return [];
  const here = args.management_cluster ?? deps.clusters.names[0];
  return listVisibleOperations(deps, {
    where: ({ operation: o }) => o.namespace === args.namespace && o.name === args.name && (o.managementCluster ?? deps.clusters.names[0]) === here,
  });
}

/** How long an upgrade may take, from this cluster's own finished upgrades (else its scales). */
function estimate(history: readonly ExecutionRecord[], machines: number): string {
  const took = (action: string) =>
    history.filter((r) => r.status === 'SUCCEEDED' && r.stoppedAt && r.input.operation.action === action).map((r) => Math.round((Date.parse(r.stoppedAt!) - Date.parse(r.startedAt)) / 1000));
  const upgrades = took('upgrade');
  if (upgrades.length > 0) {
    const range = upgrades.length > 1 ? ` (${formatAge(Math.min(...upgrades))} to ${formatAge(Math.max(...upgrades))})` : '';
    return `about ${formatAge(median(upgrades))}: the median of ${upgrades.length} finished upgrade${upgrades.length > 1 ? 's' : ''} of this cluster${range}`;
  }
  const scales = took('scale');
  if (scales.length > 0) {
    return `no upgrade history; ${scales.length} finished scale${scales.length > 1 ? 's' : ''} of this cluster took a median of ${formatAge(median(scales))} (an upgrade replaces ${machines} Machines, each as long as a scale adds one)`;
  }
  return 'no history: this cluster has no finished upgrade or scale operation';
}

