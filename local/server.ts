/**
 * The local front door: the shared web handler on a Node HTTP server bound to loopback, with Host and
 * Origin restricted to localhost names (DNS-rebinding protection for a server reachable from a browser)
 * and API keys from the configured store, as in production. `/metrics` serves the same counters the
 * Lambda sends to CloudWatch, as Prometheus text (an API key is needed there too).
 */
import { localhostAllowedHostnames, localhostAllowedOrigins } from '@modelcontextprotocol/server';
import { Authenticator, type AuthenticatorOptions } from '../shared/auth/authenticator.ts';
import { openKeyStore } from '../shared/auth/key-store.ts';
import { requireKeyStore, type Config } from '../shared/config/config.ts';
import { listen, type RunningServer } from '../shared/http/node-adapter.ts';
import { createDeps } from '../shared/deps.ts';
import { createWebHandler } from '../shared/http/web-handler.ts';
import { prometheusMetrics } from '../shared/observability/metrics-prometheus.ts';
import type { WorkflowEngine } from '../shared/workflows/engine.ts';

export interface LocalServerOptions {
  readonly host?: string;
  readonly port?: number;
  /** Runs long-running operations; without one, the tools that start them are not offered. */
  readonly workflows?: WorkflowEngine;
  /** Key-cache TTL and failure throttling (tests shorten them). */
  readonly auth?: AuthenticatorOptions;
}

export function startLocalServer(config: Config, { host = '127.0.0.1', port = 8080, workflows, auth }: LocalServerOptions = {}): Promise<RunningServer> {
  const metrics = prometheusMetrics();
  const handler = createWebHandler({ ...createDeps(config, metrics), ...(workflows ? { workflows } : {}) }, {
    allowedHosts: [...localhostAllowedHostnames(), ...config.allowedHosts],
    allowedOrigins: localhostAllowedOrigins(),
    readOnly: config.readOnly,
    ...(config.allowedNamespaces ? { allowedNamespaces: config.allowedNamespaces } : {}),
    authenticator: new Authenticator(openKeyStore(requireKeyStore(config)), auth),
    metricsText: async () => ({ contentType: metrics.registry.contentType, body: await metrics.registry.metrics() }),
  });
  return listen(handler, host, port);
}
