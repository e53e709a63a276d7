/**
 * The EKS token against a fixed vector produced independently by botocore (the AWS SDK for Python) with
 * the same credentials, region, cluster and signing time (test/fixtures/eks-token-vector.py).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { eksToken } from '../../shared/kube/eks-token.ts';

const request = {
  clusterName: 'mgmt',
  region: 'eu-west-1',
  credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' },
  signingDate: new Date('2026-11-25T12:00:00Z'),
};

// botocore's presigned URL for the request above.
const botocoreUrl =
  'https://sts.eu-west-1.amazonaws.com/?Action=GetCallerIdentity&Version=2011-06-15&X-Amz-Algorithm=AWS4-HMAC-SHA256' +
  '&X-Amz-Credential=AKIDEXAMPLE%2F20261125%2Feu-west-1%2Fsts%2Faws4_request&X-Amz-Date=20261125T120000Z&X-Amz-Expires=60' +
  '&X-Amz-SignedHeaders=host%3Bx-k8s-aws-id&X-Amz-Signature=e069244e3567c84d38f77720c3dca2d0aa9f1a2116c2fbb558aef5448f8f1d30';

function decode(token: string): URL {
  assert.match(token, /^k8s-aws-v1\.[A-Za-z0-9_-]+$/, 'prefix, then unpadded base64url');
  return new URL(Buffer.from(token.slice('k8s-aws-v1.'.length), 'base64url').toString('utf8'));
}

describe('eksToken', () => {
  it('signs exactly what botocore signs for the same inputs', async () => {
    const ours = decode(await eksToken(request));
    const theirs = new URL(botocoreUrl);
    assert.equal(ours.origin + ours.pathname, theirs.origin + theirs.pathname);
    assert.deepEqual(Object.fromEntries([...ours.searchParams].sort()), Object.fromEntries([...theirs.searchParams].sort()));
  });

  it('changes the signature when the cluster name changes (the header is signed)', async () => {
    const a = decode(await eksToken(request)).searchParams.get('X-Amz-Signature');
    const b = decode(await eksToken({ ...request, clusterName: 'other' })).searchParams.get('X-Amz-Signature');
    assert.notEqual(a, b);
  });

  it('carries a session token for temporary credentials', async () => {
    const url = decode(await eksToken({ ...request, credentials: { ...request.credentials, sessionToken: 'SESSION' } }));
    assert.equal(url.searchParams.get('X-Amz-Security-Token'), 'SESSION');
  });
});
