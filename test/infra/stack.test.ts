/**
 * The CDK app as synthesized (offline, no AWS credentials): fine-grained assertions on the functions,
 * their permissions, the key store, the workflow and the API, and the bundle esbuild produced for the
 * MCP function, loaded in a fresh Node process and invoked with an API Gateway event against the test
 * sandbox — the code that would be deployed, run.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Match } from 'aws-cdk-lib/assertions';
import { synthesizeWorkflow, workflowOf } from '../../infra/lib/definition.ts';
import { kubernetesGroup } from '../../infra/lib/eks-access.ts';
import { initialKeyDocument } from '../../infra/lib/key-store.ts';
import { authHeaders } from '../support/auth.ts';
import { stuckCluster } from '../support/clusters.ts';
import { testServerEnv } from '../support/mcp.ts';
import { useNamespace } from '../support/sandbox.ts';
import { actionsOf, eksCluster, logicalId, minimalSettings, roleStatements, rolesAllowing, synth } from './stacks.ts';

// One known Cluster for the bundled function to list from the sandbox.
const ns = await useNamespace('bundle');
await ns.objects.create(stuckCluster(ns.name, 'bundled'));

const execFileAsync = promisify(execFile);

const outdir = mkdtempSync(join(tmpdir(), 'capi-mcp-cdk-'));
// Not read-only: the full set of permissions; test/infra/options.test.ts covers what read-only removes.
const { app, stack, template } = synth({ ...minimalSettings, readOnly: false }, { bundle: true, outdir });
const assembly = app.synth();
after(() => rmSync(outdir, { recursive: true, force: true }));

const mcpFunction = logicalId(stack.mcpApi.function);
const stepFunction = logicalId(stack.workflows.stepFunction);
const mcpRole = logicalId(stack.mcpApi.function.role!);
const stepRole = logicalId(stack.workflows.stepFunction.role!);
const stateMachine = logicalId(stack.workflows.stateMachine);
const secret = logicalId(stack.keyStore.secret);
const key = logicalId(stack.keyStore.key);
const env = (fnLogicalId: string) => template.toJSON().Resources[fnLogicalId].Properties.Environment.Variables as Record<string, unknown>;

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
          CAPI_MCP_MANAGEMENT_CLUSTERS: JSON.stringify([eksCluster]),
          CAPI_MCP_READ_ONLY: 'false',
          NODE_OPTIONS: '--enable-source-maps',
        }),
      },
    });
  });

  it('is told the state machine and the key store by environment, and how to log and emit metrics', () => {
    assert.deepEqual(
      { ...env(mcpFunction), CAPI_MCP_MANAGEMENT_CLUSTERS: undefined },
      {
        CAPI_MCP_MANAGEMENT_CLUSTERS: undefined,
        CAPI_MCP_READ_ONLY: 'false',
        CAPI_MCP_STATE_MACHINE_ARN: { Ref: stateMachine },
        CAPI_MCP_API_KEYS_SECRET_ARN: { Ref: secret },
        POWERTOOLS_SERVICE_NAME: 'capi-mcp',
        POWERTOOLS_METRICS_NAMESPACE: 'CapiMcp',
        POWERTOOLS_LOG_LEVEL: 'INFO',
        POWERTOOLS_METRICS_FUNCTION_NAME: 'CapiMcp-mcp',
        NODE_OPTIONS: '--enable-source-maps',
      },
    );
  });

  it('may describe exactly its configured EKS management cluster and nothing else of EKS', () => {
    const eks = roleStatements(template, mcpRole).filter((s) => actionsOf(s).some((a) => a.startsWith('eks:')));
    assert.equal(eks.length, 1);
    assert.equal(eks[0]!.Action, 'eks:DescribeCluster');
    assert.match(JSON.stringify(eks[0]!.Resource), /:eks:eu-west-1:.*:cluster\/mgmt/);
  });

  it('may start and list executions of the cluster-operation state machine only', () => {
    const onMachine = roleStatements(template, mcpRole).filter((s) => JSON.stringify(s.Resource) === JSON.stringify({ Ref: stateMachine }));
    assert.deepEqual(onMachine.map(actionsOf), [['states:ListExecutions', 'states:StartExecution']]);
  });

  it('may describe, stop and read the history of that machine’s executions only', () => {
    const states = roleStatements(template, mcpRole).filter((s) => actionsOf(s).some((a) => a.startsWith('states:')));
    assert.equal(states.length, 2);
    const onExecutions = states.find((s) => actionsOf(s).includes('states:DescribeExecution'))!;
    assert.deepEqual(actionsOf(onExecutions), ['states:DescribeExecution', 'states:GetExecutionHistory', 'states:StopExecution']);
    assert.deepEqual(onExecutions.Resource, {
      'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':states:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':execution:', { 'Fn::GetAtt': [stateMachine, 'Name'] }, ':*']],
    });
  });

  it('is the only role that may start or stop cluster operations', () => {
    assert.deepEqual(rolesAllowing(template, 'states:StartExecution'), [mcpRole]);
    assert.deepEqual(rolesAllowing(template, 'states:StopExecution'), [mcpRole]);
  });
});

describe('the function roles', () => {
  for (const [name, role, fn] of [
    ['MCP', () => mcpRole, () => stack.mcpApi.function],
    ['workflow step', () => stepRole, () => stack.workflows.stepFunction],
  ] as const) {
    it(`${name}: no AWS managed policy, and logs only into its own log group`, () => {
      const properties = template.toJSON().Resources[role()].Properties;
      assert.equal(properties.ManagedPolicyArns, undefined);
      assert.deepEqual(properties.AssumeRolePolicyDocument.Statement, [
        { Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' } },
      ]);
      const logs = roleStatements(template, role()).filter((s) => actionsOf(s).some((a) => a.startsWith('logs:')));
      assert.deepEqual(logs.map(actionsOf), [['logs:CreateLogStream', 'logs:PutLogEvents']]);
      const logGroup = template.toJSON().Resources[logicalId(fn())].Properties.LoggingConfig.LogGroup;
      assert.deepEqual(logs[0]!.Resource, { 'Fn::GetAtt': [logGroup.Ref, 'Arn'] });
    });

    it(`${name}: the only statement on every resource ("*") is X-Ray's`, () => {
      const wildcard = roleStatements(template, role()).filter((s) => [s.Resource].flat().includes('*'));
      assert.deepEqual(wildcard.map(actionsOf), [['xray:PutTelemetryRecords', 'xray:PutTraceSegments']]);
    });
  }

  it('the workflow step function is told how to log and emit metrics, not the operations’ machinery', () => {
    const variables = env(stepFunction);
    assert.equal(variables.POWERTOOLS_SERVICE_NAME, 'capi-mcp');
    assert.equal(variables.POWERTOOLS_METRICS_NAMESPACE, 'CapiMcp');
    assert.equal(variables.POWERTOOLS_LOG_LEVEL, 'INFO');
    assert.equal(variables.POWERTOOLS_METRICS_FUNCTION_NAME, 'CapiMcp-workflow-step');
    assert.equal(variables.CAPI_MCP_API_KEYS_SECRET_ARN, undefined);
    assert.equal(variables.CAPI_MCP_STATE_MACHINE_ARN, undefined);
  });

  it('keep their logs for a month', () => {
    template.resourceCountIs('AWS::Logs::LogGroup', 4);
    template.allResourcesProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
  });
});

describe('the key store', () => {
  it('is a secret encrypted with its own customer-managed key, which rotates', () => {
    template.hasResourceProperties('AWS::SecretsManager::Secret', { KmsKeyId: { 'Fn::GetAtt': [key, 'Arn'] } });
    template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true, Description: 'capi-mcp: encrypts the API key store' });
  });

  it('starts as an empty key document, version 1', () => {
    template.hasResourceProperties('AWS::SecretsManager::Secret', { SecretString: initialKeyDocument });
    assert.deepEqual(JSON.parse(initialKeyDocument), { version: 1, keys: [] });
  });

  it('outlives the stack, key and secret both', () => {
    template.hasResource('AWS::SecretsManager::Secret', { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
    assert.equal(template.toJSON().Resources[key].DeletionPolicy, 'Retain');
  });

  it('may be read by the MCP function’s role and no other', () => {
    assert.deepEqual(rolesAllowing(template, 'secretsmanager:GetSecretValue'), [mcpRole]);
    const read = roleStatements(template, mcpRole).find((s) => actionsOf(s).includes('secretsmanager:GetSecretValue'))!;
    assert.deepEqual(actionsOf(read), ['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue']);
    assert.deepEqual(read.Resource, { Ref: secret });
  });

  it('grants decryption in the key policy alone: no role’s IAM policy allows kms:Decrypt', () => {
    assert.deepEqual(rolesAllowing(template, 'kms:Decrypt'), []);
  });

  it('names in its key policy only the account (which defers to IAM) and, for decryption through Secrets Manager, the MCP role', () => {
    const statements: any[] = template.toJSON().Resources[key].Properties.KeyPolicy.Statement;
    const root = { AWS: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::', { Ref: 'AWS::AccountId' }, ':root']] } };
    const others = statements.filter((s) => JSON.stringify(s.Principal) !== JSON.stringify(root));
    assert.deepEqual(others, [
      {
        Action: 'kms:Decrypt',
        Condition: { StringEquals: { 'kms:ViaService': { 'Fn::Join': ['', ['secretsmanager.', { Ref: 'AWS::Region' }, '.amazonaws.com']] } } },
        Effect: 'Allow',
        Principal: { AWS: { 'Fn::GetAtt': [mcpRole, 'Arn'] } },
        Resource: '*',
      },
    ]);
  });
});

describe('access to the EKS management clusters', () => {
  it('puts both function roles in the capi-mcp Kubernetes group of the cluster, not an AWS access policy', () => {
    assert.equal(kubernetesGroup, 'capi-mcp');
    const entries = Object.values(template.findResources('AWS::EKS::AccessEntry')).map((r: any) => r.Properties);
    assert.deepEqual(
      entries.map((e) => [e.ClusterName, e.PrincipalArn, e.Type, e.KubernetesGroups, e.AccessPolicies]),
      [
        ['mgmt', { 'Fn::GetAtt': [mcpRole, 'Arn'] }, 'STANDARD', ['capi-mcp'], undefined],
        ['mgmt', { 'Fn::GetAtt': [stepRole, 'Arn'] }, 'STANDARD', ['capi-mcp'], undefined],
      ],
    );
  });

  it('lets the step function describe the EKS management cluster too', () => {
    const eks = roleStatements(template, stepRole).filter((s) => actionsOf(s).includes('eks:DescribeCluster'));
    assert.equal(eks.length, 1);
    assert.match(JSON.stringify(eks[0]!.Resource), /:eks:eu-west-1:.*:cluster\/mgmt/);
  });
});

describe('the cluster-operation workflow', () => {
  const { definition } = synthesizeWorkflow();

  it("is, for the local engine, exactly the full stack's definition (synthesized alone, without validation)", () => {
    const deployed = workflowOf(template.toJSON(), stack, stack.workflows);
    assert.deepEqual(synthesizeWorkflow(), deployed);
  });

  it('is a Standard state machine with tracing, logging every event without execution data', () => {
    template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      StateMachineType: 'STANDARD',
      TracingConfiguration: { Enabled: true },
      LoggingConfiguration: Match.objectLike({ Level: 'ALL', IncludeExecutionData: false }),
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

  it('may invoke the step function and nothing else of Lambda', () => {
    const smRole = logicalId(stack.workflows.stateMachine.role);
    const invoke = roleStatements(template, smRole).filter((s) => actionsOf(s).some((a) => a.startsWith('lambda:')));
    assert.deepEqual(invoke.map(actionsOf), [['lambda:InvokeFunction']]);
    assert.deepEqual(invoke[0]!.Resource, [
      { 'Fn::GetAtt': [stepFunction, 'Arn'] },
      { 'Fn::Join': ['', [{ 'Fn::GetAtt': [stepFunction, 'Arn'] }, ':*']] },
    ]);
  });
});

describe('the MCP API', () => {
  it('is a regional REST API named after the stack, proxying every path to the function', () => {
    template.hasResourceProperties('AWS::ApiGateway::RestApi', { Name: 'CapiMcp', EndpointConfiguration: { Types: ['REGIONAL'] } });
    template.hasResourceProperties('AWS::ApiGateway::Resource', { PathPart: '{proxy+}' });
    template.hasResourceProperties('AWS::ApiGateway::Method', {
      HttpMethod: 'ANY',
      AuthorizationType: 'NONE',
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

  it('outputs the MCP endpoint URL, the key store, the dashboard and the alarm topic', () => {
    template.hasOutput('McpEndpoint', { Value: { 'Fn::Join': ['', Match.arrayWith([{ Ref: logicalId(stack.mcpApi.api.deploymentStage) }, '/mcp'])] } });
    template.hasOutput('ApiKeysSecretArn', { Value: { Ref: secret } });
    template.hasOutput('DashboardUrl', { Value: Match.anyValue() });
    template.hasOutput('AlarmTopicArn', { Value: { Ref: logicalId(stack.observability.topic) } });
  });
});

describe('the bundled functions', () => {
  const bundleOf = (fnLogicalId: string) => {
    const s3Key: string = template.toJSON().Resources[fnLogicalId].Properties.Code.S3Key;
    return join(assembly.directory, `asset.${s3Key.replace(/\.zip$/, '')}`, 'index.mjs');
  };

  it('are single ESM files of a few megabytes', (t) => {
    for (const [name, id] of [['mcp', mcpFunction], ['workflow-step', stepFunction]] as const) {
      const bundle = bundleOf(id);
      assert.ok(existsSync(bundle), `the ${name} function's bundle exists at ${bundle}`);
      const megabytes = statSync(bundle).size / 2 ** 20;
      t.diagnostic(`${name} bundle: ${megabytes.toFixed(2)} MiB (index.mjs, minified, without its source map)`);
      assert.ok(megabytes < 10, `${name} bundle is ${megabytes.toFixed(2)} MiB`);
    }
  });

  it('the MCP function answers an API Gateway event from a fresh process against the sandbox, emitting the metrics the dashboard reads', async () => {
    const bundle = bundleOf(mcpFunction);
    const event = {
      version: '2.0',
      rawPath: '/mcp',
      headers: {
        host: 'x.execute-api.eu-west-1.amazonaws.com',
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        ...authHeaders(),
      },
      requestContext: { http: { method: 'POST' } },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'list_clusters', arguments: { namespace: ns.name, limit: 1 } } }),
      isBase64Encoded: false,
    };
    // The function also writes logs and metrics (EMF) to stdout; the result follows a marker line.
    const marker = '--- handler result ---';
    const script = `const { handler } = await import(${JSON.stringify(bundle)}); const result = await handler(${JSON.stringify(event)}); process.stdout.write(${JSON.stringify(`\n${marker}\n`)} + JSON.stringify(result));`;
    // The Powertools settings as deployed, metrics on, and the cold start as the Lambda runtime marks it
    // (Powertools counts one only with AWS_LAMBDA_INITIALIZATION_TYPE=on-demand); the rest points at the sandbox.
    const powertools = Object.fromEntries(Object.entries(env(mcpFunction)).filter(([k]) => k.startsWith('POWERTOOLS_'))) as Record<string, string>;
    const { stdout } = await execFileAsync(process.execPath, ['--input-type=module', '-e', script], {
      env: { PATH: process.env.PATH, ...testServerEnv(), ...powertools, POWERTOOLS_METRICS_DISABLED: 'false', AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand' },
    });
    const result = JSON.parse(stdout.slice(stdout.lastIndexOf(marker) + marker.length));
    assert.equal(result.statusCode, 200, result.body);
    const message = JSON.parse(result.body.split('\n').find((l: string) => l.startsWith('data: ')).slice(6));
    assert.equal(message.result.isError, undefined, JSON.stringify(message.result));
    assert.deepEqual(message.result.structuredContent.clusters.map((c: { name: string }) => c.name), ['bundled'], 'the row the sandbox holds');

    // Embedded metric format documents, as CloudWatch will read them: names and dimensions the dashboard queries.
    const emf = stdout
      .slice(0, stdout.lastIndexOf(marker))
      .split('\n')
      .flatMap((line) => {
        try {
          const document = JSON.parse(line);
          return document._aws ? [document] : [];
        } catch {
          return [];
        }
      });
    const emitted = (metric: string) => {
      const document = emf.find((d) => d._aws.CloudWatchMetrics[0].Metrics.some((m: any) => m.Name === metric));
      assert.ok(document, `${metric} is emitted (EMF documents: ${JSON.stringify(emf)})`);
      const [directive] = document._aws.CloudWatchMetrics;
      return { namespace: directive.Namespace, dimensions: Object.fromEntries(directive.Dimensions[0].map((d: string) => [d, document[d]])) };
    };
    assert.deepEqual(emitted('ColdStart'), { namespace: 'CapiMcp', dimensions: { service: 'capi-mcp', function_name: 'CapiMcp-mcp' } });
    for (const metric of ['ToolCalls', 'ToolErrors', 'ToolLatency']) {
      assert.deepEqual(emitted(metric), { namespace: 'CapiMcp', dimensions: { service: 'capi-mcp', tool: 'list_clusters' } });
    }
  });
});
