/**
 * The local workflow engine of `npm start` and the tests: the state machine CDK synthesizes, run
 * in-process against the same step code the step Lambda runs, with executions kept in `dir`.
 */
import { synthesizeWorkflow } from '../infra/lib/definition.ts';
import type { Config } from '../shared/config/config.ts';
import { createDeps } from '../shared/deps.ts';
import { LocalWorkflowEngine } from '../shared/workflows/local-engine.ts';
import { runStep } from '../shared/workflows/steps.ts';

export async function openLocalWorkflows(config: Config, dir: string, timeScale: number) {
  const deps = createDeps(config);
  const { definition, stepFunctionArn } = synthesizeWorkflow();
  return LocalWorkflowEngine.open(dir, { definition, stepFunctionArn, timeScale, step: (event) => runStep(event, deps) });
}
