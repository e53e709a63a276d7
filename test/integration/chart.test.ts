/**
 * deploy/charts/capi-mcp as Helm (the pinned one: sandbox/helm.ts) lints and renders it, with the default
 * values and with every option set: every rendered object accepted by the sandbox's kube-apiserver (a
 * server-side dry run, against the real schemas and admission), the NetworkPolicy, Service and Deployment
 * selecting the same pods, the roles' rules exactly those of deploy/rbac, and values the chart must
 * refuse refused with the reason. The server run as this chart's pod runs it: container-pod.test.ts.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parse, stringify } from 'yaml';
import { createKey } from '../../shared/auth/key-admin.ts';
import { loadServingConfig } from '../../shared/config/config.ts';
import { FileKeyStore } from '../../shared/auth/key-store.ts';
import { chartDir, helm, renderChart, theOne, valuesFile, type Rendered } from '../support/helm.ts';
import { testSandbox, useNamespace } from '../support/sandbox.ts';
import { rbacDir } from '../support/service-account.ts';

const ns = await useNamespace('chart');
const release = `c${ns.name.slice(-6)}`;

/** A key document as `npm run keys -- create` writes it. */
async function keyDocument(): Promise<string> {
  const file = join(mkdtempSync(join(tmpdir(), 'capi-mcp-chart-keys-')), 'api-keys.json');
  await createKey(new FileKeyStore(file), { name: 'admin', scopes: ['admin'] });
  return readFileSync(file, 'utf8');
}

const configurations: Record<string, Record<string, unknown>> = {
  default: {},
  'read-write': { readOnly: false },
  'every option': {
    image: { repository: 'registry.example.com/platform/capi-mcp', digest: `sha256:${'a'.repeat(64)}`, pullPolicy: 'Always' },
    imagePullSecrets: [{ name: 'registry' }],
    readOnly: false,
    replicas: 1,
    allowedNamespaces: [ns.name, 'team-a'],
    allowedHosts: ['capi-mcp.platform.svc'],
    trustedProxies: ['10.244.0.0/16', 'fd00::/8'],
    logLevel: 'DEBUG',
    drainSeconds: 10,
    preStopSeconds: 3,
    apiKeys: { create: true, document: await keyDocument() },
    executions: { size: '2Gi', storageClassName: 'standard' },
    serviceAccount: { create: true, name: 'capi-mcp-agent', annotations: { 'example.com/owner': 'platform' } },
    rbac: { create: true, kubeconfigNamespaces: [ns.name] },
    service: { type: 'ClusterIP', port: 9090, annotations: { 'example.com/scrape': 'false' } },
    networkPolicy: {
      enabled: true,
      allowedClients: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'ingress-nginx' } } }, { podSelector: { matchLabels: { role: 'agent' } } }],
      apiServerCIDRs: ['10.96.0.1/32', '172.18.0.2/32'],
      apiServerPorts: [6443],
      extraEgress: [{ to: [{ ipBlock: { cidr: '169.254.20.10/32' } }], ports: [{ port: 53, protocol: 'UDP' }] }],
    },
    ingress: { enabled: true, className: 'nginx', host: 'capi-mcp.example.com', tlsSecretName: 'capi-mcp-tls', annotations: { 'nginx.ingress.kubernetes.io/proxy-read-timeout': '300' } },
    resources: { requests: { cpu: '200m', memory: '256Mi' }, limits: { memory: '1Gi' } },
    podAnnotations: { 'example.com/team': 'platform' },
    podLabels: { team: 'platform' },
    nodeSelector: { 'kubernetes.io/os': 'linux' },
    tolerations: [{ key: 'node-role.kubernetes.io/control-plane', operator: 'Exists', effect: 'NoSchedule' }],
    affinity: { nodeAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 1, preference: { matchExpressions: [{ key: 'kubernetes.io/os', operator: 'In', values: ['linux'] }] } }] } },
  },
  'read-only, three replicas, no NetworkPolicy, an existing ServiceAccount bound elsewhere': {
    replicas: 3,
    networkPolicy: { enabled: false },
    serviceAccount: { create: false, name: 'capi-mcp' },
    rbac: { create: false },
  },
};

const kubectl = (...args: string[]) => promisify(execFile)('kubectl', ['--kubeconfig', testSandbox().paths.kubeconfig, ...args]);
const rulesOf = (file: string) => parse(readFileSync(join(rbacDir, file), 'utf8')).rules;
const isSubset = (selector: Record<string, string>, labels: Record<string, string>) => Object.entries(selector).every(([k, v]) => labels[k] === v);

describe('the chart, rendered by Helm', () => {
  it('is built with the pinned Helm, and lints clean with the default values and with every option', async (t) => {
    const { stdout: version } = await helm('version', '--short');
    t.diagnostic(`helm ${version.trim()}`);
    assert.match(version, /^v4\.\d+\.\d+/);
    for (const [name, values] of Object.entries(configurations)) {
      const { stdout } = await helm('lint', chartDir, '--strict', '--namespace', ns.name, '--values', valuesFile(values));
      assert.match(stdout, /1 chart\(s\) linted, 0 chart\(s\) failed/, `${name}: ${stdout}`);
      assert.doesNotMatch(stdout, /\[(ERROR|WARNING)\]/, `${name}: ${stdout}`);
    }
  });

  for (const [name, values] of Object.entries(configurations)) {
    describe(`with ${name === 'default' ? 'the default values' : name}`, () => {
      let objects: Rendered[];

      it('renders objects the API server accepts in a server-side dry run', async (t) => {
        objects = await renderChart(release, ns.name, values);
        const kinds = objects.map((o) => o.kind);
        t.diagnostic(`${objects.length} objects: ${[...new Set(kinds)].map((k) => `${k} ${kinds.filter((x) => x === k).length}`).join(', ')}`);
        const file = join(mkdtempSync(join(tmpdir(), 'capi-mcp-chart-')), 'rendered.yaml');
        writeFileSync(file, objects.map((o) => stringify(o)).join('---\n'));
        const { stdout } = await kubectl('apply', '--dry-run=server', '-o', 'name', '-f', file);
        assert.equal(stdout.trim().split('\n').length, objects.length, stdout);
      });

      it('tells in its NOTES how to make the first key and connect an agent', async () => {
        const { stdout } = await helm('install', release, chartDir, '--dry-run=client', '--namespace', ns.name, '--values', valuesFile(values));
        const notes = stdout.slice(stdout.indexOf('NOTES:'));
        const v = values as any;
        if (v.apiKeys?.create) assert.doesNotMatch(notes, /npm run keys -- create/);
        else assert.ok(notes.includes(`kubectl -n ${ns.name} create secret generic ${v.apiKeys?.existingSecret ?? 'capi-mcp-api-keys'} --from-file=api-keys.json`), notes);
        const endpoint = v.ingress?.enabled ? `https://${v.ingress.host}/mcp` : 'http://127.0.0.1:8080/mcp';
        assert.ok(notes.includes(`claude mcp add --transport http capi ${endpoint}`), notes);
      });

      it('selects one set of pods: the Deployment, its Service and its NetworkPolicy, by the pod template labels', () => {
        const deployment = theOne(objects, 'Deployment');
        const podLabels = deployment.spec.template.metadata.labels;
        assert.ok(isSubset(deployment.spec.selector.matchLabels, podLabels), 'the Deployment selects its own pods');
        const service = theOne(objects, 'Service');
        assert.ok(isSubset(service.spec.selector, podLabels), 'the Service selects the pods');
        const containerPorts = deployment.spec.template.spec.containers[0].ports.map((p: { name: string }) => p.name);
        assert.ok(containerPorts.includes(service.spec.ports[0].targetPort), 'the Service targets a port the container names');
        const policies = objects.filter((o) => o.kind === 'NetworkPolicy');
        if ((values as any).networkPolicy?.enabled === false) return assert.equal(policies.length, 0);
        const policy = theOne(objects, 'NetworkPolicy');
        assert.ok(isSubset(policy.spec.podSelector.matchLabels, podLabels), 'the NetworkPolicy applies to the pods');
        assert.deepEqual(policy.spec.policyTypes, ['Ingress', 'Egress']);
        for (const rule of policy.spec.ingress) for (const port of rule.ports) assert.ok(containerPorts.includes(port.port), `ingress port ${port.port} is the container's`);
      });

      it("grants the roles of deploy/rbac, rule for rule, to the chart's ServiceAccount alone", () => {
        const roles = objects.filter((o) => o.kind === 'ClusterRole');
        if ((values as any).rbac?.create === false) return assert.deepEqual(roles, []);
        const readOnly = (values as any).readOnly !== false;
        const byName = Object.fromEntries(roles.map((r) => [r.metadata.name.slice(r.metadata.name.lastIndexOf('-') + 1), r.rules]));
        assert.deepEqual(Object.keys(byName).sort(), readOnly ? ['kubeconfig', 'read'] : ['kubeconfig', 'read', 'write']);
        assert.deepEqual(byName.read, rulesOf('base/capi-mcp-read.yaml'));
        assert.deepEqual(byName.kubeconfig, rulesOf('base/capi-mcp-kubeconfig.yaml'));
        if (!readOnly) assert.deepEqual(byName.write, rulesOf('read-write/capi-mcp-write.yaml'));
        const account = theOne(objects, 'ServiceAccount');
        const bindings = objects.filter((o) => o.kind === 'ClusterRoleBinding' || o.kind === 'RoleBinding');
        for (const binding of bindings) assert.deepEqual(binding.subjects, [{ kind: 'ServiceAccount', name: account.metadata.name, namespace: ns.name }]);
        // The kubeconfig role is never bound cluster-wide: only per namespace named.
        assert.ok(!bindings.some((b) => b.kind === 'ClusterRoleBinding' && b.roleRef.name.endsWith('-kubeconfig')));
        assert.deepEqual(bindings.filter((b) => b.kind === 'RoleBinding').map((b) => b.metadata.namespace), (values as any).rbac?.kubeconfigNamespaces ?? []);
      });

      it('runs the pod locked down: non-root, read-only root, no privilege, no Service links, probes on /healthz and /readyz', () => {
        const pod = theOne(objects, 'Deployment').spec.template.spec;
        const [container] = pod.containers;
        assert.equal(pod.enableServiceLinks, false);
        assert.equal(pod.securityContext.runAsNonRoot, true);
        assert.equal(pod.securityContext.seccompProfile.type, 'RuntimeDefault');
        assert.deepEqual(container.securityContext, { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
        assert.equal(container.readinessProbe.httpGet.path, '/readyz');
        assert.equal(container.livenessProbe.httpGet.path, '/healthz');
        const env = Object.fromEntries(container.env.map((e: { name: string; value: string }) => [e.name, e.value]));
        const readOnly = (values as any).readOnly !== false;
        assert.equal(env.CAPI_MCP_READ_ONLY, String(readOnly));
        assert.equal('CAPI_MCP_EXECUTIONS_DIR' in env, !readOnly);
        assert.ok(pod.terminationGracePeriodSeconds > Number(env.CAPI_MCP_DRAIN_SECONDS), 'the drain ends before the kubelet kills the pod');
        // Every setting the chart gives the server is one the server accepts.
        assert.doesNotThrow(() => loadServingConfig(env));
        assert.equal(env.CAPI_MCP_TRUSTED_PROXIES, ((values as any).trustedProxies ?? []).join(',') || undefined);
      });
    });
  }

  it('installs on the sandbox read-only, then upgrades to read-write (the Deployment turned Recreate, the write role bound) and uninstalls', async () => {
    const installed = `${release}-up`;
    const kubeconfig = ['--kubeconfig', testSandbox().paths.kubeconfig, '--namespace', ns.name];
    await helm('install', installed, chartDir, ...kubeconfig, '--values', valuesFile({ networkPolicy: { enabled: true } }));
    let uninstalled = false;
    try {
      const deployment = async () => JSON.parse((await kubectl('get', 'deployment', `${installed}-capi-mcp`, '-n', ns.name, '-o', 'json')).stdout);
      assert.equal((await deployment()).spec.strategy.type, 'RollingUpdate');
      await helm('upgrade', installed, chartDir, ...kubeconfig, '--values', valuesFile({ readOnly: false }));
      const upgraded = await deployment();
      assert.equal(upgraded.spec.strategy.type, 'Recreate');
      assert.equal(upgraded.spec.strategy.rollingUpdate, undefined);
      const bindings = JSON.parse((await kubectl('get', 'clusterrolebindings', '-l', `app.kubernetes.io/instance=${installed}`, '-o', 'json')).stdout);
      assert.deepEqual(bindings.items.map((b: any) => b.roleRef.name.split('-').at(-1)).sort(), ['read', 'write']);
      await helm('uninstall', installed, ...kubeconfig);
      uninstalled = true;
      const left = JSON.parse((await kubectl('get', 'clusterroles,clusterrolebindings', '-l', `app.kubernetes.io/instance=${installed}`, '-o', 'json')).stdout);
      assert.deepEqual(left.items, [], 'no cluster-wide object left behind');
    } finally {
      if (!uninstalled) await helm('uninstall', installed, ...kubeconfig).catch(() => undefined);
    }
  });

  const refused: [string, Record<string, unknown>, RegExp][] = [
    ['two replicas of a read-write server', { readOnly: false, replicas: 2 }, /exactly 1/],
    ['no replicas', { replicas: 0 }, /replicas/],
    ['a log level the server does not know', { logLevel: 'LOUD' }, /logLevel/],
    ['a misspelt value', { replica: 1 }, /replica/],
    ['an image digest that is no digest', { image: { repository: 'capi-mcp', digest: 'latest' } }, /digest/],
    ['a namespace that is no name', { allowedNamespaces: ['Team_A'] }, /allowedNamespaces/],
    ['a created key Secret without a document', { apiKeys: { create: true } }, /apiKeys.document is required/],
    ['a created key Secret whose document is not one', { apiKeys: { create: true, document: '{"hello": "world"}' } }, /not a key document/],
    ['an Ingress without a host', { ingress: { enabled: true } }, /ingress.host is required/],
    ['a ServiceAccount name that carries YAML', { serviceAccount: { create: false, name: 'x\n      hostPID: true' } }, /serviceAccount/],
    ['a claim name that carries YAML', { readOnly: false, executions: { existingClaim: 'x\n  - name: evil' } }, /existingClaim/],
    ["binding the roles to the namespace's default ServiceAccount", { serviceAccount: { create: false, name: 'default' } }, /every pod that runs as it/],
    ['a preStop pause of 0 s (refused by Kubernetes 1.30 to 1.32)', { preStopSeconds: 0 }, /preStopSeconds/],
    ['trusting every address as a proxy', { trustedProxies: ['0.0.0.0/0'] }, /trustedProxies/],
  ];
  for (const [name, values, reason] of refused) {
    it(`refuses ${name}, saying why`, async () => {
      await assert.rejects(renderChart(release, ns.name, values), reason);
    });
  }
});
