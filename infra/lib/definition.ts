/**
 * The cluster-operation state machine's ASL as CDK synthesizes it, for the local engine: the same
 * definition that is deployed, never a second copy. Only the Workflows construct is synthesized, in a
 * stack of its own, without bundling (the local engine calls the step code directly): the whole stack
 * (API, dashboards, KMS, cdk-nag) costs seconds more and changes nothing in the definition, which
 * test/infra/stack.test.ts checks against the full stack's template. The Lambda ARNs the template
 * references by Fn::GetAtt are replaced by local ARNs naming the function's construct path.
 */
import { App, Stack } from 'aws-cdk-lib';
import { Workflows } from './workflows.ts';

export interface SynthesizedWorkflow {
  /** The Amazon States Language definition. */
  readonly definition: Record<string, any>;
  /** Local ARN of the step function, as it appears in the definition's Task states. */
  readonly stepFunctionArn: string;
}

export function synthesizeWorkflow(): SynthesizedWorkflow {
  // Note: an empty bundling-stacks list makes NodejsFunction skip esbuild during this synthesis, and the
  // built-in CloudFormation validation (a WASM engine, ~2-5 s) is for deploying, which `cdk synth` of
  // the full app still does.
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] }, builtinCloudFormationValidation: false });
  const stack = new Stack(app, 'CapiMcp');
  const workflows = new Workflows(stack, 'Workflows', { environment: {} });
  return workflowOf(app.synth().getStackByName(stack.stackName).template, stack, workflows);
}

/** The workflow's definition in a synthesized `template` of `stack`, with local ARNs for its functions. */
export function workflowOf(template: unknown, stack: Stack, workflows: Workflows): SynthesizedWorkflow {
  const resources = (template as { Resources: Record<string, any> }).Resources;
  const logicalId = stack.getLogicalId(workflows.stateMachine.node.defaultChild as never);
  const stepLogicalId = stack.getLogicalId(workflows.stepFunction.node.defaultChild as never);
  const definitionString = resources[logicalId].Properties.DefinitionString;
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
