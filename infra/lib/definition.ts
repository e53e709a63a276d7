/**
 * The cluster-operation state machine's ASL as CDK synthesizes it, for the local engine: the same
 * definition that is deployed, never a second copy. Synthesis runs in-process without bundling (the
 * local engine calls the step code directly), and the Lambda ARNs the template references by
 * Fn::GetAtt are replaced by local ARNs naming the function's construct path.
 */
import { App } from 'aws-cdk-lib';
import { CapiMcpStack } from './stack.ts';

export interface SynthesizedWorkflow {
  /** The Amazon States Language definition. */
  readonly definition: Record<string, any>;
  /** Local ARN of the step function, as it appears in the definition's Task states. */
  readonly stepFunctionArn: string;
}

export function synthesizeWorkflow(): SynthesizedWorkflow {
  // Note: an empty bundling-stacks list makes NodejsFunction skip esbuild during this synthesis.
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new CapiMcpStack(app, 'CapiMcp', { managementClusters: [], readOnly: false });
  const template = app.synth().getStackByName(stack.stackName).template as { Resources: Record<string, any> };
  const logicalId = stack.getLogicalId(stack.workflows.stateMachine.node.defaultChild as never);
  const stepLogicalId = stack.getLogicalId(stack.workflows.stepFunction.node.defaultChild as never);
  const definitionString = template.Resources[logicalId].Properties.DefinitionString;
  const localArn = (id: string) => `arn:aws:lambda:local:000000000000:function:${id}`;
  const resolve = (part: unknown): string => {
    if (typeof part === 'string') return part;
    const getAtt = (part as { 'Fn::GetAtt'?: [string, string] })['Fn::GetAtt'];
    if (getAtt && getAtt[1] === 'Arn') return localArn(getAtt[0]);
    throw new Error(`unexpected token in the synthesized state machine: ${JSON.stringify(part)}`);
  };
  const json = typeof definitionString === 'string' ? definitionString : (definitionString['Fn::Join'][1] as unknown[]).map(resolve).join('');
  return { definition: JSON.parse(json), stepFunctionArn: localArn(stepLogicalId) };
}
