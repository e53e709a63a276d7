/**
 * The local front door: the Node server of shared/http/node-server.ts bound to loopback, with Host and
 * Origin restricted to localhost names (DNS-rebinding protection for a server reachable from a browser)
 * and API keys from the configured store, as in production.
 */
import { localhostAllowedHostnames, localhostAllowedOrigins } from '@modelcontextprotocol/server';
import type { AuthenticatorOptions } from '../shared/auth/authenticator.ts';
import type { Config } from '../shared/config/config.ts';
import type { RunningServer } from '../shared/http/node-adapter.ts';
import { startNodeServer } from '../shared/http/node-server.ts';
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
  return startNodeServer(config, {
    host,
    port,
    allowedHosts: [...localhostAllowedHostnames(), ...config.allowedHosts],
    allowedOrigins: localhostAllowedOrigins(),
    ...(workflows ? { workflows } : {}),
    ...(auth ? { auth } : {}),
  });
}
