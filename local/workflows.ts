/**
 * The local workflow engine of `npm start` and the tests: the state machine CDK synthesizes, run
 * in-process against the same step code the step Lambda runs, with executions kept in `dir`.
 */
import { synthesizeWorkflow } from '../infra/lib/definition.ts';
import type { Config } from '../shared/config/config.ts';
import { openLocalWorkflows as openWith } from '../shared/http/node-server.ts';
import type { StepDeps } from '../shared/workflows/steps.ts';

/** `steps`: the serving process's deps, so its server and its steps share clients (see ProcessDeps). */
export function openLocalWorkflows(config: Config, dir: string, timeScale: number, steps?: StepDeps) {
  return openWith(config, dir, synthesizeWorkflow(), timeScale, steps);
}
