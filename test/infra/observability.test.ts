/**
 * The dashboard, the alarms and the alarm topic as synthesized: every alarm's metric, threshold and
 * missing-data treatment, that each notifies the encrypted topic, and a dashboard graph per tool the
 * server serves (from the tool registry, gated like the server).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Match } from 'aws-cdk-lib/assertions';
import { isToolApplicable, tools } from '../../shared/mcp/registry.ts';
import { fullSettings, logicalId, minimalSettings, synth } from './stacks.ts';

const { stack, template } = synth({ ...minimalSettings, readOnly: false });
const topic = logicalId(stack.observability.topic);
const stage = logicalId(stack.mcpApi.api.deploymentStage);
const stateMachine = logicalId(stack.workflows.stateMachine);

const alarms = template.findResources('AWS::CloudWatch::Alarm') as Record<string, { Properties: any }>;
const alarm = (id: string) => alarms[logicalId(stack.observability.node.findChild(id))]!.Properties;
const metricStat = (properties: any, metricId: string) => properties.Metrics.find((m: any) => m.Id === metricId).MetricStat;

/** The dashboard body with each CloudFormation token replaced by `{{…}}` of its JSON, parsed. */
function dashboardOf(synthesized: ReturnType<typeof synth>): { widgets: any[] } {
  const body = synthesized.template.toJSON().Resources[logicalId(synthesized.stack.observability.dashboard)].Properties.DashboardBody;
  const text = (body['Fn::Join'][1] as unknown[]).map((p) => (typeof p === 'string' ? p : `{{${JSON.stringify(p).replace(/"/g, "'")}}}`)).join('');
  return JSON.parse(text);
}
const ref = (id: string) => `{{{'Ref':'${id}'}}}`;

describe('the alarm topic', () => {
  it('is encrypted with a customer-managed key that rotates and that CloudWatch may use', () => {
    const key = logicalId(stack.observability.node.findChild('AlarmTopicKey'));
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: { 'Fn::GetAtt': [key, 'Arn'] } });
    template.hasResourceProperties('AWS::KMS::Key', {
      EnableKeyRotation: true,
      KeyPolicy: {
        Statement: Match.arrayWith([
          { Action: ['kms:Decrypt', 'kms:GenerateDataKey*'], Effect: 'Allow', Principal: { Service: 'cloudwatch.amazonaws.com' }, Resource: '*' },
        ]),
      },
    });
  });

  it('refuses publishing without TLS and accepts it from this account’s alarms', () => {
    const statements = Object.values(template.findResources('AWS::SNS::TopicPolicy')).flatMap((p: any) => p.Properties.PolicyDocument.Statement);
    assert.ok(statements.some((s: any) => s.Effect === 'Deny' && s.Condition?.Bool?.['aws:SecureTransport'] === 'false'));
    const publish = statements.find((s: any) => s.Effect === 'Allow');
    assert.deepEqual(publish.Principal, { Service: 'cloudwatch.amazonaws.com' });
    assert.equal(publish.Action, 'sns:Publish');
    assert.deepEqual(publish.Resource, { Ref: topic });
    assert.match(JSON.stringify(publish.Condition.ArnLike['aws:SourceArn']), /:cloudwatch:.*:alarm:\*/);
  });

  it('mails nobody unless an address is configured', () => {
    template.resourceCountIs('AWS::SNS::Subscription', 0);
    synth(fullSettings).template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'platform-oncall@example.com' });
  });
});

describe('the alarms', () => {
  it('are five, each notifying the topic on alarm and on recovery, and treating missing data as fine', () => {
    assert.equal(Object.keys(alarms).length, 5);
    for (const { Properties } of Object.values(alarms)) {
      assert.deepEqual(Properties.AlarmActions, [{ Ref: topic }]);
      assert.deepEqual(Properties.OKActions, [{ Ref: topic }]);
      assert.equal(Properties.TreatMissingData, 'notBreaching');
      assert.equal(Properties.EvaluationPeriods, 1);
    }
  });

  it('API: more than 5% of requests answered 5XX over five minutes, once there are at least 20', () => {
    const p = alarm('ApiServerErrorRate');
    assert.equal(p.Threshold, 0.05);
    assert.equal(p.ComparisonOperator, 'GreaterThanThreshold');
    assert.equal(p.Metrics[0].Expression, 'IF(requests >= 20, FILL(errors, 0) / requests, 0)');
    const dimensions = [{ Name: 'ApiName', Value: 'CapiMcp' }, { Name: 'Stage', Value: { Ref: stage } }];
    assert.deepEqual(metricStat(p, 'requests'), { Metric: { Dimensions: dimensions, MetricName: 'Count', Namespace: 'AWS/ApiGateway' }, Period: 300, Stat: 'Sum' });
    assert.deepEqual(metricStat(p, 'errors'), { Metric: { Dimensions: dimensions, MetricName: '5XXError', Namespace: 'AWS/ApiGateway' }, Period: 300, Stat: 'Sum' });
  });

  it('operations: any execution of the state machine that failed or timed out', () => {
    const p = alarm('OperationsFailed');
    assert.equal(p.Threshold, 1);
    assert.equal(p.ComparisonOperator, 'GreaterThanOrEqualToThreshold');
    assert.equal(p.Metrics[0].Expression, 'FILL(failed, 0) + FILL(timedOut, 0)');
    for (const [id, name] of [['failed', 'ExecutionsFailed'], ['timedOut', 'ExecutionsTimedOut']]) {
      assert.deepEqual(metricStat(p, id!), {
        Metric: { Dimensions: [{ Name: 'StateMachineArn', Value: { Ref: stateMachine } }], MetricName: name, Namespace: 'AWS/States' },
        Period: 300,
        Stat: 'Sum',
      });
    }
  });

  it('Lambda: any throttled invocation, of either function', () => {
    for (const [id, fn] of [['McpFunctionThrottles', stack.mcpApi.function], ['StepFunctionThrottles', stack.workflows.stepFunction]] as const) {
      const p = alarm(id);
      assert.deepEqual(
        [p.Namespace, p.MetricName, p.Dimensions, p.Statistic, p.Period, p.Threshold, p.ComparisonOperator],
        ['AWS/Lambda', 'Throttles', [{ Name: 'FunctionName', Value: { Ref: logicalId(fn) } }], 'Sum', 300, 1, 'GreaterThanOrEqualToThreshold'],
      );
    }
  });

  it('API keys: more than 50 refusals in five minutes', () => {
    const p = alarm('AuthFailureSpike');
    assert.deepEqual(
      [p.Namespace, p.MetricName, p.Dimensions, p.Statistic, p.Period, p.Threshold, p.ComparisonOperator],
      ['CapiMcp', 'AuthFailures', [{ Name: 'service', Value: 'capi-mcp' }], 'Sum', 300, 50, 'GreaterThanThreshold'],
    );
  });
});

describe('the dashboard', () => {
  const dashboard = dashboardOf({ app: undefined as never, stack, template });
  const titled = (title: string) => dashboard.widgets.find((w) => w.properties.title === title);
  const metricsOf = (title: string) => titled(title).properties.metrics as unknown[][];

  it('is named after the stack and shows every alarm', () => {
    template.hasResourceProperties('AWS::CloudWatch::Dashboard', { DashboardName: 'CapiMcp' });
    assert.equal(titled('Alarms').properties.alarms.length, 5);
  });

  it('graphs API Gateway requests, 4XX and 5XX, and latency p50 and p99 of the stage', () => {
    const dims = ['ApiName', 'CapiMcp', 'Stage', ref(stage)];
    assert.deepEqual(metricsOf('API requests'), [['AWS/ApiGateway', 'Count', ...dims, { label: 'requests', stat: 'Sum' }]]);
    assert.deepEqual(metricsOf('API errors').map((m) => m[1]), ['4XXError', '5XXError']);
    assert.deepEqual(metricsOf('API latency (ms)').map((m) => [m[1], (m.at(-1) as any).stat]), [['Latency', 'p50'], ['Latency', 'p99']]);
  });

  it('graphs invocations, errors, throttles, duration percentiles and Powertools cold starts of each function', () => {
    for (const [name, fn, functionName] of [
      ['MCP function', stack.mcpApi.function, 'CapiMcp-mcp'],
      ['Workflow step function', stack.workflows.stepFunction, 'CapiMcp-workflow-step'],
    ] as const) {
      assert.deepEqual(metricsOf(`${name}: invocations`).map((m) => [m[0], m[1], m[3]]), [
        ['AWS/Lambda', 'Invocations', ref(logicalId(fn))],
        ['AWS/Lambda', 'Errors', ref(logicalId(fn))],
        ['AWS/Lambda', 'Throttles', ref(logicalId(fn))],
      ]);
      assert.deepEqual(metricsOf(`${name}: duration (ms)`).map((m) => (m.at(-1) as any).stat), ['p50', 'p99']);
      // As Powertools emits it: service, and function_name from the function's POWERTOOLS_METRICS_FUNCTION_NAME.
      assert.deepEqual(metricsOf(`${name}: cold starts`), [
        ['CapiMcp', 'ColdStart', 'function_name', functionName, 'service', 'capi-mcp', { label: 'cold starts', stat: 'Sum' }],
      ]);
      const environment = template.toJSON().Resources[logicalId(fn)].Properties.Environment.Variables;
      assert.equal(environment.POWERTOOLS_METRICS_FUNCTION_NAME, functionName);
    }
  });

  it('has one graph per registered tool: calls and errors, and latency p50 and p99', () => {
    for (const tool of tools) {
      assert.deepEqual(metricsOf(tool.name), [
        ['CapiMcp', 'ToolCalls', 'service', 'capi-mcp', 'tool', tool.name, { label: 'calls', stat: 'Sum' }],
        ['CapiMcp', 'ToolErrors', 'service', 'capi-mcp', 'tool', tool.name, { label: 'errors', stat: 'Sum' }],
        ['CapiMcp', 'ToolLatency', 'service', 'capi-mcp', 'tool', tool.name, { label: 'p50 ms', stat: 'p50', yAxis: 'right' }],
        ['CapiMcp', 'ToolLatency', 'service', 'capi-mcp', 'tool', tool.name, { label: 'p99 ms', stat: 'p99', yAxis: 'right' }],
      ]);
    }
  });

  it('graphs only the read-only tools of a read-only deployment', () => {
    const readOnly = dashboardOf(synth(minimalSettings));
    const toolTitles = readOnly.widgets.map((w) => w.properties.title).filter((t) => tools.some((tool) => tool.name === t));
    assert.deepEqual(toolTitles, tools.filter((t) => isToolApplicable(t, { readOnly: true, disableDestructive: false })).map((t) => t.name));
    assert.ok(!toolTitles.includes('create_cluster'));
  });

  it('graphs API key refusals and operations started by action', () => {
    assert.deepEqual(metricsOf('API key refusals'), [['CapiMcp', 'AuthFailures', 'service', 'capi-mcp', { label: 'refused', stat: 'Sum' }]]);
    assert.deepEqual(
      metricsOf('Operations started').map((m) => m.slice(0, 6)),
      ['create', 'delete', 'scale', 'upgrade', 'pause', 'resume', 'rollout', 'remediate'].map((action) => ['CapiMcp', 'OperationsStarted', 'action', action, 'service', 'capi-mcp']),
    );
  });

  it('graphs operation outcomes and duration from the state machine’s own metrics', () => {
    assert.deepEqual(
      metricsOf('Operation outcomes').map((m) => [m[0], m[1], m[3]]),
      ['ExecutionsStarted', 'ExecutionsSucceeded', 'ExecutionsFailed', 'ExecutionsTimedOut', 'ExecutionsAborted'].map((name) => ['AWS/States', name, ref(stateMachine)]),
    );
    assert.deepEqual(metricsOf('Operation duration (ms)').map((m) => [m[1], (m.at(-1) as any).stat]), [['ExecutionTime', 'p50'], ['ExecutionTime', 'p99']]);
  });
});
