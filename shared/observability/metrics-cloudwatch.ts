/** The Lambda back end of Metrics: CloudWatch embedded metric format through Powertools Metrics. */
import { MetricUnit, Metrics as PowertoolsMetrics } from '@aws-lambda-powertools/metrics';
import type { Metrics } from './metrics.ts';

/**
 * EMF for Lambda: each event is published as its own metric document at once (add, then publish, with
 * no await in between), so nothing waits for an end-of-invocation flush and dimensions never mix.
 */
export function cloudWatchMetrics(options: { namespace?: string; serviceName?: string } = {}): Metrics & { powertools: PowertoolsMetrics } {
  const powertools = new PowertoolsMetrics({ namespace: options.namespace ?? 'CapiMcp', serviceName: options.serviceName ?? 'capi-mcp' });
  const publish = (dimension: [string, string] | undefined, values: [string, (typeof MetricUnit)[keyof typeof MetricUnit], number][]) => {
    if (dimension) powertools.addDimension(...dimension);
    for (const [name, unit, value] of values) powertools.addMetric(name, unit, value);
    powertools.publishStoredMetrics();
  };
  return {
    powertools,
    toolCall: (tool, outcome, durationMs) =>
      publish(['tool', tool], [
        ['ToolCalls', MetricUnit.Count, 1],
        ['ToolErrors', MetricUnit.Count, outcome === 'ok' ? 0 : 1],
        ['ToolLatency', MetricUnit.Milliseconds, durationMs],
      ]),
    authFailure: () => publish(undefined, [['AuthFailures', MetricUnit.Count, 1]]),
    operationStarted: (action) => publish(['action', action], [['OperationsStarted', MetricUnit.Count, 1]]),
  };
}
