/**
 * shared/kube/kubeconfig.ts: kubeconfigs from Secrets are untrusted. What a tenant could plant to make a
 * client library run a command, read a file, use a proxy, weaken TLS or reach another address is
 * refused; what Cluster API and CAPA write passes, and is rebuilt from its checked parts only.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parse, stringify } from 'yaml';
import { CapiMcpError } from '../../shared/errors.ts';
import { assertServerIsEndpoint, kubeconfigText, maxKubeconfigBytes, parseKubeconfig } from '../../shared/kube/kubeconfig.ts';

const pem = (label: string) => Buffer.from(`-----BEGIN ${label}-----\nMIIBfake\n-----END ${label}-----\n`).toString('base64');
const ca = pem('CERTIFICATE');

/** CAPI's admin kubeconfig shape (clientcmd.Write of KCP's), with overrides per part. */
function kubeconfig({ cluster = {}, user = {}, root = {} }: { cluster?: Record<string, unknown>; user?: Record<string, unknown>; root?: Record<string, unknown> } = {}): string {
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'c1', cluster: { server: 'https://10.0.0.1:6443', 'certificate-authority-data': ca, ...cluster } }],
    contexts: [{ name: 'c1-admin@c1', context: { cluster: 'c1', user: 'c1-admin' } }],
    'current-context': 'c1-admin@c1',
    preferences: {},
    users: [{ name: 'c1-admin', user: { 'client-certificate-data': pem('CERTIFICATE'), 'client-key-data': pem('RSA PRIVATE KEY'), ...user } }],
    ...root,
  });
}

const awsExec = { apiVersion: 'client.authentication.k8s.io/v1beta1', command: 'aws', args: ['eks', 'get-token', '--cluster-name', 'ns_eks-1'], env: null, provideClusterInfo: false };

function refusal(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof CapiMcpError, `a CapiMcpError, not ${String(error)}`);
    return error.message;
  }
  assert.fail('expected a refusal');
}

describe('parseKubeconfig', () => {
  it("accepts CAPI's admin kubeconfig and keeps server, CA and the certificate pair", () => {
    const parsed = parseKubeconfig(kubeconfig());
    assert.equal(parsed.server, 'https://10.0.0.1:6443');
    assert.equal(parsed.caData, ca);
    assert.equal(parsed.credential.kind, 'client-certificate');
  });

  it("accepts CAPA's EKS controller kubeconfig, a bearer token", () => {
    const parsed = parseKubeconfig(kubeconfig({ user: { 'client-certificate-data': undefined, 'client-key-data': undefined, token: 'k8s-aws-v1.abc' } }).replace(/\n\s+client-(certificate|key)-data: null/g, ''));
    assert.deepEqual(parsed.credential, { kind: 'token', token: 'k8s-aws-v1.abc' });
  });

  const refused: [string, string, RegExp][] = [
    ['an exec plugin', kubeconfig({ user: { 'client-certificate-data': undefined, 'client-key-data': undefined, exec: { command: 'sh', args: ['-c', 'id'] } } }), /sets "exec"|exec/],
    ['an auth-provider with a token file', kubeconfig({ user: { 'auth-provider': { name: 'oidc', config: { tokenFile: '/etc/hostname' } } } }), /sets "auth-provider"/],
    ['a token file', kubeconfig({ user: { tokenFile: '/var/run/secrets/token' } }), /sets "tokenFile"/],
    ['a client key path', kubeconfig({ user: { 'client-key': '/etc/shadow' } }), /sets "client-key"/],
    ['a CA path', kubeconfig({ cluster: { 'certificate-authority': '/etc/hostname' } }), /sets "certificate-authority"/],
    ['a proxy', kubeconfig({ cluster: { 'proxy-url': 'http://evil:3128' } }), /sets "proxy-url"/],
    ['TLS verification off', kubeconfig({ cluster: { 'insecure-skip-tls-verify': true } }), /sets "insecure-skip-tls-verify"/],
    ['plain http', kubeconfig({ cluster: { server: 'http://10.0.0.1:6443' } }), /not https/],
    ['a server with a path (a probe URL)', kubeconfig({ cluster: { server: 'https://host/probe?x=' } }), /no path, query/],
    ['a server with user info', kubeconfig({ cluster: { server: 'https://u:p@host' } }), /no path, query or user info/],
    ['no CA data', kubeconfig({ cluster: { 'certificate-authority-data': undefined } }).replace(/\n\s+certificate-authority-data: null/, ''), /certificate-authority-data/],
    ['CA data that is not PEM', kubeconfig({ cluster: { 'certificate-authority-data': Buffer.from('hello').toString('base64') } }), /certificate-authority-data/],
    ['basic auth', kubeconfig({ user: { username: 'a', password: 'b' } }), /sets "username"/],
    ['impersonation', kubeconfig({ user: { as: 'system:admin' } }), /sets "as"/],
    ['an unknown field, not echoed', kubeconfig({ cluster: { 'made-up-field-XYZ': 1 } }), /outside the allow-list/],
    ['two credentials at once', kubeconfig({ user: { token: 'abc' } }), /exactly one credential/],
    ['a current context that names no context', kubeconfig({ root: { 'current-context': 'other' } }), /current-context/],
    ['YAML aliases', 'a: &x [1]\nb: *x\n', /not valid YAML|allow-list/],
    ['duplicate keys', 'apiVersion: v1\napiVersion: v2\n', /not valid YAML/],
    ['another kind', kubeconfig({ root: { kind: 'Secret' } }), /not a kubeconfig/],
    [`more than ${maxKubeconfigBytes / 1024} KiB`, kubeconfig() + `# ${'x'.repeat(maxKubeconfigBytes)}\n`, new RegExp(`larger than ${maxKubeconfigBytes / 1024} KiB`)],
    // Shapes the YAML parser takes seconds on at this size (a flow map of thousands of keys; comment runs).
    ['a large flow mapping', `{${Array.from({ length: 4000 }, (_, i) => i).join(',')}}`, /not shaped like a kubeconfig/],
    ['a run of comments in a flow sequence', `[${'#\n,'.repeat(5000)}]`, /not shaped like a kubeconfig/],
    ['an exec plugin even when handing out, if it is not a documented token plugin', kubeconfig({ user: { 'client-certificate-data': undefined, 'client-key-data': undefined, exec: { ...awsExec, command: 'bash' } } }), /exec plugin is not/],
  ];
  for (const [what, text, reason] of refused) {
    it(`refuses ${what}`, () => {
      const message = refusal(() => parseKubeconfig(text.replace(/\n\s+client-(certificate|key)-data: null/g, ''), { allowExec: what.includes('handing out') }));
      assert.match(message, reason);
      assert.doesNotMatch(message, /XYZ|evil|shadow|hostname/, 'the refusal echoes no text of the document');
    });
  }

  it('hands out only the documented exec shapes, rebuilt: `aws eks get-token` and `aws-iam-authenticator token -i`', () => {
    for (const exec of [awsExec, { ...awsExec, command: 'aws-iam-authenticator', args: ['token', '-i', 'eks-1'] }]) {
      const text = kubeconfig({ user: { 'client-certificate-data': undefined, 'client-key-data': undefined, exec } }).replace(/\n\s+client-(certificate|key)-data: null/g, '');
      const parsed = parseKubeconfig(text, { allowExec: true });
      assert.equal(parsed.credential.kind, 'exec');
      const rebuilt = parse(kubeconfigText(parsed, 'ns-eks'));
      assert.deepEqual(rebuilt.users[0].user.exec, { apiVersion: exec.apiVersion, command: exec.command, args: exec.args, interactiveMode: 'Never' });
    }
    const hostile: Record<string, unknown>[] = [
      { ...awsExec, env: [{ name: 'LD_PRELOAD', value: '/tmp/x.so' }] },
      { ...awsExec, args: ['eks', 'get-token', '--cluster-name', 'x;rm -rf /'] },
      { ...awsExec, args: ['eks', 'get-token', '--cluster-name', 'x', '--endpoint-url', 'https://evil'] },
      { ...awsExec, apiVersion: 'client.authentication.k8s.io/v9' },
      { ...awsExec, provideClusterInfo: true },
    ];
    for (const exec of hostile) {
      const text = kubeconfig({ user: { 'client-certificate-data': undefined, 'client-key-data': undefined, exec } }).replace(/\n\s+client-(certificate|key)-data: null/g, '');
      refusal(() => parseKubeconfig(text, { allowExec: true }));
    }
  });

  it('hands out YAML that kubectl (YAML 1.1) reads back with the same strings: no bare yes, on or 1_000', () => {
    for (const token of ['yes', 'on', '1_000', 'null', '0x10']) {
      const text = kubeconfig({ user: { 'client-certificate-data': undefined, 'client-key-data': undefined, token }, cluster: { 'tls-server-name': 'on' } }).replace(/\n\s+client-(certificate|key)-data: null/g, '');
      const rebuilt = kubeconfigText(parseKubeconfig(text), 'ns-c1');
      const read = parse(rebuilt, { version: '1.1' });
      assert.equal(read.users[0].user.token, token);
      assert.equal(read.clusters[0].cluster['tls-server-name'], 'on');
    }
  });

  it('hands out base64 data without the whitespace it arrived with (a U+2028 would break kubectl)', () => {
    const spaced = `${ca.slice(0, 10)}\n  ${ca.slice(10)}`;
    const parsed = parseKubeconfig(kubeconfig({ cluster: { 'certificate-authority-data': spaced } }));
    assert.equal(parsed.caData, ca);
    refusal(() => parseKubeconfig(kubeconfig({ cluster: { 'certificate-authority-data': `${ca.slice(0, 10)}\u2028${ca.slice(10)}` } })));
  });

  it('prints nothing of the document: unresolved tags raise no parser warnings', () => {
    const warned: unknown[] = [];
    const [warn, emit] = [console.warn, process.emitWarning];
    console.warn = (...args: unknown[]) => void warned.push(args);
    process.emitWarning = ((w: unknown) => void warned.push(w)) as typeof process.emitWarning;
    try {
      refusal(() => parseKubeconfig(`${kubeconfig()}x: !PLANTED-TAG y\n`));
    } finally {
      console.warn = warn;
      process.emitWarning = emit;
    }
    assert.deepEqual(warned, []);
  });

  it('rebuilds an admin kubeconfig from its parts only: extra contexts, preferences and comments are gone', () => {
    const text = `# planted comment\n${kubeconfig({ root: { preferences: { colors: true } } })}`;
    const rebuilt = kubeconfigText(parseKubeconfig(text), 'ns-c1');
    assert.doesNotMatch(rebuilt, /planted|colors/);
    assert.deepEqual(parseKubeconfig(rebuilt).credential, parseKubeconfig(text).credential);
  });
});

describe('assertServerIsEndpoint', () => {
  const parsed = parseKubeconfig(kubeconfig());
  const cases: [string, { host?: unknown; port?: unknown } | undefined, boolean][] = [
    ['the same host and port', { host: '10.0.0.1', port: 6443 }, true],
    ['another host', { host: '10.0.0.2', port: 6443 }, false],
    ['another port', { host: '10.0.0.1', port: 443 }, false],
    ['no endpoint yet', undefined, false],
  ];
  for (const [what, endpoint, ok] of cases) {
    it(`${ok ? 'accepts' : 'refuses'} ${what}`, () => {
      if (ok) assertServerIsEndpoint(parsed, endpoint, 'the kubeconfig');
      else refusal(() => assertServerIsEndpoint(parsed, endpoint, 'the kubeconfig'));
    });
  }
  it('takes 443 for a server and an endpoint without a port', () => {
    const eks = parseKubeconfig(kubeconfig({ cluster: { server: 'https://ABC.gr7.us-east-1.eks.amazonaws.com' } }));
    assertServerIsEndpoint(eks, { host: 'abc.gr7.us-east-1.eks.amazonaws.com', port: 443 }, 'the kubeconfig');
  });
});
