/**
 * Configuration, read from the environment once at start-up into a typed Config that is passed down.
 * Nothing else reads process.env. Missing or malformed settings fail start-up with the variable's name.
 */
import { BlockList, isIP, isIPv6 } from 'node:net';
import { z } from 'zod';

const managementClusterSchema = z.union([
  z.object({ name: z.string().min(1), kubeconfig: z.string().min(1), context: z.string().optional() }).strict(),
  z.object({ name: z.string().min(1), eks: z.object({ clusterName: z.string().min(1), region: z.string().min(1) }).strict() }).strict(),
]);
export type ManagementClusterConfig = z.infer<typeof managementClusterSchema>;

/**
 * The management cluster capi-mcp runs in, reached as a pod reaches its API server: the address Kubernetes
 * puts in every pod's environment, and the ServiceAccount token and CA it mounts (files, so a rotated token
 * is read again).
 */
export interface InClusterConfig {
  readonly name: string;
  readonly inCluster: { readonly server: string; readonly caFile: string; readonly tokenFile: string };
}

/** A management cluster as the configuration names it: by kubeconfig, by EKS cluster, or the one the pod runs in. */
export type ManagementClusterTarget = ManagementClusterConfig | InClusterConfig;

/** Where the default ServiceAccount token and CA are mounted in a pod. */
export const serviceAccountDir = '/var/run/secrets/kubernetes.io/serviceaccount';

/** Where API keys live: a local JSON file (the embedded default) or a Secrets Manager secret. */
export type KeyStoreConfig = { readonly kind: 'file'; readonly path: string } | { readonly kind: 'secretsmanager'; readonly secretId: string };

export interface Config {
  /** Named management clusters; tools default to the first. */
  readonly managementClusters: readonly ManagementClusterTarget[];
  /** Host names the HTTP endpoint answers to (DNS-rebinding protection); empty accepts any. */
  readonly allowedHosts: readonly string[];
  /** Expose only tools that change nothing (CAPI_MCP_READ_ONLY); the default for a real management cluster. */
  readonly readOnly: boolean;
  /** Namespaces every key is limited to (CAPI_MCP_ALLOWED_NAMESPACES); undefined: no server-wide limit. */
  readonly allowedNamespaces?: readonly string[];
  /** The API-key store; only the MCP endpoint needs one (see requireKeyStore). */
  readonly apiKeys?: KeyStoreConfig;
  /** The cluster-operation state machine (production); without it a local engine must be supplied. */
  readonly stateMachineArn?: string;
  readonly logLevel: string;
  /** Write logs and audit records to this file instead of stdout (CAPI_MCP_LOG_FILE). */
  readonly logFile?: string;
}

/**
 * CAPI_MCP_MANAGEMENT_CLUSTERS: JSON array of `{name, kubeconfig, context?}` or `{name, eks: {clusterName,
 * region}}`; without it, KUBECONFIG names a single management cluster called "default"; without either, in a
 * pod (KUBERNETES_SERVICE_HOST and _PORT), the cluster it runs in, "in-cluster", as its ServiceAccount (token
 * and CA in CAPI_MCP_SERVICE_ACCOUNT_DIR, by default where Kubernetes mounts them).
 * CAPI_MCP_ALLOWED_HOSTS: comma-separated host names. CAPI_MCP_READ_ONLY: "true" (the default: a real
 * management cluster is only changed when the operator says so) or "false". CAPI_MCP_ALLOWED_NAMESPACES:
 * comma-separated, unset for no limit (set, it must name one). CAPI_MCP_API_KEYS_SECRET_ARN or CAPI_MCP_API_KEYS_FILE: the key store.
 * CAPI_MCP_STATE_MACHINE_ARN, POWERTOOLS_LOG_LEVEL, CAPI_MCP_LOG_FILE.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  // Note: Node reads this variable for every TLS connection whose options do not say otherwise, client-node's
  // to management clusters included: a token would go to whoever answers. Workload clients pin their CA
  // regardless (shared/kube/connection.ts); nothing capi-mcp does needs it off.
  if (env.NODE_TLS_REJECT_UNAUTHORIZED === '0') {
    throw new Error('Environment variable NODE_TLS_REJECT_UNAUTHORIZED=0 turns off TLS verification of every API server connection; unset it');
  }
  const allowedNamespaces = list(env.CAPI_MCP_ALLOWED_NAMESPACES);
  // Note: set but empty is a mistake (an unset template variable, a stray comma), and reading it as "no
  // limit" would open every namespace to the keys the operator meant to confine: refuse to start instead.
  if (env.CAPI_MCP_ALLOWED_NAMESPACES !== undefined && allowedNamespaces.length === 0) {
    throw new Error('Environment variable CAPI_MCP_ALLOWED_NAMESPACES is set but names no namespace');
  }
  return {
    managementClusters: managementClusters(env),
    allowedHosts: list(env.CAPI_MCP_ALLOWED_HOSTS),
    readOnly: flag(env, 'CAPI_MCP_READ_ONLY', true),
    ...(allowedNamespaces.length > 0 ? { allowedNamespaces } : {}),
    ...keyStore(env),
    ...(env.CAPI_MCP_STATE_MACHINE_ARN ? { stateMachineArn: env.CAPI_MCP_STATE_MACHINE_ARN } : {}),
    logLevel: env.POWERTOOLS_LOG_LEVEL || 'INFO',
    ...(env.CAPI_MCP_LOG_FILE ? { logFile: env.CAPI_MCP_LOG_FILE } : {}),
  };
}

function keyStore(env: NodeJS.ProcessEnv): { apiKeys?: KeyStoreConfig } {
  if (env.CAPI_MCP_API_KEYS_SECRET_ARN && env.CAPI_MCP_API_KEYS_FILE) {
    throw new Error('Set only one of the environment variables CAPI_MCP_API_KEYS_SECRET_ARN and CAPI_MCP_API_KEYS_FILE');
  }
  if (env.CAPI_MCP_API_KEYS_SECRET_ARN) return { apiKeys: { kind: 'secretsmanager', secretId: env.CAPI_MCP_API_KEYS_SECRET_ARN } };
  if (env.CAPI_MCP_API_KEYS_FILE) return { apiKeys: { kind: 'file', path: env.CAPI_MCP_API_KEYS_FILE } };
  return {};
}

/** The key store of a process that serves MCP: there is no unauthenticated mode. */
export function requireKeyStore(config: Config): KeyStoreConfig {
  if (!config.apiKeys) throw new Error('Environment variable CAPI_MCP_API_KEYS_SECRET_ARN or CAPI_MCP_API_KEYS_FILE is required');
  return config.apiKeys;
}

function managementClusters(env: NodeJS.ProcessEnv): ManagementClusterTarget[] {
  const raw = env.CAPI_MCP_MANAGEMENT_CLUSTERS;
  if (raw) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch (error) {
      throw new Error(`Environment variable CAPI_MCP_MANAGEMENT_CLUSTERS is not JSON: ${(error as Error).message}`);
    }
    const result = z.array(managementClusterSchema).min(1).safeParse(parsed);
    if (!result.success) {
      throw new Error(`Environment variable CAPI_MCP_MANAGEMENT_CLUSTERS is invalid: ${z.prettifyError(result.error)}`);
    }
    const names = result.data.map((c) => c.name);
    const duplicate = names.find((n, i) => names.indexOf(n) !== i);
    if (duplicate) throw new Error(`Environment variable CAPI_MCP_MANAGEMENT_CLUSTERS names "${duplicate}" twice`);
    return result.data;
  }
  if (env.KUBECONFIG) return [{ name: 'default', kubeconfig: env.KUBECONFIG }];
  // Note: set but empty is a mistake (an unset template variable), and reading it as "not set" would switch
  // a pod to managing the cluster it runs in: refuse to start instead.
  for (const name of ['CAPI_MCP_MANAGEMENT_CLUSTERS', 'KUBECONFIG'] as const) {
    if (env[name] !== undefined) throw new Error(`Environment variable ${name} is set but empty`);
  }
  const inCluster = inClusterConfig(env);
  if (inCluster) return [inCluster];
  throw new Error('Environment variable CAPI_MCP_MANAGEMENT_CLUSTERS or KUBECONFIG is required (in a pod, KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT name the cluster it runs in)');
}

/**
 * The pod's own cluster when Kubernetes set the pod environment. Note: always https, whatever the port
 * (client-node's loadFromCluster picks plain http for 80, 8080 and 8001): the token must never travel in the clear.
 */
function inClusterConfig(env: NodeJS.ProcessEnv): InClusterConfig | undefined {
  const host = env.KUBERNETES_SERVICE_HOST;
  const port = env.KUBERNETES_SERVICE_PORT;
  if (!host && !port) return undefined;
  const validPort = port !== undefined && /^[1-9]\d{0,4}$/.test(port) && Number(port) <= 65535;
  // Note: a host name or an IP address and nothing else: "evil.example/x?" or "https://x" would otherwise
  // build a URL whose host is not the one given, and the token goes to whatever the URL names.
  const validHost = host !== undefined && ((isIP(host) !== 0 && !host.includes('%')) || hostName.test(host));
  if (!validHost || !validPort) {
    throw new Error(
      `Environment variables KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT must be a host name or IP address and a port number (got "${host ?? ''}" and "${port ?? ''}")`,
    );
  }
  const dir = (env.CAPI_MCP_SERVICE_ACCOUNT_DIR || serviceAccountDir).replace(/\/+$/, '');
  return {
    name: 'in-cluster',
    inCluster: { server: `https://${isIPv6(host) ? `[${host}]` : host}:${port}`, caFile: `${dir}/ca.crt`, tokenFile: `${dir}/token` },
  };
}

/** How the container's Node server listens, keeps its operations and stops (functions/container/main.ts). */
export interface ServingConfig {
  /** CAPI_MCP_HOST: the address to bind; unset, every address, IPv6 and IPv4 (a pod is reached on its own IP). */
  readonly host?: string;
  /** CAPI_MCP_PORT (default 8080; 0 takes any free port). */
  readonly port: number;
  /** CAPI_MCP_EXECUTIONS_DIR: where the local workflow engine keeps its executions; a read-write server needs one. */
  readonly executionsDir?: string;
  /** CAPI_MCP_DRAIN_SECONDS: how long a SIGTERM lets requests in flight finish (default 20). */
  readonly drainSeconds: number;
  /**
   * CAPI_MCP_TRUSTED_PROXIES: comma-separated addresses or CIDR ranges of the proxies in front (an Ingress
   * controller's pods) whose X-Forwarded-For names the client (shared/http/client-address.ts); unset: none.
   */
  readonly trustedProxies?: BlockList;
}

export function loadServingConfig(env: NodeJS.ProcessEnv = process.env): ServingConfig {
  const host = env.CAPI_MCP_HOST;
  if (host && isIP(host) === 0 && !hostName.test(host)) throw new Error(`Environment variable CAPI_MCP_HOST must be an IP address or host name, got "${host}"`);
  return {
    ...(host ? { host } : {}),
    port: integer(env, 'CAPI_MCP_PORT', 8080, 0, 65535),
    ...(env.CAPI_MCP_EXECUTIONS_DIR ? { executionsDir: env.CAPI_MCP_EXECUTIONS_DIR } : {}),
    drainSeconds: integer(env, 'CAPI_MCP_DRAIN_SECONDS', 20, 0, 3600),
    ...proxyRanges(env),
  };
}

function proxyRanges(env: NodeJS.ProcessEnv): { trustedProxies?: BlockList } {
  const entries = list(env.CAPI_MCP_TRUSTED_PROXIES);
  if (entries.length === 0) return {};
  const ranges = new BlockList();
  for (const entry of entries) {
    const [address, bits, extra] = entry.split('/');
    const family = isIP(address ?? '');
    const prefix = bits === undefined ? (family === 6 ? 128 : 32) : /^\d{1,3}$/.test(bits) ? Number(bits) : NaN;
    if (family === 0 || extra !== undefined || !(prefix >= 0 && prefix <= (family === 6 ? 128 : 32))) {
      throw new Error(`Environment variable CAPI_MCP_TRUSTED_PROXIES: "${entry}" is not an IP address or CIDR range`);
    }
    // Note: a trusted proxy may name any client; trusting every address would let every caller choose its own.
    if (prefix === 0) throw new Error(`Environment variable CAPI_MCP_TRUSTED_PROXIES: "${entry}" trusts every address; name the proxies`);
    ranges.addSubnet(address!, prefix, family === 6 ? 'ipv6' : 'ipv4');
  }
  return { trustedProxies: ranges };
}

function integer(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const value = env[name];
  if (value === undefined || value === '') return fallback;
  if (!/^\d{1,7}$/.test(value) || Number(value) < min || Number(value) > max) {
    throw new Error(`Environment variable ${name} must be a whole number from ${min} to ${max}, got "${value}"`);
  }
  return Number(value);
}

/** An RFC 1123 host name. */
const hostName = /^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/i;

function list(value: string | undefined): string[] {
  return (value ?? '').split(',').map((s) => s.trim()).filter(Boolean);
}

function flag(env: NodeJS.ProcessEnv, name: string, fallback: boolean): boolean {
  const value = env[name];
  if (value === undefined || value === '') return fallback;
  if (value === 'true' || value === 'false') return value === 'true';
  throw new Error(`Environment variable ${name} must be "true" or "false", got "${value}"`);
}
