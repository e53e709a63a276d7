/**
 * A WorkflowEngine that builds the real one on its first call and hands every call to it. The MCP
 * function's engine is Step Functions: deferring it keeps the Step Functions client out of a cold start
 * that answers only discovery and tools/list (the engine must exist by then, since it decides which tools
 * are listed, but nothing is asked of it).
 */
import { once } from '../kube/client.ts';
import type { WorkflowEngine } from './engine.ts';

/** The engine `build` makes, built once on first use; a failed build is retried on the next call. */
export function deferredWorkflowEngine(build: () => Promise<WorkflowEngine>): WorkflowEngine {
  const current = once(build);
  return {
    start: async (...args) => (await current()).start(...args),
    describe: async (...args) => (await current()).describe(...args),
    list: async (...args) => (await current()).list(...args),
    stop: async (...args) => (await current()).stop(...args),
  };
}
