/**
 * Every regular expression that runs on caller input (or on text a tenant can write into a cluster) costs
 * time linear in its input: each entry point gets, at 80 KB and at 1 MB, an input crafted against its
 * pattern, and must finish within 10× the time of ordinary text of the same size, plus 50 ms.
 *
 * Note: the one timing comparison in the unit tests. It cannot flake on a loaded machine: time is this
 * process's CPU time, which other processes do not inflate (wall time did, four runs side by side on two
 * cores), each side is the fastest of five runs, and the margin is wide, while a quadratic pattern misses
 * it by orders of magnitude (the JWT pattern took 4.7 s at 80 KB against 0.1 ms, and would take
 * about 20 minutes at 1 MB).
 */
import { describe, it, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { parseKey } from '../../shared/auth/api-key.ts';
import { Authenticator } from '../../shared/auth/authenticator.ts';
import { firstLine, oneLine } from '../../shared/capi/conditions.ts';
import { variableProblems } from '../../shared/capi/variables.ts';
import { labelArg, nameArg } from '../../shared/mcp/arguments.ts';
import { createCluster } from '../../shared/mcp/tools/create-cluster.ts';
import { listClusters } from '../../shared/mcp/tools/list-clusters.ts';
import { redact, redactText } from '../../shared/observability/redact.ts';

const sizes = [80 * 1024, 1024 * 1024] as const;
const runs = 5;
const factor = 10;
const slackMs = 50;

/** `unit` repeated to exactly `size` characters. */
const fill = (unit: string, size: number) => unit.repeat(Math.ceil(size / unit.length)).slice(0, size);
const benignText = (size: number) => fill('cluster default/web: 3/3 control plane ready, phase Provisioned. ', size);

/** CPU milliseconds of the fastest of `runs` calls. */
async function fastest(call: () => unknown): Promise<number> {
  let best = Infinity;
  for (let i = 0; i < runs; i++) {
    const started = process.cpuUsage();
    await call();
    const { user, system } = process.cpuUsage(started);
    best = Math.min(best, (user + system) / 1000);
  }
  return best;
}

interface Case {
  /** What is attacked, e.g. "redactText: JWT". */
  readonly target: string;
  /** The hostile input at a given size. */
  readonly adversarial: (size: number) => string;
  readonly run: (input: string) => unknown;
}

async function assertLinear(t: TestContext, { target, adversarial, run }: Case): Promise<void> {
  for (const size of sizes) {
    const hostile = adversarial(size);
    const ordinary = benignText(hostile.length);
    const benignMs = await fastest(() => run(ordinary));
    const limitMs = factor * benignMs + slackMs;
    const hostileMs = await fastest(() => run(hostile));
    const label = `${target} at ${size >= 1024 * 1024 ? `${size / 1024 / 1024} MB` : `${size / 1024} KB`}`;
    t.diagnostic(`${label}: adversarial ${hostileMs.toFixed(1)} ms, benign ${benignMs.toFixed(1)} ms`);
    assert.ok(hostileMs <= limitMs, `${label}: adversarial input took ${hostileMs.toFixed(0)} ms, more than ${factor}× benign (${benignMs.toFixed(1)} ms) + ${slackMs} ms`);
  }
}

const redactTextCases: [string, (size: number) => string][] = [
  ['API key, ids without a secret', (n) => fill('capi_aaaaaaaaaaaa_', n)],
  ['API key, ids one short', (n) => fill('capi_aaaaaaaaaaa', n)],
  ['PEM header without END', (n) => fill('-----BEGIN ', n)],
  ['PEM header name without its dashes', (n) => `-----BEGIN ${fill('A', n)}`],
  ['PEM ENDs without their dashes', (n) => `-----BEGIN A-----${fill('-----END A', n)}`],
  ['base64 PEM prefix', (n) => fill('LS0tLS1CRUdJTi', n)],
  ['base64 PEM prefix, every alignment', (n) => fill('LS0tLS1CRUdJTitLS0tQkVHSU4LS0tLUJFR0lO=', n)],
  ['Bearer without end', (n) => fill('Bearer ', n)],
  ['Bearer and only blanks', (n) => `Bearer${fill(' \t', n)}`],
  ['JWT starts in one dash-joined run', (n) => fill('-eyJ', n)],
  ['JWT first segments without the second dot', (n) => fill('eyJaaaaa.', n)],
  ['JWT two segments per run', (n) => fill('eyJaaaaa.eyJbbbbb-', n)],
  ['EKS token prefix', (n) => fill('k8s-aws-v1.', n)],
  ['EKS token prefix without its dot', (n) => fill('-k8s-aws-v1', n)],
  ['kubeconfig token lines', (n) => fill('token: ', n)],
  ['kubeconfig key and blanks', (n) => fill(`token:${' '.repeat(60)}`, n)],
  ['kubeconfig key with quotes', (n) => fill('"client-key-data', n)],
  ['kubeconfig key with equals', (n) => fill('password=', n)],
];

describe('redaction is linear in its input', () => {
  for (const [shape, adversarial] of redactTextCases) {
    it(`redactText: ${shape}`, (t) => assertLinear(t, { target: `redactText: ${shape}`, adversarial, run: redactText }));
  }

  it('redact: hostile field names and values at any depth', (t) =>
    assertLinear(t, {
      target: 'redact: hostile names and values',
      adversarial: (n) => fill('-eyJ', n),
      run: (s) => redact({ [`x${s.slice(0, s.length / 2)}`]: s.slice(s.length / 2), args: { variables: [s.slice(0, 64)] } }),
    }));
});

describe('argument checks are linear in their input', () => {
  const kubernetesVersion = createCluster.inputSchema.shape.kubernetes_version;
  const labelSelector = listClusters.inputSchema.shape.label_selector;
  const cases: Case[] = [
    { target: 'label argument: a name ending in "-"', adversarial: (n) => `${fill('a', n - 1)}-`, run: (s) => labelArg.safeParse(s) },
    { target: 'name argument: labels ending in "-"', adversarial: (n) => fill('a-a.', n - 1) + '-', run: (s) => nameArg.safeParse(s) },
    { target: 'kubernetes_version: digits without dots', adversarial: (n) => `v${fill('1', n)}`, run: (s) => kubernetesVersion.safeParse(s) },
    { target: 'kubernetes_version: dots without end', adversarial: (n) => `v${fill('1.', n)}x`, run: (s) => kubernetesVersion.safeParse(s) },
    { target: 'label_selector: valid characters', adversarial: (n) => fill('a in (b,c),', n), run: (s) => labelSelector.safeParse(s) },
    { target: 'API key parse', adversarial: (n) => `capi_aaaaaaaaaaaa_${fill('A', n)}`, run: parseKey },
  ];
  for (const c of cases) it(c.target, (t) => assertLinear(t, c));

  it('bearer header parse: blanks and tokens without end', async (t) => {
    const store = { description: 'none', read: async () => ({ version: 1, keys: [] }), write: async () => {} } as never;
    const authenticate = (header: string) => new Authenticator(store).authenticate(header, 'test');
    await assertLinear(t, { target: 'Bearer header: blanks', adversarial: (n) => `Bearer${fill(' \t', n)}x y`, run: authenticate });
    await assertLinear(t, { target: 'Bearer header: token then junk', adversarial: (n) => `Bearer ${fill('a', n)} x`, run: authenticate });
  });
});

describe('cluster-written text is read in linear time', () => {
  it('condition messages: bullets and blanks', (t) =>
    assertLinear(t, { target: 'condition first line', adversarial: (n) => fill(` ${' '.repeat(40)}*  * x\n`, n), run: firstLine }));

  it('event messages: control characters and line breaks', (t) =>
    assertLinear(t, { target: 'one line of tenant text', adversarial: (n) => fill('\r\n\u2028\t\u0085 ', n), run: (text: string) => oneLine(text, 200) }));

  it('ClusterClass variable schemas: a pattern written to backtrack, against the caller’s value', (t) => {
    // Whoever may write the ClusterClass writes the pattern; the caller writes the value. 25 characters
    // are enough: a backtracking engine tries 2^25 ways to split them before the "!" fails the match.
    const definitions = [{ name: 'x', schema: { openAPIV3Schema: { type: 'string', pattern: '^(a+)+$' } } }];
    return assertLinear(t, {
      target: 'ClusterClass variable pattern ^(a+)+$',
      adversarial: (n) => `${'a'.repeat(25)}!${' '.repeat(n - 26)}`,
      run: (value) => variableProblems(definitions, { x: value }),
    });
  });

  it('ClusterClass variable schemas: format url, against colons the URL pattern backtracks over', (t) => {
    // ajv-formats' url pattern has lookaheads (so no linear engine) and nested repeats: "http://" and
    // 32K "::" took 4 s of CPU per variable.
    const definitions = [{ name: 'x', schema: { openAPIV3Schema: { type: 'string', format: 'url' } } }];
    return assertLinear(t, {
      target: 'ClusterClass variable format url',
      adversarial: (n) => `http://${fill('::', n - 7)}`,
      run: (value) => variableProblems(definitions, { x: value }),
    });
  });

  it('ClusterClass variable schemas: format email, against a domain of dots the pattern backtracks over', (t) => {
    const definitions = [{ name: 'x', schema: { openAPIV3Schema: { type: 'string', format: 'email' } } }];
    return assertLinear(t, {
      target: 'ClusterClass variable format email',
      adversarial: (n) => `a@${fill('a.', n - 3)}-`,
      run: (value) => variableProblems(definitions, { x: value }),
    });
  });

  it('ClusterClass variable schemas: uniqueItems, against distinct objects', (t) => {
    // Ajv compares object items pairwise: 6,600 distinct one-key objects (64 KiB) took 11.5 s. The input
    // is cut into 8-character keys, one object each: distinct in the hostile text, repeating in the benign.
    const definitions = [{ name: 'list', schema: { openAPIV3Schema: { type: 'array', uniqueItems: true } } }];
    const items = (text: string) => Array.from({ length: Math.floor(text.length / 8) }, (_, i) => ({ [text.slice(i * 8, i * 8 + 8)]: 0 }));
    return assertLinear(t, {
      target: 'ClusterClass variable uniqueItems',
      adversarial: (n) => Array.from({ length: Math.ceil(n / 8) }, (_, i) => i.toString(36).padStart(8, '0')).join('').slice(0, n),
      run: (text) => variableProblems(definitions, { list: items(text) }),
    });
  });
});
