/**
 * The server's counters, behind one interface with two back ends:
 * - in Lambda, CloudWatch embedded metric format through Powertools Metrics (namespace CapiMcp,
 *   dimension `service`), which the dashboard and alarms in infra/lib/observability.ts read;
 * - locally, Prometheus text on `/metrics` through prom-client.
 * Labels are tool names, outcomes, refusal reasons and actions — never anything a caller typed.
 */
import { MetricUnit, Metrics as PowertoolsMetrics } from '@aws-lambda-powertools/metrics';
import { Counter, Histogram, Registry } from 'prom-client';

export type ToolOutcome = 'ok' | 'error' | 'denied';

export interface Metrics {
  toolCall(tool: string, outcome: ToolOutcome, durationMs: number): void;
  authFailure(reason: string): void;
  operationStarted(action: string): void;
}

export const noMetrics: Metrics = { toolCall() {}, authFailure() {}, operationStarted() {} };

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

/** prom-client counters on their own registry, rendered by `/metrics` of the local adapter. */
export function prometheusMetrics(): Metrics & { registry: Registry } {
  const registry = new Registry();
  const calls = new Counter({ name: 'capi_mcp_tool_calls_total', help: 'Tool calls by tool and outcome', labelNames: ['tool', 'outcome'], registers: [registry] });
  const latency = new Histogram({
    name: 'capi_mcp_tool_duration_seconds',
    help: 'Tool call duration',
    labelNames: ['tool'],
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const auth = new Counter({ name: 'capi_mcp_auth_failures_total', help: 'Refused requests by reason', labelNames: ['reason'], registers: [registry] });
  const operations = new Counter({ name: 'capi_mcp_operations_started_total', help: 'Operations started by action', labelNames: ['action'], registers: [registry] });
  return {
    registry,
    toolCall(tool, outcome, durationMs) {
      calls.inc({ tool, outcome });
      latency.observe({ tool }, durationMs / 1000);
    },
    authFailure: (reason) => auth.inc({ reason }),
    operationStarted: (action) => operations.inc({ action }),
  };
}
