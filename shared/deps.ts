/**
 * What the handlers of every function (MCP tools, workflow steps) depend on, built once per process from
 * the Config and shared by every request the process answers.
 */
import type { Config } from './config/config.ts';
import { managementClusters, type ManagementClusters } from './kube/management-clusters.ts';

export interface Deps {
  readonly clusters: ManagementClusters;
  readonly now: () => Date;
}

export function createDeps(config: Config): Deps {
  return { clusters: managementClusters(config.managementClusters), now: () => new Date() };
}
