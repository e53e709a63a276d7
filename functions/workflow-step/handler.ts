/** Lambda entry point of the workflow's Apply and Poll task states. */
import { loadConfig } from '../../shared/config/config.ts';
import { createDeps } from '../../shared/deps.ts';
import { cloudWatchMetrics } from '../../shared/observability/metrics-cloudwatch.ts';
import { tracedHandler } from '../../shared/observability/tracing.ts';
import { runStep, type StepEvent } from '../../shared/workflows/steps.ts';

const metrics = cloudWatchMetrics();
const deps = createDeps(loadConfig(), metrics);

export const handler = tracedHandler(
  async (event: StepEvent) => {
    metrics.powertools.captureColdStartMetric();
    return runStep(event, deps);
  },
  (tracer, event) => {
    // The input is checked by runStep; here it only labels the trace, bounded.
    tracer.putAnnotation('step', event.step);
    tracer.putAnnotation('operation', `${String(event.operation?.action)} ${String(event.operation?.namespace)}/${String(event.operation?.name)}`.slice(0, 600));
  },
);
