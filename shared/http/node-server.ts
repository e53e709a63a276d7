/**
 * What a Node process that serves MCP outside Lambda runs: the local workflow engine and the HTTP server,
 * for `npm start` (local/) and the container (functions/container/main.ts).
 *
 * The Node HTTP server of every process that serves MCP outside Lambda — `npm start` (local/server.ts) and
 * the container (functions/container/main.ts): the shared web handler with API keys from the configured
 * store, `/metrics` as Prometheus text (an API key needed there too) and `/readyz`, which answers whether
 * the default management cluster accepts this server's credentials and the key store reads
 * (shared/http/readiness.ts; why not, the log says).
 */
import { Authenticator, type AuthenticatorOptions } from '../auth/authenticator.ts';
import { openKeyStore } from '../auth/key-store.ts';
import { requireKeyStore, type Config } from '../config/config.ts';
import { createDeps, type Deps } from '../deps.ts';
import { prometheusMetrics } from '../observability/metrics-prometheus.ts';
import type { WorkflowEngine } from '../workflows/engine.ts';
import { LocalWorkflowEngine } from '../workflows/local-engine.ts';
import type { LocalWorkflow } from '../workflows/local-runner.ts';
import { runStep, type StepDeps } from '../workflows/steps.ts';
import type { BlockList } from 'node:net';
import { clientAddressBehind } from './client-address.ts';
import { listen, type RunningServer } from './node-adapter.ts';
import { cachedReadiness } from './readiness.ts';
import { createWebHandler } from './web-handler.ts';

/**
 * What one Node process serves with, built once from its Config: the server's tools and the local
 * engine's steps share its clients (one kube client, and one connection pool, per management cluster)
 * and its log; its metrics are Prometheus's, which `/metrics` serves.
 */
export interface ProcessDeps {
  readonly deps: Deps;
  readonly metrics: ReturnType<typeof prometheusMetrics>;
}

export function processDeps(config: Config): ProcessDeps {
  const metrics = prometheusMetrics();
  return { deps: createDeps(config, metrics), metrics };
}

export interface NodeServerOptions {
  /** The address to bind; undefined: every address (shared/http/node-adapter.ts). */
  readonly host: string | undefined;
  readonly port: number;
  /** Host names accepted in the Host header; empty accepts any. */
  readonly allowedHosts: readonly string[];
  /** Origin host names accepted from browsers; empty accepts any. */
  readonly allowedOrigins: readonly string[];
  /** Runs long-running operations; without one, the tools that start them are not offered. */
  readonly workflows?: WorkflowEngine;
  /** Key-cache TTL and failure throttling (tests shorten them). */
  readonly auth?: AuthenticatorOptions;
  /** Proxies whose X-Forwarded-For names the client (shared/http/client-address.ts); none: the peer is the client. */
  readonly trustedProxies?: BlockList;
  /** The process's dependencies, when its local engine runs on them too; built from the Config otherwise. */
  readonly shared?: ProcessDeps;
}

export function startNodeServer(config: Config, { host, port, allowedHosts, allowedOrigins, workflows, auth, trustedProxies, shared = processDeps(config) }: NodeServerOptions): Promise<RunningServer> {
  const { metrics } = shared;
  const deps = { ...shared.deps, ...(workflows ? { workflows } : {}) };
  const keys = openKeyStore(requireKeyStore(config));
  const handler = createWebHandler(deps, {
    allowedHosts,
    allowedOrigins,
    readOnly: config.readOnly,
    ...(config.allowedNamespaces ? { allowedNamespaces: config.allowedNamespaces } : {}),
    authenticator: new Authenticator(keys, auth),
    metricsText: async () => ({ contentType: metrics.registry.contentType, body: await metrics.registry.metrics() }),
    ready: cachedReadiness(() => Promise.all([deps.clusters.client().ping(), keys.read()]), { onFailure: (reason) => deps.log.warn('not ready', { reason }) }),
  });
  return listen(handler, host, port, { clientAddress: clientAddressBehind(trustedProxies) });
}

/**
 * The local workflow engine over the executions kept in `dir`, running `workflow` (the state machine CDK
 * synthesizes: infra/lib/definition.ts) against the same step code the step Lambda runs; executions that
 * were running when the last process stopped are resumed (their names returned). Its steps run on
 * `steps`: a serving process passes its ProcessDeps' deps, so the server and the steps share one set of
 * clients; without them, the engine's own are built from the Config.
 */
export function openLocalWorkflows(config: Config, dir: string, workflow: Pick<LocalWorkflow, 'definition' | 'stepFunctionArn'>, timeScale = 1, steps: StepDeps = createDeps(config)) {
  return LocalWorkflowEngine.open(dir, { definition: workflow.definition, stepFunctionArn: workflow.stepFunctionArn, timeScale, step: (event) => runStep(event, steps) });
}
