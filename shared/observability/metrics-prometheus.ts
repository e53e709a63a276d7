/** The local back end of Metrics: Prometheus text through prom-client, served on `/metrics`. */
import { Counter, Histogram, Registry } from 'prom-client';
import type { Metrics } from './metrics.ts';

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
