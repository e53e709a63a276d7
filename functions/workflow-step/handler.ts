/** Lambda entry point of the workflow's Apply and Poll task states. */
import { loadConfig } from '../../shared/config/config.ts';
import { createDeps } from '../../shared/deps.ts';
import { cloudWatchMetrics } from '../../shared/observability/metrics-cloudwatch.ts';
import { tracer } from '../../shared/observability/tracing.ts';
import { runStep, type StepEvent } from '../../shared/workflows/steps.ts';

const metrics = cloudWatchMetrics();
const deps = createDeps(loadConfig(), metrics);

export async function handler(event: StepEvent) {
  metrics.powertools.captureColdStartMetric();
  tracer.annotateColdStart();
  tracer.addServiceNameAnnotation();
  tracer.putAnnotation('step', event.step);
  tracer.putAnnotation('operation', `${event.operation.action} ${event.operation.namespace}/${event.operation.name}`);
  return runStep(event, deps);
}
