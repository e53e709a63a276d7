/**
 * Every tool, in one list, and the one predicate that decides which of them a server exposes. Gating
 * reads the tools' own annotations, so there is no second list of names that could drift.
 */
import type { ToolDefinition } from './tool.ts';
import { cancelOperation } from './tools/cancel-operation.ts';
import { createCluster } from './tools/create-cluster.ts';
import { deleteCluster } from './tools/delete-cluster.ts';
import { listOperations } from './tools/list-operations.ts';
import { scaleCluster } from './tools/scale-cluster.ts';
import { upgradeCluster } from './tools/upgrade-cluster.ts';
import { planUpgrade } from './tools/plan-upgrade.ts';
import { getOperation } from './tools/get-operation.ts';
import { getClusterKubeconfig } from './tools/get-cluster-kubeconfig.ts';
import { getClusterNodes } from './tools/get-cluster-nodes.ts';
import { getCluster } from './tools/get-cluster.ts';
import { diagnoseClusterTool } from './tools/diagnose-cluster.ts';
import { listClusters } from './tools/list-clusters.ts';
import { pauseCluster } from './tools/pause-cluster.ts';
import { resumeCluster } from './tools/resume-cluster.ts';
import { rolloutCluster } from './tools/rollout-cluster.ts';
import { remediateMachine } from './tools/remediate-machine.ts';

export const tools: readonly ToolDefinition<any, any>[] = [
  listClusters,
  getCluster,
  diagnoseClusterTool,
  getClusterNodes,
  getClusterKubeconfig,
  createCluster,
  deleteCluster,
  scaleCluster,
  upgradeCluster,
  rolloutCluster,
  remediateMachine,
  pauseCluster,
  resumeCluster,
  planUpgrade,
  getOperation,
  listOperations,
  cancelOperation,
];

export interface Gating {
  /** Only tools that change nothing (readOnlyHint). */
  readonly readOnly: boolean;
  /** Hide tools that may destroy something (destructiveHint). */
  readonly disableDestructive: boolean;
}

export function isToolApplicable(tool: Pick<ToolDefinition, 'annotations'>, gating: Gating): boolean {
  if (gating.readOnly && !tool.annotations.readOnlyHint) return false;
  if (gating.disableDestructive && tool.annotations.destructiveHint) return false;
  return true;
}
