/**
 * KeyStore on its own: no rotation by default (keys rotate one by one), and ready for a Secrets Manager
 * rotation function when one is given — scheduled, and granted through the secret and the key only.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { App, Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { Code, Function as LambdaFunction, Runtime } from 'aws-cdk-lib/aws-lambda';
import { KeyStore } from '../../infra/lib/key-store.ts';

function keyStoreStack(withRotation: boolean) {
  const stack = new Stack(new App(), 'KeyStoreTest');
  const rotation = withRotation
    ? new LambdaFunction(stack, 'Rotation', { runtime: Runtime.NODEJS_24_X, handler: 'index.handler', code: Code.fromInline('export const handler = async () => {}') })
    : undefined;
  const keyStore = new KeyStore(stack, 'KeyStore', rotation ? { rotation: { function: rotation, automaticallyAfter: Duration.days(30) } } : {});
  return { stack, keyStore, rotation, template: Template.fromStack(stack) };
}

describe('KeyStore', () => {
  it('schedules no rotation by default', () => {
    keyStoreStack(false).template.resourceCountIs('AWS::SecretsManager::RotationSchedule', 0);
  });

  it('schedules the given rotation function and lets it read and write the secret, through Secrets Manager for the key', () => {
    const { stack, keyStore, rotation, template } = keyStoreStack(true);
    const ids = { secret: stack.getLogicalId(keyStore.secret.node.defaultChild as never), fn: stack.getLogicalId(rotation!.node.defaultChild as never) };
    template.hasResourceProperties('AWS::SecretsManager::RotationSchedule', {
      SecretId: { Ref: ids.secret },
      RotationLambdaARN: { 'Fn::GetAtt': [ids.fn, 'Arn'] },
      RotationRules: { ScheduleExpression: 'rate(30 days)' },
    });
    template.hasResourceProperties('AWS::Lambda::Permission', { Action: 'lambda:InvokeFunction', Principal: 'secretsmanager.amazonaws.com' });
    const statements = Object.values(template.findResources('AWS::IAM::Policy')).flatMap((p: any) => p.Properties.PolicyDocument.Statement);
    const onSecret = statements.find((s: any) => JSON.stringify(s.Resource) === JSON.stringify({ Ref: ids.secret }));
    assert.deepEqual([onSecret.Action].flat().sort(), [
      'secretsmanager:DescribeSecret',
      'secretsmanager:GetSecretValue',
      'secretsmanager:PutSecretValue',
      'secretsmanager:UpdateSecretVersionStage',
    ]);
    template.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Principal: { AWS: { 'Fn::GetAtt': [Match.stringLikeRegexp('^RotationServiceRole'), 'Arn'] } },
            Condition: { StringEquals: { 'kms:ViaService': Match.anyValue() } },
          }),
        ]),
      },
    });
  });
});
