/** Configuration from the environment and the one gating predicate, both table-driven. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig, loadServingConfig, requireKeyStore } from '../../shared/config/config.ts';
import { isToolApplicable, tools } from '../../shared/mcp/registry.ts';

describe('loadConfig', () => {
  it('names a KUBECONFIG-only setup "default"', () => {
    assert.deepEqual(loadConfig({ KUBECONFIG: '/k' }).managementClusters, [{ name: 'default', kubeconfig: '/k' }]);
  });

  it('reads named management clusters, kubeconfig and EKS', () => {
    const clusters = [
      { name: 'a', kubeconfig: '/a', context: 'ctx' },
      { name: 'b', eks: { clusterName: 'mgmt', region: 'eu-west-1' } },
    ];
    assert.deepEqual(loadConfig({ CAPI_MCP_MANAGEMENT_CLUSTERS: JSON.stringify(clusters) }).managementClusters, clusters);
  });

  it('in a pod without a kubeconfig, names the cluster it runs in "in-cluster", reached over https with the mounted token and CA', () => {
    const pod = { KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT: '443' };
    assert.deepEqual(loadConfig(pod).managementClusters, [
      {
        name: 'in-cluster',
        inCluster: {
          server: 'https://10.96.0.1:443',
          caFile: '/var/run/secrets/kubernetes.io/serviceaccount/ca.crt',
          tokenFile: '/var/run/secrets/kubernetes.io/serviceaccount/token',
        },
      },
    ]);
    // https even on the ports client-node would take for plain http; IPv6 in brackets; a token mounted elsewhere.
    const other = loadConfig({ KUBERNETES_SERVICE_HOST: 'fd00::1', KUBERNETES_SERVICE_PORT: '8080', CAPI_MCP_SERVICE_ACCOUNT_DIR: '/var/run/secrets/capi-mcp/' });
    assert.deepEqual(other.managementClusters, [
      { name: 'in-cluster', inCluster: { server: 'https://[fd00::1]:8080', caFile: '/var/run/secrets/capi-mcp/ca.crt', tokenFile: '/var/run/secrets/capi-mcp/token' } },
    ]);
    assert.equal((loadConfig({ KUBERNETES_SERVICE_HOST: 'kubernetes.default.svc', KUBERNETES_SERVICE_PORT: '6443' }).managementClusters[0] as any).inCluster.server, 'https://kubernetes.default.svc:6443');
    // A kubeconfig the operator gives wins over the pod's own cluster.
    assert.deepEqual(loadConfig({ ...pod, KUBECONFIG: '/k' }).managementClusters, [{ name: 'default', kubeconfig: '/k' }]);
  });

  const failures: [string, NodeJS.ProcessEnv, RegExp][] = [
    ['half a pod environment', { KUBERNETES_SERVICE_HOST: '10.96.0.1' }, /KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT must be/],
    ['a pod environment whose port is not a number', { KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT: 'tcp://x' }, /a port number/],
    ...(['evil.example/x?', 'https://kubernetes', 'user@10.96.0.1', 'fe80::1%eth0', 'kube rnetes', ''] as const).map(
      (host): [string, NodeJS.ProcessEnv, RegExp] => [`a pod environment whose host is "${host}"`, { KUBERNETES_SERVICE_HOST: host, KUBERNETES_SERVICE_PORT: '443' }, /must be a host name or IP address/],
    ),
    ...(['0', '00443', '65536', '443x'] as const).map(
      (port): [string, NodeJS.ProcessEnv, RegExp] => [`a pod environment whose port is "${port}"`, { KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT: port }, /a port number/],
    ),
    ['an empty CAPI_MCP_MANAGEMENT_CLUSTERS in a pod', { CAPI_MCP_MANAGEMENT_CLUSTERS: '', KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT: '443' }, /CAPI_MCP_MANAGEMENT_CLUSTERS is set but empty/],
    ['an empty KUBECONFIG in a pod', { KUBECONFIG: '', KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT: '443' }, /KUBECONFIG is set but empty/],
    ['TLS verification turned off for the process', { KUBECONFIG: '/k', NODE_TLS_REJECT_UNAUTHORIZED: '0' }, /NODE_TLS_REJECT_UNAUTHORIZED=0 turns off TLS verification/],
    ['no management cluster at all', {}, /Environment variable CAPI_MCP_MANAGEMENT_CLUSTERS or KUBECONFIG is required/],
    ['management clusters that are not JSON', { CAPI_MCP_MANAGEMENT_CLUSTERS: '[' }, /CAPI_MCP_MANAGEMENT_CLUSTERS is not JSON/],
    ['an empty list', { CAPI_MCP_MANAGEMENT_CLUSTERS: '[]' }, /CAPI_MCP_MANAGEMENT_CLUSTERS is invalid/],
    ['an entry with an unknown field', { CAPI_MCP_MANAGEMENT_CLUSTERS: '[{"name":"a","kubeconfig":"/a","x":1}]' }, /is invalid/],
    ['a duplicate name', { CAPI_MCP_MANAGEMENT_CLUSTERS: '[{"name":"a","kubeconfig":"/a"},{"name":"a","kubeconfig":"/b"}]' }, /names "a" twice/],
    ['a read-only flag that is not a boolean', { KUBECONFIG: '/k', CAPI_MCP_READ_ONLY: 'yes' }, /CAPI_MCP_READ_ONLY must be "true" or "false"/],
    ['two key stores at once', { KUBECONFIG: '/k', CAPI_MCP_API_KEYS_FILE: '/f', CAPI_MCP_API_KEYS_SECRET_ARN: 'arn' }, /Set only one of/],
  ];
  for (const [name, env, message] of failures) {
    it(`fails start-up on ${name}`, () => assert.throws(() => loadConfig(env), message));
  }

  it('reads allowed hosts and the read-only flag', () => {
    const config = loadConfig({ KUBECONFIG: '/k', CAPI_MCP_ALLOWED_HOSTS: 'a.example.com, b.example.com', CAPI_MCP_READ_ONLY: 'true' });
    assert.deepEqual(config.allowedHosts, ['a.example.com', 'b.example.com']);
    assert.equal(config.readOnly, true);
  });

  it('is read-only unless told otherwise: a real management cluster is not changed by default', () => {
    assert.equal(loadConfig({ KUBECONFIG: '/k' }).readOnly, true);
    assert.equal(loadConfig({ KUBECONFIG: '/k', CAPI_MCP_READ_ONLY: 'false' }).readOnly, false);
  });

  it('reads the key store, and a server without one refuses to start', () => {
    assert.deepEqual(loadConfig({ KUBECONFIG: '/k', CAPI_MCP_API_KEYS_SECRET_ARN: 'arn:s' }).apiKeys, { kind: 'secretsmanager', secretId: 'arn:s' });
    assert.deepEqual(loadConfig({ KUBECONFIG: '/k', CAPI_MCP_API_KEYS_FILE: '/f' }).apiKeys, { kind: 'file', path: '/f' });
    assert.throws(() => requireKeyStore(loadConfig({ KUBECONFIG: '/k' })), /CAPI_MCP_API_KEYS_SECRET_ARN or CAPI_MCP_API_KEYS_FILE is required/);
  });

  it('reads the server-wide namespace limit', () => {
    assert.deepEqual(loadConfig({ KUBECONFIG: '/k', CAPI_MCP_ALLOWED_NAMESPACES: 'a, b' }).allowedNamespaces, ['a', 'b']);
    assert.equal(loadConfig({ KUBECONFIG: '/k' }).allowedNamespaces, undefined);
  });

  for (const value of ['', ' ', ',', ' , ']) {
    it(`refuses to start when CAPI_MCP_ALLOWED_NAMESPACES is set but names no namespace (${JSON.stringify(value)}), instead of lifting the limit`, () => {
      assert.throws(() => loadConfig({ KUBECONFIG: '/k', CAPI_MCP_ALLOWED_NAMESPACES: value }), /^Error: Environment variable CAPI_MCP_ALLOWED_NAMESPACES is set but names no namespace$/);
    });
  }
});

describe('loadServingConfig', () => {
  it('binds every address (no host) on port 8080 with no executions folder and a 20 s drain when nothing is set', () => {
    assert.deepEqual(loadServingConfig({}), { port: 8080, drainSeconds: 20 });
  });

  it('reads the address, port, executions folder and drain the environment sets', () => {
    assert.deepEqual(loadServingConfig({ CAPI_MCP_HOST: '127.0.0.1', CAPI_MCP_PORT: '0', CAPI_MCP_EXECUTIONS_DIR: '/var/lib/capi-mcp/executions', CAPI_MCP_DRAIN_SECONDS: '5' }), {
      host: '127.0.0.1',
      port: 0,
      executionsDir: '/var/lib/capi-mcp/executions',
      drainSeconds: 5,
    });
  });

  const refused: [string, NodeJS.ProcessEnv, RegExp][] = [
    ['a port past 65535', { CAPI_MCP_PORT: '65536' }, /CAPI_MCP_PORT must be a whole number from 0 to 65535, got "65536"/],
    ['a port that is no number', { CAPI_MCP_PORT: '80a' }, /CAPI_MCP_PORT must be a whole number/],
    ['a negative drain', { CAPI_MCP_DRAIN_SECONDS: '-1' }, /CAPI_MCP_DRAIN_SECONDS must be a whole number from 0 to 3600/],
    ['an address that is a URL', { CAPI_MCP_HOST: 'http://0.0.0.0' }, /CAPI_MCP_HOST must be an IP address or host name/],
  ];
  for (const [name, env, message] of refused) it(`fails start-up on ${name}`, () => assert.throws(() => loadServingConfig(env), message));
});

describe('isToolApplicable', () => {
  const tool = (readOnlyHint: boolean, destructiveHint: boolean) => ({
    annotations: { readOnlyHint, destructiveHint, idempotentHint: true, openWorldHint: false },
  });
  const table: [string, ReturnType<typeof tool>, { readOnly: boolean; disableDestructive: boolean }, boolean][] = [
    ['a read tool on a read-only server is exposed', tool(true, false), { readOnly: true, disableDestructive: false }, true],
    ['a write tool on a read-only server is hidden', tool(false, false), { readOnly: true, disableDestructive: false }, false],
    ['a destructive tool on a read-only server is hidden', tool(false, true), { readOnly: true, disableDestructive: false }, false],
    ['a destructive tool with destructive tools disabled is hidden', tool(false, true), { readOnly: false, disableDestructive: true }, false],
    ['a non-destructive write tool with destructive tools disabled is exposed', tool(false, false), { readOnly: false, disableDestructive: true }, true],
    ['a destructive tool on a read-write server is exposed', tool(false, true), { readOnly: false, disableDestructive: false }, true],
  ];
  for (const [name, t, gating, expected] of table) {
    it(name, () => assert.equal(isToolApplicable(t, gating), expected));
  }

  it('every registered tool sets all four annotations explicitly', () => {
    for (const t of tools) {
      assert.deepEqual(Object.keys(t.annotations).sort(), ['destructiveHint', 'idempotentHint', 'openWorldHint', 'readOnlyHint'], t.name);
    }
  });

  it('tool names are unique and snake_case', () => {
    const names = tools.map((t) => t.name);
    assert.equal(new Set(names).size, names.length);
    assert.ok(names.every((n) => /^[a-z]+(_[a-z]+)*$/.test(n)), names.join(', '));
  });
});
