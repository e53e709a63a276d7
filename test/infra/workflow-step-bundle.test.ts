/**
 * The workflow-step function as Lambda runs it: the bundle esbuild produced for the CDK synth, loaded in a
 * fresh Node process per invocation against the test sandbox, driven by the synthesized state machine
 * itself (its ASL run by aws-local-stepfunctions, as the local engine runs it), so each payload is the one
 * the Task's Parameters build. A thrown error reaches the state machine as the Node.js Lambda runtime
 * reports it (errorType = error.name, errorMessage = error.message); whether the definition's Retry and
 * Catch act on that name is what this file checks — an outage retried with backoff, a refusal caught once.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { synthesizeWorkflow } from '../../infra/lib/definition.ts';
import { StateNames } from '../../shared/workflows/states.ts';
import { startLocally, type ExecutionOutcome } from '../../shared/workflows/local-runner.ts';
import type { WorkflowInput } from '../../shared/workflows/operation.ts';
import { transientErrorName } from '../../shared/workflows/steps.ts';
import { stuckCluster, topologyCluster } from '../support/clusters.ts';
import { testServerEnv } from '../support/mcp.ts';
import { testSandbox, useNamespace } from '../support/sandbox.ts';
import { eventually } from '../support/wait.ts';
import { logicalId, minimalSettings, synth } from './stacks.ts';

const execFileAsync = promisify(execFile);
const ns = await useNamespace('step-bundle', { withClusterClass: true });

const outdir = mkdtempSync(join(tmpdir(), 'capi-mcp-cdk-step-'));
after(() => rmSync(outdir, { recursive: true, force: true }));
const { app, stack, template } = synth({ ...minimalSettings, readOnly: false }, { bundle: true, outdir });
const assembly = app.synth();
const stepFunction = logicalId(stack.workflows.stepFunction);
const bundle = join(assembly.directory, `asset.${(template.toJSON().Resources[stepFunction].Properties.Code.S3Key as string).replace(/\.zip$/, '')}`, 'index.mjs');
const stepEnvironment = template.toJSON().Resources[stepFunction].Properties.Environment.Variables as Record<string, unknown>;
const { definition, stepFunctionArn } = synthesizeWorkflow();

/** What the Lambda runtime hands back for one invocation: the result, or the error document. */
type Invocation = { readonly result: unknown } | { readonly error: { readonly errorType: string; readonly errorMessage: string } };

/**
 * One invocation in a fresh Node process, the handler imported from the bundle as the runtime imports
 * `index.handler`. A throw is serialized the way the Node.js runtime interface client does
 * (`errorType: error.name, errorMessage: error.message, trace`; a non-Error throw is typed by `typeof`).
 */
async function invokeBundle(event: unknown, env: NodeJS.ProcessEnv): Promise<Invocation> {
  const marker = '--- invocation ---';
  const script = `const { handler } = await import(${JSON.stringify(bundle)});
let response;
try { response = { result: await handler(${JSON.stringify(event)}) }; }
catch (error) {
  response = error instanceof Error
    ? { error: { errorType: error.name, errorMessage: error.message, trace: String(error.stack).split('\\n') } }
    : { error: { errorType: typeof error, errorMessage: String(error), trace: [] } };
}
process.stdout.write(${JSON.stringify(`\n${marker}\n`)} + JSON.stringify(response));`;
  const powertools = Object.fromEntries(Object.entries(stepEnvironment).filter(([k]) => k.startsWith('POWERTOOLS_'))) as Record<string, string>;
  const { stdout } = await execFileAsync(process.execPath, ['--input-type=module', '-e', script], {
    env: { PATH: process.env.PATH, ...testServerEnv(), ...powertools, AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand', ...env },
  });
  return JSON.parse(stdout.slice(stdout.lastIndexOf(marker) + marker.length)) as Invocation;
}

interface Call {
  readonly event: any;
  readonly response: Invocation;
}

/**
 * Runs the synthesized state machine on `input`, each Task invoking the bundle. A function error reaches
 * the machine as Step Functions sees a Lambda function error: named by its errorType. `stopAfter` ends
 * the execution once a call matching it returned (a Poll that would otherwise loop).
 */
async function execute(input: WorkflowInput, { env = {}, stopAfter }: { env?: NodeJS.ProcessEnv; stopAfter?: (call: Call) => boolean } = {}) {
  const calls: Call[] = [];
  const before = new Date().toISOString();
  let abort = () => {};
  const execution = startLocally(
    {
      definition,
      stepFunctionArn,
      timeScale: 0.01,
      step: async (event) => {
        const response = await invokeBundle(event, env);
        calls.push({ event, response });
        if (stopAfter?.(calls.at(-1)!)) setImmediate(abort);
        if ('error' in response) throw Object.assign(new Error(response.error.errorMessage), { name: response.error.errorType });
        return response.result;
      },
    },
    input,
  );
  abort = () => execution.abort();
  const outcome: ExecutionOutcome = await execution.outcome;
  return { calls, outcome, before };
}

/** Whether the state's Retry retries an error of this name; whether its Catch catches it. */
const retried = (state: string, name: string) => (definition.States[state].Retry ?? []).some((r: any) => r.ErrorEquals.includes(name) || r.ErrorEquals.includes('States.ALL'));
const caught = (state: string, name: string) => (definition.States[state].Catch ?? []).some((c: any) => c.ErrorEquals.includes(name) || c.ErrorEquals.includes('States.ALL'));
const maxAttempts = (state: string) => definition.States[state].Retry.find((r: any) => r.ErrorEquals.includes(transientErrorName)).MaxAttempts as number;

// Note: a topology Cluster, as create_cluster builds it: the step refuses any other shape of create (planned writes).
const clusterOf = (name: string, namespace = ns.name) => topologyCluster(namespace, name, 1) as never;
const readCluster = (name: string) =>
  ns.objects.read({ apiVersion: 'cluster.x-k8s.io/v1beta2', kind: 'Cluster', metadata: { name, namespace: ns.name } }).then(
    (c) => c as { metadata: { managedFields?: { manager: string }[] } },
    () => undefined,
  );

describe('the bundled workflow-step function, invoked by the synthesized state machine', () => {
  it('applies a create and polls it with the payloads the Task states build, returning results the machine reads', async () => {
    const operation = { action: 'create', namespace: ns.name, name: 'via-lambda', cluster: clusterOf('via-lambda') } as const;
    const { calls, outcome, before } = await execute(
      { operation, timeoutSeconds: 600, pollSeconds: 1 },
      { stopAfter: (call) => call.event.step === 'poll' },
    );
    assert.equal(outcome.status, 'ABORTED', 'stopped after its first Poll, the cluster still progressing');
    // Note: $$.Execution.StartTime is the library's own clock reading as the execution starts.
    const startedAt: string = calls[1]!.event.startedAt;
    assert.ok(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/.test(startedAt) && startedAt >= before, `startedAt ${startedAt} is the execution's start`);
    assert.deepEqual(
      calls.map((c) => c.event),
      [
        { step: 'apply', operation },
        { step: 'poll', operation, startedAt, timeoutSeconds: 600 },
      ],
      'the Parameters of Apply and Poll, resolved from the execution input and the context object',
    );
    assert.deepEqual(calls[0]!.response, { result: { applied: `create of ${ns.name}/via-lambda applied` } });
    const poll = calls[1]!.response as { result: { state: string; reason: string } };
    assert.equal(poll.result.state, 'progressing', JSON.stringify(poll));
    assert.ok(poll.result.reason.length > 0, 'with the reason an agent reads');
    const written = await readCluster('via-lambda');
    assert.ok(written, 'the Apply step created the Cluster on the sandbox');
    assert.ok(written.metadata.managedFields?.some((f) => f.manager === 'capi-mcp-create'), 'applied as the create field manager');
  });

  it('runs a delete through Apply → Wait → Poll until the Cluster is gone and the machine ends Done', async () => {
    await ns.objects.create(stuckCluster(ns.name, 'to-delete'));
    const { calls, outcome } = await execute({ operation: { action: 'delete', namespace: ns.name, name: 'to-delete' }, timeoutSeconds: 600, pollSeconds: 1 });
    assert.equal(outcome.status, 'SUCCEEDED', JSON.stringify(outcome));
    assert.deepEqual(calls[0]!.response, { result: { applied: `deletion of ${ns.name}/to-delete requested` } });
    assert.deepEqual((calls.at(-1)!.response as { result: unknown }).result, { state: 'converged', reason: 'the cluster is gone' });
    assert.equal(await readCluster('to-delete'), undefined);
  });

  it('reports an unreachable management cluster as TransientError, which Apply retries with backoff before the Catch ends it', async (t) => {
    // A kubeconfig for the sandbox whose server is a loopback port nothing listens on.
    const closed = await new Promise<number>((resolve) => {
      const server = createServer().listen(0, '127.0.0.1', () => {
        const { port } = server.address() as { port: number };
        server.close(() => resolve(port));
      });
    });
    const dir = mkdtempSync(join(tmpdir(), 'capi-mcp-unreachable-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const kubeconfig = join(dir, 'kubeconfig');
    writeFileSync(kubeconfig, readFileSync(testSandbox().paths.kubeconfig, 'utf8').replace(/server: https:\/\/127\.0\.0\.1:\d+/g, `server: https://127.0.0.1:${closed}`), { mode: 0o600 });
    const env = { CAPI_MCP_MANAGEMENT_CLUSTERS: JSON.stringify([{ name: 'sandbox', kubeconfig }]) };

    const operation = { action: 'create', namespace: ns.name, name: 'unreachable', cluster: clusterOf('unreachable') } as const;
    const { calls, outcome } = await execute({ operation, timeoutSeconds: 600, pollSeconds: 1 }, { env });
    const errorTypes = calls.map((c) => ('error' in c.response ? c.response.error.errorType : 'ok'));
    assert.deepEqual(errorTypes, Array(1 + maxAttempts(StateNames.apply)).fill(transientErrorName), 'the first attempt and every retry, each a TransientError');
    assert.ok(retried(StateNames.apply, transientErrorName) && retried(StateNames.poll, transientErrorName));
    const first = calls[0]!.response as { error: { errorMessage: string } };
    assert.match(first.error.errorMessage, /fetch failed|ECONNREFUSED/i);
    assert.deepEqual(outcome, { status: 'FAILED', error: transientErrorName, cause: first.error.errorMessage }, 'retries spent, the Catch ends the execution Failed');
    assert.equal(await readCluster('unreachable'), undefined);
  });

  for (const [label, operation, errorType, message] of [
    [
      'a planned-writes violation (a Cluster of another namespace)',
      { action: 'create', namespace: ns.name, name: 'elsewhere', cluster: clusterOf('elsewhere', 'default') },
      'InvalidInput',
      /not the operation's cluster/,
    ],
    ['an action that is not an operation', { action: 'exec', namespace: ns.name, name: 'x' }, 'InvalidInput', /action "exec" is not an operation/],
  ] as const) {
    it(`reports ${label} as ${errorType}, which Apply's Catch ends at once, never retried`, async () => {
      const { calls, outcome } = await execute({ operation: operation as never, timeoutSeconds: 600, pollSeconds: 1 });
      assert.equal(calls.length, 1, 'invoked once: no retry');
      const { error } = calls[0]!.response as { error: { errorType: string; errorMessage: string } };
      assert.equal(error.errorType, errorType);
      assert.match(error.errorMessage, message);
      assert.ok(!retried(StateNames.apply, errorType) && caught(StateNames.apply, errorType), `${errorType} is caught, not retried, by the definition`);
      assert.deepEqual(outcome, { status: 'FAILED', error: errorType, cause: error.errorMessage });
    });
  }
});
