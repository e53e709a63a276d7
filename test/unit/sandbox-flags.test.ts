/**
 * sandbox/flags.ts: the command lines that make the sandbox a faithful management cluster — etcd only
 * for client certificates of the sandbox CA, an API server that authenticates with the client CA and
 * authorizes with RBAC and audits capi-mcp's identities (and nothing of the admin), the controller
 * manager's two controllers, and every port derived from the port base.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { parse } from 'yaml';
import {
  apiServerArgs,
  auditLogPath,
  auditPolicy,
  auditPolicyPath,
  controllerManagerArgs,
  etcdArgs,
  goRuntimeEnv,
  managerNames,
  managerProviders,
  managerSpec,
} from '../../sandbox/flags.ts';
import { sandboxPaths, sandboxPorts } from '../../sandbox/layout.ts';
import type { SandboxPki } from '../../sandbox/pki.ts';
import { featureGates } from '../../sandbox/recipe.ts';

/** A sandbox as `up` sees it: paths under `/data`, ports from `portBase`, certificate files under its pki folder. */
function sandboxAt(portBase: number) {
  const paths = sandboxPaths({ dataDir: '/data', portBase });
  const pair = (name: string) => ({ cert: join(paths.pki, `${name}.crt`), key: join(paths.pki, `${name}.key`) });
  const pki: SandboxPki = {
    ca: pair('ca'),
    apiServer: pair('apiserver'),
    etcdServer: pair('etcd-server'),
    etcdClient: pair('apiserver-etcd-client'),
    admin: pair('admin'),
    controllerManager: pair('controller-manager'),
    webhookDirs: Object.fromEntries(managerNames.map((name) => [name, join(paths.pki, 'webhooks', name)])),
    serviceAccountKey: join(paths.pki, 'sa.key'),
    serviceAccountPub: join(paths.pki, 'sa.pub'),
  };
  return { paths, ports: sandboxPorts(portBase, managerNames), pki };
}

/**
 * The flags of a command line by name (`--x=1 --y` → x: ['1'], y: ['']). Fails on an argument that is
 * not a flag and on a flag given twice: the binaries take the last of two, which hides the first.
 */
function flagsOf(args: readonly string[]): Map<string, string> {
  const flags = new Map<string, string>();
  for (const arg of args) {
    const match = /^--([a-z0-9-]+)(?:=(.*))?$/s.exec(arg);
    assert.ok(match, `"${arg}" is not a --flag[=value]`);
    assert.ok(!flags.has(match[1]!), `--${match[1]} is given twice`);
    flags.set(match[1]!, match[2] ?? '');
  }
  return flags;
}

/** The expected value of each named flag, compared together so a failure shows every difference. */
function assertFlags(args: readonly string[], expected: Record<string, string>): void {
  const flags = flagsOf(args);
  const actual = Object.fromEntries(Object.keys(expected).map((name) => [name, flags.get(name) ?? '(absent)']));
  assert.deepEqual(actual, expected);
}

const portBases = [6000, 21000];

describe('etcdArgs', () => {
  it('accepts only clients and peers with a certificate of the sandbox CA', () => {
    const { paths, ports, pki } = sandboxAt(21000);
    assertFlags(etcdArgs(paths, ports, pki), {
      'client-cert-auth': '',
      'trusted-ca-file': '/data/sandbox/pki/ca.crt',
      'peer-client-cert-auth': '',
      'peer-trusted-ca-file': '/data/sandbox/pki/ca.crt',
      'cert-file': '/data/sandbox/pki/etcd-server.crt',
      'key-file': '/data/sandbox/pki/etcd-server.key',
    });
  });

  for (const base of portBases) {
    it(`serves clients over TLS on base+1 and peers on base+2 (base ${base})`, () => {
      const { paths, ports, pki } = sandboxAt(base);
      assertFlags(etcdArgs(paths, ports, pki), {
        'listen-client-urls': `https://127.0.0.1:${base + 1}`,
        'advertise-client-urls': `https://127.0.0.1:${base + 1}`,
        'listen-peer-urls': `https://127.0.0.1:${base + 2}`,
        'initial-advertise-peer-urls': `https://127.0.0.1:${base + 2}`,
        'initial-cluster': `sandbox=https://127.0.0.1:${base + 2}`,
      });
    });
  }

  it('keeps its data in the data folder', () => {
    const { paths, ports, pki } = sandboxAt(21000);
    assertFlags(etcdArgs(paths, ports, pki), { 'data-dir': '/data/sandbox/etcd' });
  });
});

describe('apiServerArgs', () => {
  it('authenticates clients with the sandbox CA and authorizes them with RBAC only', () => {
    const { paths, ports, pki } = sandboxAt(21000);
    assertFlags(apiServerArgs(paths, ports, pki), {
      'client-ca-file': '/data/sandbox/pki/ca.crt',
      'authorization-mode': 'RBAC',
      'allow-privileged': 'false',
    });
  });

  for (const base of portBases) {
    it(`listens on the port base on loopback and reaches etcd on base+1 with its client certificate (base ${base})`, () => {
      const { paths, ports, pki } = sandboxAt(base);
      assertFlags(apiServerArgs(paths, ports, pki), {
        'secure-port': String(base),
        'bind-address': '127.0.0.1',
        'etcd-servers': `https://127.0.0.1:${base + 1}`,
        'etcd-cafile': '/data/sandbox/pki/ca.crt',
        'etcd-certfile': '/data/sandbox/pki/apiserver-etcd-client.crt',
        'etcd-keyfile': '/data/sandbox/pki/apiserver-etcd-client.key',
      });
    });
  }

  it('audits to a JSON log in the logs folder, written before each answer (blocking), with the policy up writes', () => {
    const { paths, ports, pki } = sandboxAt(21000);
    assertFlags(apiServerArgs(paths, ports, pki), {
      'audit-policy-file': auditPolicyPath(paths),
      'audit-log-path': auditLogPath(paths),
      'audit-log-format': 'json',
      'audit-log-mode': 'blocking',
    });
    assert.equal(auditPolicyPath(paths), '/data/sandbox/audit-policy.yaml');
    assert.equal(auditLogPath(paths), '/data/sandbox/logs/kube-apiserver-audit.log');
  });

  it('signs and verifies ServiceAccount tokens with the sandbox key pair', () => {
    const { paths, ports, pki } = sandboxAt(21000);
    assertFlags(apiServerArgs(paths, ports, pki), {
      'service-account-key-file': '/data/sandbox/pki/sa.pub',
      'service-account-signing-key-file': '/data/sandbox/pki/sa.key',
      'service-account-issuer': 'https://kubernetes.default.svc.cluster.local',
    });
  });
});

/**
 * The audit level the policy gives a user, by the API server's rule: the first rule whose `users` and
 * `userGroups` (when set) match decides. Fails on a rule with other selectors, which this does not judge.
 */
function auditLevelOf(user: { name: string; groups: readonly string[] }): string {
  const policy = parse(auditPolicy) as { rules: { level: string; users?: string[]; userGroups?: string[] }[] };
  for (const rule of policy.rules) {
    assert.deepEqual(Object.keys(rule).filter((k) => !['level', 'users', 'userGroups'].includes(k)), [], 'a rule selects by user only');
    const userMatches = !rule.users || rule.users.includes(user.name);
    const groupMatches = !rule.userGroups || rule.userGroups.some((g) => user.groups.includes(g));
    if (userMatches && groupMatches) return rule.level;
  }
  return 'None';
}

describe('auditPolicy', () => {
  for (const [who, user, level] of [
    ['a capi-mcp function (the EKS access entry maps its role to the group capi-mcp)', { name: 'arn:aws:sts::1:assumed-role/mcp/f', groups: ['capi-mcp', 'system:authenticated'] }, 'Metadata'],
    ['a self-hosted capi-mcp running as a ServiceAccount', { name: 'system:serviceaccount:capi:capi-mcp', groups: ['system:serviceaccounts', 'system:serviceaccounts:capi', 'system:authenticated'] }, 'Metadata'],
    ['the sandbox admin (system:masters), which the controllers run as too', { name: 'capi-mcp-sandbox-admin', groups: ['system:masters', 'system:authenticated'] }, 'None'],
    ['the API server itself', { name: 'system:apiserver', groups: ['system:masters'] }, 'None'],
    ['an anonymous request', { name: 'system:anonymous', groups: ['system:unauthenticated'] }, 'None'],
    ['another authenticated user', { name: 'alice', groups: ['developers', 'system:authenticated'] }, 'None'],
  ] as const) {
    it(`gives ${who} level ${level}`, () => {
      assert.equal(auditLevelOf(user), level);
    });
  }

  it('never records a request or response body (no level above Metadata)', () => {
    const policy = parse(auditPolicy) as { rules: { level: string }[] };
    assert.deepEqual([...new Set(policy.rules.map((r) => r.level))].sort(), ['Metadata', 'None']);
  });

  it('is an audit.k8s.io/v1 Policy that skips the RequestReceived stage', () => {
    const policy = parse(auditPolicy) as { apiVersion: string; kind: string; omitStages: string[] };
    assert.deepEqual([policy.apiVersion, policy.kind, policy.omitStages], ['audit.k8s.io/v1', 'Policy', ['RequestReceived']]);
  });
});

describe('controllerManagerArgs', () => {
  it('runs only the garbage collector and the namespace controller, which CAPI relies on', () => {
    const { paths, ports, pki } = sandboxAt(21000);
    assertFlags(controllerManagerArgs(paths, ports, pki), { controllers: 'garbagecollector,namespace', 'leader-elect': 'false' });
  });

  for (const base of portBases) {
    it(`serves on base+3 on loopback with its own certificate (base ${base})`, () => {
      const { paths, ports, pki } = sandboxAt(base);
      assertFlags(controllerManagerArgs(paths, ports, pki), {
        'secure-port': String(base + 3),
        'bind-address': '127.0.0.1',
        'tls-cert-file': '/data/sandbox/pki/controller-manager.crt',
        'tls-private-key-file': '/data/sandbox/pki/controller-manager.key',
        kubeconfig: '/data/sandbox/kubeconfig',
      });
    });
  }
});

describe('managerSpec', () => {
  it('runs the four Cluster API managers, in this order', () => {
    assert.deepEqual(managerNames, ['capi-manager', 'kubeadm-control-plane-manager', 'kubeadm-bootstrap-manager', 'capd-manager']);
  });

  for (const base of portBases) {
    for (const [name, offset] of [
      ['capi-manager', 10],
      ['kubeadm-control-plane-manager', 13],
      ['kubeadm-bootstrap-manager', 16],
      ['capd-manager', 19],
    ] as const) {
      it(`gives ${name} its webhook, health and diagnostics ports at base+${offset}..+${offset + 2} (base ${base})`, () => {
        const { paths, ports, pki } = sandboxAt(base);
        const spec = managerSpec(name, `/bin/${name}`, paths, ports, pki);
        assertFlags(spec.args, {
          'webhook-port': String(base + offset),
          'health-addr': `127.0.0.1:${base + offset + 1}`,
          'diagnostics-address': `127.0.0.1:${base + offset + 2}`,
          'webhook-cert-dir': `/data/sandbox/pki/webhooks/${name}`,
          'leader-elect': 'false',
          'feature-gates': featureGates,
        });
        assert.deepEqual([spec.name, spec.binary], [name, `/bin/${name}`]);
      });
    }

    it(`tells each manager the sandbox kubeconfig and the in-memory provider's ports (base ${base})`, () => {
      const { paths, ports, pki } = sandboxAt(base);
      for (const name of managerNames) {
        assert.deepEqual(managerSpec(name, '/bin/m', paths, ports, pki).env, {
          KUBECONFIG: '/data/sandbox/kubeconfig',
          CAPI_MCP_INMEMORY_PORTS: `${base + 99},${base + 1000},${base + 4999}`,
        });
      }
    });
  }

  it("adds a provider's own environment (the in-memory provider's POD_IP)", () => {
    const { paths, ports, pki } = sandboxAt(21000);
    const capd = managerProviders.find((p) => p.manager === 'capd-manager')!;
    assert.equal(managerSpec('capd-manager', '/bin/capd', paths, ports, pki, capd.env).env?.POD_IP, '127.0.0.1');
  });
});

describe('every command line', () => {
  it('is made of --flags, each given once', () => {
    const { paths, ports, pki } = sandboxAt(21000);
    for (const args of [
      etcdArgs(paths, ports, pki),
      apiServerArgs(paths, ports, pki),
      controllerManagerArgs(paths, ports, pki),
      ...managerNames.map((name) => managerSpec(name, '/bin/m', paths, ports, pki).args),
    ]) {
      flagsOf(args);
    }
  });
});

describe('goRuntimeEnv', () => {
  it('sets a lazier garbage collector with a soft memory limit', () => {
    assert.deepEqual(goRuntimeEnv({}), { GOGC: '400', GOMEMLIMIT: '2GiB' });
  });

  it('leaves what the environment sets to it', () => {
    assert.deepEqual(goRuntimeEnv({ GOGC: '100' }), { GOMEMLIMIT: '2GiB' });
    assert.deepEqual(goRuntimeEnv({ GOGC: 'off', GOMEMLIMIT: '512MiB' }), {});
  });
});
