/**
 * The command lines of a sandbox's processes: etcd, kube-apiserver (with its audit policy),
 * kube-controller-manager and the Cluster API managers. Pure: paths, ports and certificate files in,
 * arguments out, so what makes the sandbox a faithful management cluster — client-certificate auth to
 * etcd, RBAC, the client CA, the audit of capi-mcp's identities — is unit-tested without starting anything.
 */
import { join } from 'node:path';
import type { SandboxPaths, SandboxPorts } from './layout.ts';
import type { SandboxPki } from './pki.ts';
import type { ProcessSpec } from './processes.ts';
import { featureGates, providers } from './recipe.ts';

/** The providers that run a manager here, in start order; each manager's ports follow it (sandboxPorts). */
export const managerProviders = providers.filter((p) => p.manager);
export const managerNames = managerProviders.map((p) => p.manager!);

export function etcdArgs(paths: SandboxPaths, ports: SandboxPorts, pki: SandboxPki): string[] {
  const client = `https://127.0.0.1:${ports.etcdClient}`;
  const peer = `https://127.0.0.1:${ports.etcdPeer}`;
  return [
    '--name=sandbox',
    `--data-dir=${paths.etcdData}`,
    `--listen-client-urls=${client}`,
    `--advertise-client-urls=${client}`,
    `--listen-peer-urls=${peer}`,
    `--initial-advertise-peer-urls=${peer}`,
    `--initial-cluster=sandbox=${peer}`,
    `--cert-file=${pki.etcdServer.cert}`,
    `--key-file=${pki.etcdServer.key}`,
    `--trusted-ca-file=${pki.ca.cert}`,
    '--client-cert-auth',
    `--peer-cert-file=${pki.etcdServer.cert}`,
    `--peer-key-file=${pki.etcdServer.key}`,
    `--peer-trusted-ca-file=${pki.ca.cert}`,
    '--peer-client-cert-auth',
    // Note: a sandbox trades durability on power loss for speed; its data is disposable.
    '--unsafe-no-fsync',
    '--log-level=warn',
  ];
}

/**
 * What the API server audits: every request of an identity capi-mcp runs as — the group `capi-mcp` (what
 * the EKS access entry maps the functions' IAM roles to) and ServiceAccounts (a self-hosted capi-mcp) —
 * and nothing of the controllers or the admin, so the log stays small. It answers "which identity made
 * this change", which no response the server gets can prove (tests read it to prove the workflow steps'
 * identity; an operator reads it to see what capi-mcp did). Metadata level: who, verb, object, URI, status;
 * never a request body, so no Secret content lands on disk.
 */
export const auditPolicy = `apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
  - level: Metadata
    userGroups: ["capi-mcp", "system:serviceaccounts"]
  - level: None
`;

/**
 * The Go runtime settings of the sandbox's processes, where the environment does not set them: collect
 * garbage when the heap has grown 400% (Go's default: 100%), up to a soft limit of 2 GiB a process.
 * Note: measured over a whole `npm test` on 2 cores, the API server spent 15% of its CPU in the
 * collector (its heap holds the watch caches of 53 CRDs, ~680 MB at the default) and the core manager
 * 18%; the sandbox runs on a developer's machine, where memory is plentiful and the cores are shared
 * with the tests. Behaviour is unchanged: only how often the collector runs.
 */
export function goRuntimeEnv(inherited: NodeJS.ProcessEnv): Record<string, string> {
  const defaults: Record<string, string> = { GOGC: '400', GOMEMLIMIT: '2GiB' };
  return Object.fromEntries(Object.entries(defaults).filter(([name]) => !inherited[name]));
}

/** Where `up` writes {@link auditPolicy} for the API server to read. */
export const auditPolicyPath = (paths: SandboxPaths) => join(paths.root, 'audit-policy.yaml');

/** The API server's audit log (JSON lines, one per request of a capi-mcp identity; see auditPolicy). */
export const auditLogPath = (paths: SandboxPaths) => join(paths.logs, 'kube-apiserver-audit.log');

export function apiServerArgs(paths: SandboxPaths, ports: SandboxPorts, pki: SandboxPki): string[] {
  const issuer = 'https://kubernetes.default.svc.cluster.local';
  return [
    `--audit-policy-file=${auditPolicyPath(paths)}`,
    `--audit-log-path=${auditLogPath(paths)}`,
    '--audit-log-format=json',
    // Note: the log backend writes before the response is sent (blocking mode, the default), so a test
    // reading it after a call's answer finds that call's record.
    '--audit-log-mode=blocking',
    '--audit-log-maxsize=100',
    '--audit-log-maxbackup=1',
    `--etcd-servers=https://127.0.0.1:${ports.etcdClient}`,
    `--etcd-cafile=${pki.ca.cert}`,
    `--etcd-certfile=${pki.etcdClient.cert}`,
    `--etcd-keyfile=${pki.etcdClient.key}`,
    '--bind-address=127.0.0.1',
    '--advertise-address=127.0.0.1',
    `--secure-port=${ports.apiServer}`,
    `--tls-cert-file=${pki.apiServer.cert}`,
    `--tls-private-key-file=${pki.apiServer.key}`,
    `--client-ca-file=${pki.ca.cert}`,
    '--authorization-mode=RBAC',
    `--service-account-issuer=${issuer}`,
    `--service-account-key-file=${pki.serviceAccountPub}`,
    `--service-account-signing-key-file=${pki.serviceAccountKey}`,
    '--service-cluster-ip-range=10.0.0.0/24',
    '--allow-privileged=false',
    '--profiling=false',
  ];
}

export function controllerManagerArgs(paths: SandboxPaths, ports: SandboxPorts, pki: SandboxPki): string[] {
  return [
    `--kubeconfig=${paths.kubeconfig}`,
    `--authentication-kubeconfig=${paths.kubeconfig}`,
    `--authorization-kubeconfig=${paths.kubeconfig}`,
    // Only what CAPI relies on: owner-reference garbage collection and namespace deletion.
    '--controllers=garbagecollector,namespace',
    '--bind-address=127.0.0.1',
    `--secure-port=${ports.controllerManager}`,
    `--tls-cert-file=${pki.controllerManager.cert}`,
    `--tls-private-key-file=${pki.controllerManager.key}`,
    '--leader-elect=false',
    '--use-service-account-credentials=false',
  ];
}

/** A Cluster API manager `name` on its own ports (see sandboxPorts), with the provider's extra `env`. */
export function managerSpec(
  name: string,
  binary: string,
  paths: SandboxPaths,
  ports: SandboxPorts,
  pki: SandboxPki,
  env: Readonly<Record<string, string>> = {},
): ProcessSpec {
  const p = ports.managers[name]!;
  const { debug, min, max } = ports.inMemory;
  return {
    name,
    binary,
    args: [
      '--leader-elect=false',
      `--webhook-port=${p.webhook}`,
      `--webhook-cert-dir=${pki.webhookDirs[name]}`,
      `--health-addr=127.0.0.1:${p.health}`,
      `--diagnostics-address=127.0.0.1:${p.diagnostics}`,
      '--insecure-diagnostics',
      `--feature-gates=${featureGates}`,
    ],
    env: { KUBECONFIG: paths.kubeconfig, CAPI_MCP_INMEMORY_PORTS: `${debug},${min},${max}`, ...env },
  };
}
