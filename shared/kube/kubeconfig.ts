/**
 * Kubeconfigs read from a workload cluster's Secrets are untrusted input: whoever may write a Secret in
 * the cluster's namespace can plant one. A client library's full loader would obey it — run an `exec`
 * plugin or an `auth-provider` command, read `tokenFile` or certificate paths, use a proxy, skip TLS
 * verification, speak plain `http` — so the server never hands a kubeconfig text to one. It is parsed
 * here, pure, against an allow-list, and only the parsed parts are used:
 *
 * - to connect (get_cluster_nodes): an `https` server, CA data, and either a client certificate/key pair
 *   (data, not paths) or a bearer token; nothing else is accepted anywhere in the document;
 * - to hand out (get_cluster_kubeconfig): a kubeconfig rebuilt from those parts, or, for a provider whose
 *   documented kubeconfig mints tokens (CAPA's EKS user kubeconfig), the exact exec shape that provider
 *   writes — `aws eks get-token --cluster-name <name>` or `aws-iam-authenticator token -i <name>` — with
 *   the name checked, so a person is never handed a planted command either.
 *
 * Refusals name the offending field only when it is one of the known dangerous ones; other text of the
 * document is never echoed (it may come from another tenant).
 */
import { isMap, parseDocument, stringify, visit } from 'yaml';
import { CapiMcpError, ErrorCode } from '../errors.ts';

/**
 * Larger than any kubeconfig CAPI or CAPA writes (≈6 KiB with RSA-2048 keys, ≈10 KiB with RSA-4096), small
 * enough to parse at once. Note: the `yaml` parser is superlinear on some shapes (flow collections, comment
 * runs: 1.7 s at 64 KiB), so the structure is budgeted too, before parsing: what CAPI writes is a few dozen
 * block-style lines with no flow collections or comments.
 */
export const maxKubeconfigBytes = 32 * 1024;
const maxLines = 256;
const maxFlowAndCommentChars = 256;

export type KubeconfigCredentialData =
  | { readonly kind: 'client-certificate'; readonly certData: string; readonly keyData: string }
  | { readonly kind: 'token'; readonly token: string }
  | { readonly kind: 'exec'; readonly exec: TokenExec };

/** The exec plugins a provider documents for minting short-lived tokens from the user's own identity. */
export interface TokenExec {
  readonly command: 'aws' | 'aws-iam-authenticator';
  readonly apiVersion: string;
  /** The EKS cluster name the token is for. */
  readonly clusterName: string;
}

export interface ParsedKubeconfig {
  /** `https://host[:port]`, no path, no user info. */
  readonly server: string;
  /** Base64 PEM of the CA that signs the API server's certificate (required: no system trust store). */
  readonly caData: string;
  readonly tlsServerName?: string;
  readonly credential: KubeconfigCredentialData;
}

/** Fields that make a client library run commands, read files or weaken TLS: named when refused. */
const dangerous = new Set([
  'exec',
  'auth-provider',
  'tokenFile',
  'token-file',
  'client-certificate',
  'client-key',
  'certificate-authority',
  'proxy-url',
  'insecure-skip-tls-verify',
  'username',
  'password',
  'as',
  'as-uid',
  'as-groups',
  'as-user-extra',
  'impersonate',
  'extensions',
  'disable-compression',
]);

const allowed = {
  root: new Set(['apiVersion', 'kind', 'clusters', 'users', 'contexts', 'current-context', 'preferences']),
  namedCluster: new Set(['name', 'cluster']),
  cluster: new Set(['server', 'certificate-authority-data', 'tls-server-name']),
  namedUser: new Set(['name', 'user']),
  user: new Set(['client-certificate-data', 'client-key-data', 'token']),
  namedContext: new Set(['name', 'context']),
  context: new Set(['cluster', 'user', 'namespace']),
  // What clientcmd.Write emits for CAPA's ExecConfig; only command, args and apiVersion are used.
  exec: new Set(['apiVersion', 'command', 'args', 'env', 'provideClusterInfo', 'installHint', 'interactiveMode']),
} as const;

const execApiVersions = new Set(['client.authentication.k8s.io/v1beta1', 'client.authentication.k8s.io/v1']);
/** EKS cluster names: 1–100 of letters, digits, hyphens and underscores, starting with a letter or digit. */
const eksClusterName = /^[A-Za-z0-9][A-Za-z0-9_-]{0,99}$/;
const base64Chars = /^[A-Za-z0-9+/]+={0,2}$/;
const bearerToken = /^[\x21-\x7e]{1,8192}$/;

/**
 * The parts of a kubeconfig an untrusted Secret may carry, or a CapiMcpError (Upstream: the data the
 * cluster holds is unusable) saying what was refused. `allowExec` accepts a provider's documented
 * token exec plugin as the credential (for handing out, never for connecting).
 */
export function parseKubeconfig(text: string, { allowExec = false, source = 'the kubeconfig' } = {}): ParsedKubeconfig {
  const refuse = (why: string) =>
    new CapiMcpError(ErrorCode.Upstream, `${source} is refused: ${why}`, {
      hint: 'the Secret was not written by Cluster API or its provider; check who wrote it (capi-mcp never runs commands, reads files or follows proxies from a kubeconfig)',
    });
  if (Buffer.byteLength(text, 'utf8') > maxKubeconfigBytes) throw refuse(`it is larger than ${maxKubeconfigBytes / 1024} KiB`);
  if (countOf(text, '\n') > maxLines || countOf(text, '[]{},#') > maxFlowAndCommentChars) throw refuse('its YAML is not shaped like a kubeconfig');
  const doc = parseYaml(text);
  if (doc === undefined) throw refuse('it is not valid YAML, or repeats a key');
  const root = record(doc, 'the document', allowed.root, refuse);
  if (root.kind !== undefined && root.kind !== 'Config') throw refuse('it is not a kubeconfig (kind is not Config)');

  const contexts = list(root.contexts, 'contexts', refuse).map((c) => {
    const named = record(c, 'a context entry', allowed.namedContext, refuse);
    return { name: named.name, context: record(named.context, 'a context', allowed.context, refuse) };
  });
  const clusters = list(root.clusters, 'clusters', refuse).map((c) => {
    const named = record(c, 'a cluster entry', allowed.namedCluster, refuse);
    return { name: named.name, cluster: record(named.cluster, 'a cluster', allowed.cluster, refuse) };
  });
  const users = list(root.users, 'users', refuse).map((u) => {
    const named = record(u, 'a user entry', allowed.namedUser, refuse);
    return { name: named.name, user: record(named.user, 'a user', allowExec ? new Set([...allowed.user, 'exec']) : allowed.user, refuse) };
  });

  const current = contexts.length === 1 && root['current-context'] === undefined ? contexts[0] : contexts.find((c) => c.name === root['current-context']);
  if (!current) throw refuse('its current-context names no context');
  const cluster = clusters.find((c) => c.name === current.context.cluster)?.cluster;
  const user = users.find((u) => u.name === current.context.user)?.user;
  if (!cluster || !user) throw refuse('its current context names a cluster or user it does not define');

  const caData = base64Pem(cluster['certificate-authority-data']);
  if (!caData) throw refuse('it has no certificate-authority-data (base64 PEM)');
  const tlsServerName = cluster['tls-server-name'];
  if (tlsServerName !== undefined && (typeof tlsServerName !== 'string' || !/^[A-Za-z0-9.-]{1,253}$/.test(tlsServerName))) {
    throw refuse('its tls-server-name is not a host name');
  }
  return {
    server: httpsServer(cluster.server, refuse),
    caData,
    ...(tlsServerName ? { tlsServerName } : {}),
    credential: credentialOf(user, allowExec, refuse),
  };
}

/**
 * Refuses a kubeconfig whose server is not the Cluster's `spec.controlPlaneEndpoint`: a planted one
 * must not point the server at an address of the planter's choosing.
 */
export function assertServerIsEndpoint(parsed: ParsedKubeconfig, endpoint: { host?: unknown; port?: unknown } | undefined, source: string): void {
  const url = new URL(parsed.server);
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  const port = Number(url.port || 443);
  const expectedHost = typeof endpoint?.host === 'string' ? endpoint.host.replace(/^\[(.*)\]$/, '$1').toLowerCase() : undefined;
  const expectedPort = typeof endpoint?.port === 'number' ? endpoint.port : 443;
  if (!expectedHost) {
    throw new CapiMcpError(ErrorCode.NotFound, `${source} cannot be checked: the Cluster has no spec.controlPlaneEndpoint yet`, {
      hint: 'its control plane is not initialized yet',
      next: 'follow-provisioning',
    });
  }
  if (host !== expectedHost || port !== expectedPort) {
    throw new CapiMcpError(ErrorCode.Upstream, `${source} is refused: its server is not the Cluster's control-plane endpoint`, {
      hint: 'the Secret was not written by Cluster API or its provider; check who wrote it',
    });
  }
}

/** A kubeconfig rebuilt from parsed parts only: what a person is handed, whatever else the Secret held. */
export function kubeconfigText(parsed: ParsedKubeconfig, name: string): string {
  const c = parsed.credential;
  const user =
    c.kind === 'client-certificate' ? { 'client-certificate-data': c.certData, 'client-key-data': c.keyData }
    : c.kind === 'token' ? { token: c.token }
    : { exec: { apiVersion: c.exec.apiVersion, command: c.exec.command, args: execArgs(c.exec), interactiveMode: 'Never' } };
  // Note: YAML 1.1, as kubectl reads it: a 1.2 writer leaves `token: yes` or `1_000` unquoted, which
  // kubectl would read as a boolean or a number and refuse.
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name, cluster: { server: parsed.server, 'certificate-authority-data': parsed.caData, ...(parsed.tlsServerName ? { 'tls-server-name': parsed.tlsServerName } : {}) } }],
    users: [{ name, user }],
    contexts: [{ name, context: { cluster: name, user: name } }],
    'current-context': name,
  }, { version: '1.1' });
}

function execArgs(exec: TokenExec): string[] {
  return exec.command === 'aws' ? ['eks', 'get-token', '--cluster-name', exec.clusterName] : ['token', '-i', exec.clusterName];
}

function credentialOf(user: Record<string, unknown>, allowExec: boolean, refuse: (why: string) => CapiMcpError): KubeconfigCredentialData {
  const cert = user['client-certificate-data'];
  const key = user['client-key-data'];
  const token = user.token;
  const present = [cert !== undefined || key !== undefined, token !== undefined, user.exec !== undefined].filter(Boolean).length;
  if (present !== 1) throw refuse('its user must carry exactly one credential: a client certificate and key, or a token');
  if (cert !== undefined || key !== undefined) {
    const certData = base64Pem(cert);
    const keyData = base64Pem(key);
    if (!certData || !keyData) throw refuse('its client-certificate-data and client-key-data must both be base64 PEM');
    return { kind: 'client-certificate', certData, keyData };
  }
  if (token !== undefined) {
    if (typeof token !== 'string' || !bearerToken.test(token)) throw refuse('its token is not a bearer token');
    return { kind: 'token', token };
  }
  if (!allowExec) throw refuse('it uses an exec credential plugin');
  return { kind: 'exec', exec: tokenExec(user.exec, refuse) };
}

/** CAPA's two documented shapes (pkg/cloud/services/eks/config.go), nothing else. */
function tokenExec(value: unknown, refuse: (why: string) => CapiMcpError): TokenExec {
  const exec = record(value, 'its exec plugin', allowed.exec, refuse);
  const { apiVersion, command, args, env, provideClusterInfo } = exec;
  if (typeof apiVersion !== 'string' || !execApiVersions.has(apiVersion)) throw refuse('its exec plugin has an unknown apiVersion');
  if ((env !== undefined && env !== null && !(Array.isArray(env) && env.length === 0)) || (provideClusterInfo !== undefined && provideClusterInfo !== false)) {
    throw refuse('its exec plugin sets environment variables or asks for cluster info');
  }
  const a = Array.isArray(args) && args.every((x) => typeof x === 'string') ? (args as string[]) : [];
  const name = a[a.length - 1] ?? '';
  const shape =
    command === 'aws' ? a.length === 4 && a[0] === 'eks' && a[1] === 'get-token' && a[2] === '--cluster-name'
    : command === 'aws-iam-authenticator' ? a.length === 3 && a[0] === 'token' && a[1] === '-i'
    : false;
  if (!shape || !eksClusterName.test(name)) {
    throw refuse('its exec plugin is not `aws eks get-token --cluster-name <name>` or `aws-iam-authenticator token -i <name>`');
  }
  return { command: command as TokenExec['command'], apiVersion, clusterName: name };
}

function httpsServer(value: unknown, refuse: (why: string) => CapiMcpError): string {
  if (typeof value !== 'string' || value.length > 2048) throw refuse('its server is missing');
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw refuse('its server is not a URL');
  }
  if (url.protocol !== 'https:') throw refuse('its server is not https');
  if (url.username || url.password || url.search || url.hash || (url.pathname !== '/' && url.pathname !== '')) {
    throw refuse('its server must be https://host[:port] with no path, query or user info');
  }
  return `https://${url.host}`;
}

/** The value without whitespace when it is base64 of a PEM block (what is handed on is the compact form); else undefined. */
function base64Pem(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const compact = value.replace(/[ \t\r\n]+/g, '');
  const ok = compact.length > 0 && compact.length <= 32_768 && base64Chars.test(compact) && Buffer.from(compact, 'base64').toString('latin1').startsWith('-----BEGIN ');
  return ok ? compact : undefined;
}

/**
 * The document as plain data, or undefined when it is not YAML or a mapping repeats a key. Note: the
 * parser's own duplicate check (`uniqueKeys`) is quadratic in a mapping's size (6 s for a 64 KiB flow map),
 * so keys are checked here with a set per mapping. No aliases (a kubeconfig has none; they are how YAML
 * bombs grow), and no warnings: they would print document text (unresolved tags) around the logger.
 */
function parseYaml(text: string): unknown {
  const doc = parseDocument(text, { uniqueKeys: false, prettyErrors: false, logLevel: 'silent' });
  if (doc.errors.length > 0) return undefined;
  let repeated = false;
  visit(doc, {
    Map(_, map) {
      if (!isMap(map)) return;
      const seen = new Set<unknown>();
      for (const pair of map.items) {
        const key = (pair.key as { value?: unknown } | null)?.value ?? pair.key;
        if (seen.has(key)) repeated = true;
        seen.add(key);
      }
      return repeated ? visit.BREAK : undefined;
    },
  });
  if (repeated) return undefined;
  try {
    return doc.toJS({ maxAliasCount: 0 });
  } catch {
    return undefined;
  }
}

function countOf(text: string, chars: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) if (chars.includes(text[i]!)) n++;
  return n;
}

function record(value: unknown, what: string, keys: ReadonlySet<string>, refuse: (why: string) => CapiMcpError): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw refuse(`${what} is not a mapping`);
  for (const key of Object.keys(value)) {
    if (keys.has(key)) continue;
    throw refuse(dangerous.has(key) ? `${what} sets "${key}"` : `${what} has a field outside the allow-list`);
  }
  return value as Record<string, unknown>;
}

function list(value: unknown, what: string, refuse: (why: string) => CapiMcpError): unknown[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || value.length > 16) throw refuse(`its ${what} is not a short list`);
  return value;
}

/**
 * Whether a management cluster's kubeconfig (the operator's own, not a tenant's) says
 * `disable-compression: true` on the cluster of `context` (default: its current context), as kubectl
 * reads it; client-node does not read the field.
 */
export function disablesCompression(text: string, context?: string): boolean {
  const doc: unknown = parseDocument(text).toJS();
  const named = (list: unknown, name: unknown): Record<string, unknown> | undefined => {
    const entry: unknown = Array.isArray(list) ? list.find((e) => e?.name === name) : undefined;
    return typeof entry === 'object' && entry !== null ? (entry as Record<string, unknown>) : undefined;
  };
  const root = (typeof doc === 'object' && doc !== null ? doc : {}) as Record<string, unknown>;
  const contextEntry = named(root.contexts, context ?? root['current-context'])?.context as Record<string, unknown> | undefined;
  const cluster = named(root.clusters, contextEntry?.cluster)?.cluster as Record<string, unknown> | undefined;
  return cluster?.['disable-compression'] === true;
}
