/** Lambda entry point of the workflow's Apply and Poll task states. */
import { loadConfig } from '../../shared/config/config.ts';
import { createDeps } from '../../shared/deps.ts';
import { runStep, type StepEvent } from '../../shared/workflows/steps.ts';

const deps = createDeps(loadConfig());

export const handler = (event: StepEvent) => runStep(event, deps);
