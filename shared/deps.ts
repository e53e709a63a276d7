/**
 * What the handlers of every function (MCP tools, workflow steps) depend on, built once per process from
 * the Config and shared by every request the process answers.
 */
import type { Config } from './config/config.ts';
import { managementClusters, type ManagementClusters } from './kube/management-clusters.ts';
import type { WorkflowEngine } from './workflows/engine.ts';
import { createLog, type Log } from './observability/log.ts';
import { noMetrics, type Metrics } from './observability/metrics.ts';

export interface Deps {
  readonly clusters: ManagementClusters;
  readonly now: () => Date;
  /** Structured, redacted logs and audit records. */
  readonly log: Log;
  /** Counters: CloudWatch EMF in Lambda, Prometheus locally. */
  readonly metrics: Metrics;
  /** Where long-running operations run; tools that start or read operations need it. */
  readonly workflows?: WorkflowEngine;
}

export function createDeps(config: Config, metrics: Metrics = noMetrics): Deps {
  return {
    clusters: managementClusters(config.managementClusters),
    now: () => new Date(),
    log: createLog({ level: config.logLevel, ...(config.logFile ? { file: config.logFile } : {}) }),
    metrics,
  };
}
