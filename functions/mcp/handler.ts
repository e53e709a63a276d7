/**
 * Lambda entry point behind API Gateway (REST proxy and HTTP API events): converts the event to a
 * Request, lets the shared web handler answer it statelessly, converts the Response back.
 */
import { loadConfig } from '../../shared/config/config.ts';
import { eventToRequest, responseToResult, type ApiGatewayEvent, type ApiGatewayResult } from '../../shared/http/apigateway.ts';
import { createDeps } from '../../shared/deps.ts';
import { createWebHandler } from '../../shared/http/web-handler.ts';

// Built once per container: config, kube clients and the MCP handler outlive a single invocation.
const config = loadConfig();
const web = createWebHandler(createDeps(config), {
  allowedHosts: config.allowedHosts,
  allowedOrigins: [],
  readOnly: config.readOnly,
});

export async function handler(event: ApiGatewayEvent): Promise<ApiGatewayResult> {
  return responseToResult(await web(eventToRequest(event)), event);
}
