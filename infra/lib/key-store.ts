/**
 * KeyStore: the Secrets Manager secret that holds the API key document (the JSON of shared/auth/: key
 * ids, SHA-256 hashes of 256-bit secrets — scrypt for keys made before —, scopes, expiry; never a key
 * itself), encrypted with a customer-managed KMS key of its own. Within the stack only the MCP function may read it (`grantRead`); operators manage keys
 * with `npm run keys -- … --secret-arn <arn>` under their own IAM permissions.
 *
 * Both the key and the secret are retained when the stack is deleted: losing them would lock every agent
 * out, and the key's deletion would make old secret versions unreadable.
 *
 * Rotation: API keys rotate one at a time (`npm run keys -- rotate <id>` gives the holder a new secret;
 * `create` and `revoke` replace a key), which needs no Secrets Manager rotation — the document holds only
 * hashes, so there is nothing for Secrets Manager to regenerate.
 * The secret is ready for a rotation function all the same: pass `rotation` (say, one that disables keys
 * past their `expiresAt`) and `addRotationSchedule` grants that function read/write on the secret and
 * encrypt/decrypt on the key through Secrets Manager, nothing more.
 */
import { type Duration, RemovalPolicy, SecretValue } from 'aws-cdk-lib';
import type { Grant, IGrantable } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { emptyKeyFile } from '../../shared/auth/key-store.ts';

/**
 * The document a new store starts with: version 1, no keys (shared/auth/key-store.ts `emptyKeyFile`).
 *
 * Note: CloudFormation writes the secret's value only when this template value changes, so keys added
 * later survive every deploy as long as this stays constant. Changing it would wipe them.
 */
export const initialKeyDocument = JSON.stringify(emptyKeyFile);

export interface KeyStoreProps {
  /** A Secrets Manager rotation function and its schedule; default none (keys rotate one by one, see above). */
  readonly rotation?: { readonly function: IFunction; readonly automaticallyAfter: Duration };
}

export class KeyStore extends Construct {
  readonly key: Key;
  readonly secret: Secret;

  constructor(scope: Construct, id: string, props: KeyStoreProps = {}) {
    super(scope, id);
    this.key = new Key(this, 'Key', {
      description: 'capi-mcp: encrypts the API key store',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.secret = new Secret(this, 'Secret', {
      description: 'capi-mcp API keys: ids, hashes and scopes (JSON, see shared/auth/key-store.ts)',
      encryptionKey: this.key,
      secretStringValue: SecretValue.unsafePlainText(initialKeyDocument),
      removalPolicy: RemovalPolicy.RETAIN,
    });
    if (props.rotation) {
      this.secret.addRotationSchedule('Rotation', {
        rotationLambda: props.rotation.function,
        automaticallyAfter: props.rotation.automaticallyAfter,
      });
    }
  }

  /** secretsmanager:GetSecretValue/DescribeSecret on the secret, and kms:Decrypt on the key via Secrets Manager only. */
  grantRead(grantee: IGrantable): Grant {
    return this.secret.grantRead(grantee);
  }
}
