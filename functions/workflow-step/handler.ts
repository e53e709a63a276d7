/** Lambda entry point of the workflow's Apply and Poll task states. */
import { loadConfig } from '../../shared/config/config.ts';
import { managementClusters } from '../../shared/kube/management-clusters.ts';
import { runStep, type StepEvent } from '../../shared/workflows/steps.ts';

const deps = { clusters: managementClusters(loadConfig().managementClusters), now: () => new Date() };

export const handler = (event: StepEvent) => runStep(event, deps);
