/**
 * Lambda entry point behind API Gateway (REST proxy and HTTP API events): converts the event to a
 * Request, lets the shared web handler answer it statelessly, converts the Response back.
 */
import { Authenticator } from '../../shared/auth/authenticator.ts';
import { openKeyStore } from '../../shared/auth/key-store.ts';
import { loadConfig, requireKeyStore } from '../../shared/config/config.ts';
import { eventMeta, eventToRequest, responseToResult, type ApiGatewayEvent, type ApiGatewayResult } from '../../shared/http/apigateway.ts';
import { createDeps } from '../../shared/deps.ts';
import { createWebHandler } from '../../shared/http/web-handler.ts';
import { makeReaderReleaseErrorWithoutStack } from '../../shared/http/stackless-release.ts';
import { deferredWorkflowEngine } from '../../shared/workflows/deferred-engine.ts';
import { assertStateMachineArn } from '../../shared/workflows/state-machine-arn.ts';
import { cloudWatchMetrics } from '../../shared/observability/metrics-cloudwatch.ts';
import { traced, tracedHandler } from '../../shared/observability/tracing.ts';

// Before any request body is read: see stackless-release.ts.
makeReaderReleaseErrorWithoutStack();

// Built once per container: config, kube clients, the key cache and the MCP handler outlive an invocation.
const config = loadConfig();
// Long-running operations run as executions of the deployed state machine; without one (a read-only
// deployment) the tools that start or follow operations are simply not offered. Note: a wrong ARN still
// fails the init; the Step Functions client is loaded on the first call that starts or reads an operation.
const workflows = config.stateMachineArn ? stepFunctions(config.stateMachineArn) : undefined;
const metrics = cloudWatchMetrics();
const web = createWebHandler({ ...createDeps(config, metrics), ...(workflows ? { workflows } : {}) }, {
  allowedHosts: config.allowedHosts,
  allowedOrigins: [],
  readOnly: config.readOnly,
  ...(config.allowedNamespaces ? { allowedNamespaces: config.allowedNamespaces } : {}),
  authenticator: new Authenticator(openKeyStore(requireKeyStore(config), traced)),
});

function stepFunctions(stateMachineArn: string) {
  assertStateMachineArn(stateMachineArn);
  return deferredWorkflowEngine(async () => (await import('./step-functions.ts')).stepFunctionsEngine(stateMachineArn));
}

export const handler = tracedHandler(async (event: ApiGatewayEvent): Promise<ApiGatewayResult> => {
  metrics.powertools.captureColdStartMetric();
  return responseToResult(await web(eventToRequest(event), eventMeta(event)), event);
});
