/**
 * The two metric back ends speak what their readers expect: CloudWatch embedded metric format documents
 * (namespace, dimensions and metric names the dashboard and alarms in infra/ read), and Prometheus text.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { cloudWatchMetrics } from '../../shared/observability/metrics-cloudwatch.ts';
import { prometheusMetrics } from '../../shared/observability/metrics-prometheus.ts';

/** The lines Powertools writes to stdout while `act` runs. */
function stdoutOf(act: () => void): string[] {
  const lines: string[] = [];
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((chunk: string | Uint8Array) => {
    lines.push(...String(chunk).split('\n').filter(Boolean));
    return true;
  }) as typeof process.stdout.write;
  try {
    act();
  } finally {
    process.stdout.write = write;
  }
  return lines;
}

describe('CloudWatch EMF metrics', () => {
  it('emits one document per tool call with ToolCalls, ToolErrors and ToolLatency by service and tool', () => {
    const metrics = cloudWatchMetrics();
    const [line] = stdoutOf(() => metrics.toolCall('get_cluster', 'error', 42));
    const doc = JSON.parse(line!);
    const directive = doc._aws.CloudWatchMetrics[0];
    assert.equal(directive.Namespace, 'CapiMcp');
    assert.deepEqual(directive.Dimensions, [['service', 'tool']]);
    assert.deepEqual(directive.Metrics.map((m: { Name: string }) => m.Name).sort(), ['ToolCalls', 'ToolErrors', 'ToolLatency']);
    assert.deepEqual([doc.service, doc.tool, doc.ToolCalls, doc.ToolErrors, doc.ToolLatency], ['capi-mcp', 'get_cluster', 1, 1, 42]);
  });

  it('counts auth failures by service only and operations by action', () => {
    const metrics = cloudWatchMetrics();
    const lines = stdoutOf(() => {
      metrics.authFailure('wrong-secret');
      metrics.operationStarted('create');
    }).map((l) => JSON.parse(l));
    assert.deepEqual(lines[0]._aws.CloudWatchMetrics[0].Dimensions, [['service']]);
    assert.equal(lines[0].AuthFailures, 1);
    assert.deepEqual(lines[1]._aws.CloudWatchMetrics[0].Dimensions, [['service', 'action']]);
    assert.deepEqual([lines[1].action, lines[1].OperationsStarted], ['create', 1]);
  });
});

describe('Prometheus metrics', () => {
  it('renders counters and a latency histogram by tool and outcome', async () => {
    const metrics = prometheusMetrics();
    metrics.toolCall('list_clusters', 'ok', 120);
    metrics.toolCall('list_clusters', 'ok', 80);
    metrics.authFailure('missing');
    const text = await metrics.registry.metrics();
    assert.match(text, /^capi_mcp_tool_calls_total\{tool="list_clusters",outcome="ok"\} 2$/m);
    assert.match(text, /^capi_mcp_tool_duration_seconds_count\{tool="list_clusters"\} 2$/m);
    assert.match(text, /^capi_mcp_auth_failures_total\{reason="missing"\} 1$/m);
  });
});
