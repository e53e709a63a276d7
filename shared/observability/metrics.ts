/**
 * The server's counters, behind one interface with two back ends:
 * - in Lambda, CloudWatch embedded metric format through Powertools Metrics (namespace CapiMcp,
 *   dimension `service`), which the dashboard and alarms in infra/lib/observability.ts read;
 * - locally, Prometheus text on `/metrics` through prom-client.
 * Labels are tool names, outcomes, refusal reasons and actions — never anything a caller typed.
 * Each back end has its own module (metrics-cloudwatch.ts, metrics-prometheus.ts), so the Lambda bundle
 * carries no Prometheus client and the local server no EMF writer.
 */

export type ToolOutcome = 'ok' | 'error' | 'denied';

export interface Metrics {
  toolCall(tool: string, outcome: ToolOutcome, durationMs: number): void;
  authFailure(reason: string): void;
  operationStarted(action: string): void;
}

export const noMetrics: Metrics = { toolCall() {}, authFailure() {}, operationStarted() {} };
