/**
 * EKS authentication without shelling out to the AWS CLI or aws-iam-authenticator: a presigned STS
 * GetCallerIdentity URL carrying the `x-k8s-aws-id` header, encoded as `k8s-aws-v1.<base64url>` — the
 * token format the EKS API server's authenticator verifies. Signing uses @smithy/signature-v4, the
 * signer the AWS SDK itself uses.
 */
import { Hash } from '@smithy/hash-node';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';

export interface AwsCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

export interface EksTokenRequest {
  readonly clusterName: string;
  readonly region: string;
  readonly credentials: AwsCredentials;
  /** Signing time; defaults to now (a parameter so the token can be checked against a fixed vector). */
  readonly signingDate?: Date;
}

/** How long the presigned URL is valid for; EKS caches the identity for the token's life (15 min). */
const presignSeconds = 60;

export async function eksToken(request: EksTokenRequest): Promise<string> {
  const hostname = `sts.${request.region}.amazonaws.com`;
  const signer = new SignatureV4({
    service: 'sts',
    region: request.region,
    credentials: request.credentials,
    sha256: Hash.bind(null, 'sha256'),
  });
  const unsigned = new HttpRequest({
    method: 'GET',
    protocol: 'https:',
    hostname,
    path: '/',
    query: { Action: 'GetCallerIdentity', Version: '2011-06-15' },
    headers: { host: hostname, 'x-k8s-aws-id': request.clusterName },
  });
  const signed = await signer.presign(unsigned, {
    expiresIn: presignSeconds,
    ...(request.signingDate ? { signingDate: request.signingDate } : {}),
  });
  const query = Object.entries(signed.query ?? {})
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`)
    .join('&');
  const url = `https://${hostname}/?${query}`;
  return `k8s-aws-v1.${Buffer.from(url).toString('base64url')}`;
}
