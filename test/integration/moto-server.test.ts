/**
 * moto's server as the sandbox and the tests run it (sandbox/moto.ts motoServerProgram): each Secrets
 * Manager request runs alone, as each AWS call is atomic, and nothing else waits on it.
 *
 * moto itself applies a call in steps, so a read racing a label move could find no AWSCURRENT; the key
 * stores' compare-and-swap tests (key-admin.test.ts) failed on that once in CI. The race is too rare to
 * meet on demand, so the server here reads slowly (200 ms inside GetSecretValue) and each read reports
 * how many reads were inside with it when it entered: concurrent calls on moto's own server overlap at once.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CreateSecretCommand, GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { ListStateMachinesCommand, SFNClient } from '@aws-sdk/client-sfn';
import { motoClient, startMoto } from '../support/moto.ts';

const moto = await startMoto({
  python: [
    'import json, time',
    'from moto.secretsmanager.models import SecretsManagerBackend',
    'inside = [0]',
    'read = SecretsManagerBackend.get_secret_value',
    'def slow_read(self, *args, **kwargs):',
    '    alongside = inside[0]',
    '    inside[0] += 1',
    '    try:',
    '        time.sleep(0.2)',
    '        return {**read(self, *args, **kwargs), "SecretString": json.dumps({"alongside": alongside})}',
    '    finally:',
    '        inside[0] -= 1',
    'SecretsManagerBackend.get_secret_value = slow_read',
  ],
});
after(() => moto.stop());
const secretsManager = motoClient(SecretsManagerClient, moto);
const stepFunctions = motoClient(SFNClient, moto);
const { ARN } = await secretsManager.send(new CreateSecretCommand({ Name: 'moto-server-test', SecretString: '{}' }));

const read = async () => {
  const { SecretString } = await secretsManager.send(new GetSecretValueCommand({ SecretId: ARN }));
  return (JSON.parse(SecretString!) as { alongside: number }).alongside;
};

describe("moto's server", () => {
  it('runs each Secrets Manager request alone, however many arrive at once', async () => {
    const alongside = await Promise.all(Array.from({ length: 6 }, read));
    assert.deepEqual(alongside, [0, 0, 0, 0, 0, 0]);
  });

  it('answers other services while a Secrets Manager request is running', async () => {
    const order: string[] = [];
    const slow = read().then(() => order.push('Secrets Manager'));
    await new Promise((resolve) => setTimeout(resolve, 50));
    await stepFunctions.send(new ListStateMachinesCommand({})).then(() => order.push('Step Functions'));
    await slow;
    assert.deepEqual(order, ['Step Functions', 'Secrets Manager']);
  });
});
