/**
 * What in a cluster stands in the way of an upgrade, read from the Cluster and its Machines: a pause,
 * a deletion, Machines that are unhealthy or being remediated by a MachineHealthCheck (an upgrade would
 * replace Machines while capacity is already down), and a rollout that has not finished (Machines not on
 * the topology version yet: the control plane goes first, the workers follow, and the next upgrade waits).
 * Pure; running operations and past durations come from the workflow engine, in the MCP layer.
 */
import type { KubeObject } from '../kube/client.ts';
import { getCondition, oneLine } from './conditions.ts';
import { isMachineHealthy, poolOf } from './machine-impact.ts';

import { pausedAnnotation } from './pause.ts';

/** At most this many blockers are listed (a cluster of 300 Machines mid-rollout would list every one). */
export const maxBlockers = 10;

/** What blocks an upgrade: of the Cluster itself, then of its Machines by name. */
export function upgradeBlockers(cluster: KubeObject, machines: readonly KubeObject[]): { readonly cluster: string[]; readonly machines: string[] } {
  const { namespace, name } = cluster.metadata;
  const version = cluster.spec?.topology?.version as string | undefined;
  const blockers: string[] = [];
  if (cluster.metadata.deletionTimestamp) blockers.push(`cluster ${namespace}/${name} is being deleted`);
  if (cluster.spec?.paused === true) blockers.push(`cluster ${namespace}/${name} is paused (spec.paused): nothing reconciles until it is resumed`);
  else if (cluster.metadata.annotations?.[pausedAnnotation] !== undefined) blockers.push(`cluster ${namespace}/${name} is paused (${pausedAnnotation}): nothing reconciles until it is resumed`);
  const machineBlockers: string[] = [];
  for (const m of [...machines].filter((m) => poolOf(m) !== undefined && !m.metadata.deletionTimestamp).sort((a, b) => a.metadata.name.localeCompare(b.metadata.name))) {
    const why = machineBlocker(m, version);
    if (why) machineBlockers.push(`Machine ${m.metadata.name} ${why}`);
  }
  return { cluster: blockers, machines: machineBlockers };
}

/** Why one Machine blocks an upgrade, or undefined. */
function machineBlocker(machine: KubeObject, version: string | undefined): string | undefined {
  if (machine.metadata.annotations?.[pausedAnnotation] !== undefined) return `is paused (${pausedAnnotation})`;
  const check = getCondition(machine, 'HealthCheckSucceeded');
  const remediated = getCondition(machine, 'OwnerRemediated');
  if (check?.status === 'False' || remediated?.status === 'False') {
    const c = check?.status === 'False' ? check : remediated!;
    return `is being remediated by a MachineHealthCheck: ${oneLine(`${c.reason ?? 'Unhealthy'}: ${c.message ?? ''}`, 160).replace(/: $/, '')}`;
  }
  if (!isMachineHealthy(machine)) {
    if (!machine.status?.nodeRef?.name) return 'is not healthy: it has no Node yet';
    return `is not healthy: its Node is unhealthy (NodeHealthy False)`;
  }
  if (version && typeof machine.spec?.version === 'string' && machine.spec.version !== version) return `runs ${machine.spec.version}, not the topology version ${version}: the last rollout has not finished`;
  return undefined;
}

/** The median of `values` (the lower middle for an even count, so it is one that happened); undefined when empty. */
export function median(values: readonly number[]): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)];
}
