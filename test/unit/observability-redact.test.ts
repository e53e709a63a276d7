/** The redaction layer: by field name and by content, table-driven with the shapes secrets really take. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { generateKey } from '../../shared/auth/api-key.ts';
import { redact, redactText } from '../../shared/observability/redact.ts';

const key = generateKey();
const pem = '-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAx4Wb\n-----END RSA PRIVATE KEY-----';
const pemBase64 = Buffer.from(pem).toString('base64');
const jwt = 'eyJhbGciOiJSUzI1NiIsImtpZCI6IjEifQ.eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQifQ.c2lnbmF0dXJl';
const kubeconfig = `apiVersion: v1\nusers:\n- name: admin\n  user:\n    client-certificate-data: ${pemBase64}\n    client-key-data: ${pemBase64}\n    token: abcdef0123456789\n`;

describe('redactText', () => {
  const cases: [string, string, string][] = [
    // The whole secret: it is base64url and may itself hold '_', so nothing after the last '_' would do.
    ['an API key keeps its public id only', `key ${key.token} used`, key.token.slice(`capi_${key.id}_`.length)],
    ['a bearer header', `Authorization: Bearer ${key.token}`, key.token],
    ['a PEM private key', `oops ${pem} end`, 'MIIEowIBAAKCAQEAx4Wb'],
    ['base64 PEM in a kubeconfig', kubeconfig, pemBase64.slice(0, 40)],
    ['a kubeconfig token line', kubeconfig, 'abcdef0123456789'],
    ['a service account JWT', `token=${jwt}`, jwt],
    ['an EKS token', 'k8s-aws-v1.aHR0cHM6Ly9zdHMuYW1hem9uYXdzLmNvbS8_QWN0aW9uPUdldENhbGxlcklkZW50aXR5', 'aHR0cHM6Ly9zdHMuYW1hem9uYXdzLmNvbS8'],
  ];
  for (const [what, input, secret] of cases) {
    it(`removes ${what}`, () => {
      const out = redactText(input);
      assert.ok(!out.includes(secret), out);
      assert.match(out, /\[REDACTED\]/);
    });
  }

  it('keeps the API key id, so audit lines still say which key', () => {
    assert.ok(redactText(key.token).includes(`capi_${key.id}_`));
  });

  it('finds JWTs exactly where the regular expression it replaced did', () => {
    // The quadratic pattern redactJwts replaced, kept here as the reference (at most ~300 characters).
    const reference = /\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/g;
    // Runs of token characters (with "eyJ" where \b does and does not hold) between separators, built
    // from pieces no other redaction step reacts to, so any difference is the JWT scan's. About one in
    // twenty holds a JWT.
    const run = fc.array(fc.constantFrom('eyJ', '-eyJ', 'xeyJ', 'aa', 'aaa', '-', '_'), { maxLength: 4 }).map((p) => p.join(''));
    const separator = fc.constantFrom('.', '.', '.', ' ', 'é', '"');
    fc.assert(
      fc.property(fc.array(fc.tuple(run, separator), { maxLength: 12 }), (parts) => {
        const text = parts.flat().join('');
        assert.equal(redactText(text), text.replace(reference, '[REDACTED]'));
      }),
      { numRuns: 20_000 },
    );
  });

  it('leaves ordinary text alone', () => {
    const text = 'cluster default/web: 3/3 control plane ready, phase Provisioned';
    assert.equal(redactText(text), text);
  });
});

describe('redact', () => {
  it('blanks secret-named fields at any depth and Secret data, and scans the rest', () => {
    const out = redact({
      tool: 'create_cluster',
      headers: { Authorization: 'Bearer x', 'x-request-id': 'r1' },
      nested: [{ password: 'hunter2', note: `see ${key.token}` }],
      object: { kind: 'Secret', metadata: { name: 's' }, data: { value: 'c2VjcmV0' } },
      kubeconfig,
    }) as any;
    assert.equal(out.headers.Authorization, '[REDACTED]');
    assert.equal(out.headers['x-request-id'], 'r1');
    assert.equal(out.nested[0].password, '[REDACTED]');
    assert.ok(!out.nested[0].note.includes(key.token));
    assert.equal(out.object.data, '[REDACTED]');
    assert.equal(out.object.metadata.name, 's');
    assert.equal(out.kubeconfig, '[REDACTED]');
  });

  it('survives cycles and errors without leaking their messages', () => {
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = cyclic;
    assert.deepEqual(redact(cyclic), { a: 1, self: '[…]' });
    assert.deepEqual(redact(new Error(`failed with ${key.token}`)), { name: 'Error', message: `failed with capi_${key.id}_[REDACTED]` });
  });
});
