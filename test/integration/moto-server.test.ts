/**
 * moto's server as the sandbox and the tests run it (sandbox/moto.ts motoServerProgram): each Secrets
 * Manager request runs alone, as each AWS call is atomic, and other services' requests do not wait on it.
 *
 * moto itself applies a call in steps, so a read racing a label move could find no AWSCURRENT; the key
 * stores' compare-and-swap tests (key-admin.test.ts) failed on that once in CI. The race is too rare to
 * meet on demand, so the server here is changed to show what runs at once, by events rather than by
 * time: each GetSecretValue reports how many others were inside with it (the plain ones stay 500 ms, for
 * six sent at once to overlap without the lock even on a loaded machine);
 * the read of the secret named "gated" stays inside until a ListStateMachines has run while it was
 * inside (or 20 s pass), and reports whether one did.
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
    'from moto.stepfunctions.responses import StepFunctionResponse',
    'inside = [0]',
    'gated_inside, released = threading.Event(), threading.Event()',
    'read = SecretsManagerBackend.get_secret_value',
    'def observed_read(self, secret_id, *args, **kwargs):',
    '    alongside = inside[0]',
    '    inside[0] += 1',
    '    try:',
    "        if secret_id == 'gated':",
    '            gated_inside.set()',
    '            released.wait(20)',
    '        else:',
    '            time.sleep(0.5)',
    '        seen = {"alongside": alongside, "released": released.is_set()}',
    '        return {**read(self, secret_id, *args, **kwargs), "SecretString": json.dumps(seen)}',
    '    finally:',
    '        inside[0] -= 1',
    'SecretsManagerBackend.get_secret_value = observed_read',
    'list_state_machines = StepFunctionResponse.list_state_machines',
    'def releasing_list(self):',
    '    if gated_inside.wait(20):',
    '        released.set()',
    '    return list_state_machines(self)',
    'StepFunctionResponse.list_state_machines = releasing_list',
  ],
});
after(() => moto.stop());
const secretsManager = motoClient(SecretsManagerClient, moto);
const stepFunctions = motoClient(SFNClient, moto);
const { ARN } = await secretsManager.send(new CreateSecretCommand({ Name: 'plain', SecretString: '{}' }));
await secretsManager.send(new CreateSecretCommand({ Name: 'gated', SecretString: '{}' }));

const read = async (secretId: string) => {
  const { SecretString } = await secretsManager.send(new GetSecretValueCommand({ SecretId: secretId }));
  return JSON.parse(SecretString!) as { alongside: number; released: boolean };
};

describe("moto's server", () => {
  it('runs each Secrets Manager request alone, however many arrive at once', async () => {
    const seen = await Promise.all(Array.from({ length: 6 }, () => read(ARN!)));
    assert.deepEqual(
      seen.map((s) => s.alongside),
      [0, 0, 0, 0, 0, 0],
    );
  });

  it('answers other services while a Secrets Manager request is running', async () => {
    const [gated] = await Promise.all([read('gated'), stepFunctions.send(new ListStateMachinesCommand({}))]);
    assert.equal(gated.released, true, 'a ListStateMachines ran while the read of "gated" was inside');
  });
});
