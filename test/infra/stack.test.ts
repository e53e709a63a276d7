/**
 * The CDK app as synthesized (offline, no AWS credentials): fine-grained assertions on the MCP API and
 * function, and the bundle esbuild produced for the function, loaded in a fresh Node process and
 * invoked with an API Gateway event against the test sandbox — the code that would be deployed, run.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { synthesizeWorkflow } from '../../infra/lib/definition.ts';
import { CapiMcpStack } from '../../infra/lib/stack.ts';
import { testServerEnv } from '../support/mcp.ts';

const execFileAsync = promisify(execFile);

const outdir = mkdtempSync(join(tmpdir(), 'capi-mcp-cdk-'));
const app = new App({ outdir });
const stack = new CapiMcpStack(app, 'CapiMcp', {
  managementClusters: [{ name: 'prod', eks: { clusterName: 'mgmt', region: 'eu-west-1' } }],
  readOnly: true,
});
const template = Template.fromStack(stack);
const assembly = app.synth();

describe('the MCP function', () => {
  it('runs Node.js 24 on arm64 with tracing and the management clusters in its environment', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      Handler: 'index.handler',
      TracingConfig: { Mode: 'Active' },
      Timeout: 29,
      Environment: {
        Variables: Match.objectLike({
          CAPI_MCP_MANAGEMENT_CLUSTERS: JSON.stringify([{ name: 'prod', eks: { clusterName: 'mgmt', region: 'eu-west-1' } }]),
          CAPI_MCP_READ_ONLY: 'true',
          NODE_OPTIONS: '--enable-source-maps',
        }),
      },
    });
  });

  it('may describe exactly its configured EKS management cluster and nothing else of EKS', () => {
    const mcpRole = stack.getLogicalId(stack.mcpApi.function.role!.node.defaultChild as never);
    const policies = Object.values(template.findResources('AWS::IAM::Policy')) as any[];
    const statements = policies.filter((p) => p.Properties.Roles.some((r: any) => r.Ref === mcpRole)).flatMap((p) => p.Properties.PolicyDocument.Statement);
    const eks = statements.filter((s: any) => [s.Action].flat().some((a: string) => a.startsWith('eks:')));
    assert.equal(eks.length, 1);
    assert.equal(eks[0].Action, 'eks:DescribeCluster');
    assert.match(JSON.stringify(eks[0].Resource), /:eks:eu-west-1:.*:cluster\/mgmt/);
  });

  it('keeps its logs for a month', () => {
    template.resourceCountIs('AWS::Logs::LogGroup', 4);
    template.allResourcesProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
  });
});

describe('the cluster-operation workflow', () => {
  const { definition } = synthesizeWorkflow();

  it('is a Standard state machine with tracing, logging errors without execution data', () => {
    template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      StateMachineType: 'STANDARD',
      TracingConfiguration: { Enabled: true },
      LoggingConfiguration: Match.objectLike({ Level: 'ERROR', IncludeExecutionData: false }),
    });
  });

  it('applies, then loops wait → poll until a verdict', () => {
    assert.equal(definition.StartAt, 'Apply');
    assert.equal(definition.States.Apply.Next, 'Wait');
    assert.equal(definition.States.Wait.Next, 'Poll');
    assert.equal(definition.States.Poll.Next, 'Converged?');
    const choices = definition.States['Converged?'].Choices.map((c: any) => [c.StringEquals, c.Next]);
    assert.deepEqual(choices, [['converged', 'Done'], ['progressing', 'Wait']]);
    assert.equal(definition.States['Converged?'].Default, 'OperationFailed');
    assert.deepEqual(definition.States.OperationFailed, { Type: 'Fail', ErrorPath: '$.status.state', CausePath: '$.status.reason' });
  });

  it('retries only transient step errors, with backoff, and catches every other failure', () => {
    for (const name of ['Apply', 'Poll']) {
      assert.deepEqual(definition.States[name].Retry, [{ ErrorEquals: ['TransientError'], IntervalSeconds: 2, MaxAttempts: 6, BackoffRate: 2 }]);
      assert.deepEqual(definition.States[name].Catch, [{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'StepFailed' }]);
    }
  });

  it('lets the step function describe the EKS management cluster too', () => {
    const stepRole = stack.getLogicalId(stack.workflows.stepFunction.role!.node.defaultChild as never);
    const policies = Object.values(template.findResources('AWS::IAM::Policy')) as any[];
    const stepPolicy = policies.find((p) => p.Properties.Roles.some((r: any) => r.Ref === stepRole));
    assert.ok(JSON.stringify(stepPolicy?.Properties.PolicyDocument).includes('eks:DescribeCluster'));
  });
});

describe('the MCP API', () => {
  it('is a regional REST API proxying every path to the function', () => {
    template.hasResourceProperties('AWS::ApiGateway::RestApi', { EndpointConfiguration: { Types: ['REGIONAL'] } });
    template.hasResourceProperties('AWS::ApiGateway::Resource', { PathPart: '{proxy+}' });
    template.hasResourceProperties('AWS::ApiGateway::Method', {
      HttpMethod: 'ANY',
      Integration: { Type: 'AWS_PROXY', IntegrationHttpMethod: 'POST' },
    });
  });

  it('throttles the stage and writes JSON access logs', () => {
    template.hasResourceProperties('AWS::ApiGateway::Stage', {
      StageName: 'v1',
      TracingEnabled: true,
      MethodSettings: [Match.objectLike({ ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100, LoggingLevel: 'ERROR' })],
      AccessLogSetting: Match.objectLike({ DestinationArn: Match.anyValue() }),
    });
  });

  it('outputs the MCP endpoint URL', () => {
    template.hasOutput('McpEndpoint', { Value: Match.anyValue() });
  });
});

describe('the bundled function', () => {
  it('answers an API Gateway event from a fresh process against the sandbox', async () => {
    const logicalId = stack.getLogicalId(stack.mcpApi.function.node.defaultChild as never);
    const s3Key: string = template.toJSON().Resources[logicalId].Properties.Code.S3Key;
    const bundle = join(assembly.directory, `asset.${s3Key.replace(/\.zip$/, '')}`, 'index.mjs');
    assert.ok(existsSync(bundle), `the MCP function's bundle exists at ${bundle}`);
    const event = {
      version: '2.0',
      rawPath: '/mcp',
      headers: { host: 'x.execute-api.eu-west-1.amazonaws.com', 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      requestContext: { http: { method: 'POST' } },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'list_clusters', arguments: { limit: 1 } } }),
      isBase64Encoded: false,
    };
    const script = `const { handler } = await import(${JSON.stringify(bundle)}); process.stdout.write(JSON.stringify(await handler(${JSON.stringify(event)})));`;
    const { stdout } = await execFileAsync(process.execPath, ['--input-type=module', '-e', script], {
      env: { PATH: process.env.PATH, ...testServerEnv() },
    });
    const result = JSON.parse(stdout);
    assert.equal(result.statusCode, 200, result.body);
    const message = JSON.parse(result.body.split('\n').find((l: string) => l.startsWith('data: ')).slice(6));
    assert.equal(message.result.isError, undefined, JSON.stringify(message.result));
    assert.ok(Array.isArray(message.result.structuredContent.clusters));
  });
});
