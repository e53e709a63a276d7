/**
 * The local front door: the Node server of shared/http/node-server.ts bound to loopback, with Host and
 * Origin restricted to localhost names (DNS-rebinding protection for a server reachable from a browser)
 * and API keys from the configured store, as in production.
 */
import { localhostAllowedHostnames, localhostAllowedOrigins } from '@modelcontextprotocol/server';
import type { AuthenticatorOptions } from '../shared/auth/authenticator.ts';
import type { Config } from '../shared/config/config.ts';
import type { RunningServer } from '../shared/http/node-adapter.ts';
import { startNodeServer, type ProcessDeps } from '../shared/http/node-server.ts';
import type { WorkflowEngine } from '../shared/workflows/engine.ts';

export interface LocalServerOptions {
  readonly host?: string;
  readonly port?: number;
  /** Runs long-running operations; without one, the tools that start them are not offered. */
  readonly workflows?: WorkflowEngine;
  /** Key-cache TTL and failure throttling (tests shorten them). */
  readonly auth?: AuthenticatorOptions;
  /** The process's dependencies, shared with its local engine's steps (see ProcessDeps). */
  readonly shared?: ProcessDeps;
}

export function startLocalServer(config: Config, { host = '127.0.0.1', port = 8080, workflows, auth, shared }: LocalServerOptions = {}): Promise<RunningServer> {
  return startNodeServer(config, {
    host,
    port,
    allowedHosts: [...localhostAllowedHostnames(), ...config.allowedHosts],
    allowedOrigins: localhostAllowedOrigins(),
    ...(workflows ? { workflows } : {}),
    ...(auth ? { auth } : {}),
    ...(shared ? { shared } : {}),
  });
}
