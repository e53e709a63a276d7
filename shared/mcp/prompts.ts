/**
 * MCP prompts for the workflows agents run most: diagnose a cluster, upgrade one safely, create one from a
 * ClusterClass. Each names the tools in the order they are called, with the arguments they take, and says
 * where to stop and ask the person before anything changes.
 *
 * A prompt is listed only when the caller may call every tool it names (`uses`: listed for its key, with
 * the scope each needs), so a read-only key is never handed a workflow it cannot run. Its arguments are
 * checked as the tools check them (the SDK refuses others before the prompt is built: its text is made of
 * them); prompts/get needs the `read` scope and is audited like a tool call.
 */
import type { GetPromptResult, McpServer } from '@modelcontextprotocol/server';
import { z } from 'zod';
import { audited, requireScope, type CallContext } from './invoke.ts';
import { labelArg, managementClusterArg, nameArg, namespaceArg } from './arguments.ts';
import type { ToolDeps } from './tool.ts';

interface PromptDefinition<A extends z.ZodObject = z.ZodObject> {
  readonly name: string;
  readonly title: string;
  readonly description: string;
  readonly args: A;
  /** The tools the prompt tells the agent to call; it is listed only where all of them are. */
  readonly uses: readonly string[];
  readonly text: (args: z.output<A>) => string;
}

const define = <A extends z.ZodObject>(prompt: PromptDefinition<A>) => prompt;

const clusterArgs = z.object({ namespace: namespaceArg, name: nameArg, management_cluster: managementClusterArg });

/** ` management_cluster: "x"` when one was given, so each call in a prompt names the same one. */
const on = (args: { management_cluster?: string | undefined }) => (args.management_cluster ? `, management_cluster: "${args.management_cluster}"` : '');
const target = (args: { namespace: string; name: string; management_cluster?: string | undefined }) =>
  `namespace: "${args.namespace}", name: "${args.name}"${on(args)}`;

export const prompts: readonly PromptDefinition<any>[] = [
  define({
    name: 'diagnose-cluster',
    title: 'Diagnose a cluster',
    description: 'Find why a Cluster API cluster is not healthy, with evidence, and propose the fix',
    args: clusterArgs,
    uses: ['diagnose_cluster', 'get_cluster', 'get_cluster_nodes'],
    text: (a) =>
      [
        `Diagnose the Cluster API cluster ${a.namespace}/${a.name}.`,
        `1. Call diagnose_cluster {${target(a)}}. Findings are ranked by cause: read the first one first; its evidence says what failed, where and since when.`,
        `2. Follow the first finding's next step. get_cluster {${target(a)}} shows the object tree and Warning events; get_cluster_nodes {${target(a)}} shows the workload Nodes.`,
        '3. Change nothing yet. Tell the user what is wrong, the evidence, and the fix (a tool call with its arguments, or a command), and ask before making it.',
      ].join('\n'),
  }),
  define({
    name: 'upgrade-cluster-safely',
    title: 'Upgrade a cluster safely',
    description: 'Plan a Kubernetes upgrade, check blockers, show what rolls, then upgrade and follow it',
    args: clusterArgs.extend({ kubernetes_version: z.string().regex(/^v\d{1,4}\.\d{1,4}\.\d{1,4}$/, 'must look like v1.35.0') }),
    uses: ['plan_upgrade', 'upgrade_cluster', 'get_operation', 'diagnose_cluster'],
    text: (a) =>
      [
        `Upgrade the Cluster API cluster ${a.namespace}/${a.name} to ${a.kubernetes_version}, safely.`,
        `1. Call plan_upgrade {${target(a)}}. If ${a.kubernetes_version} is not among the versions it can go to next, or it lists blockers, stop and tell the user.`,
        `2. Call upgrade_cluster {${target(a)}, kubernetes_version: "${a.kubernetes_version}", dry_run: true}: show the user the change and the machines that will be replaced, and ask.`,
        `3. Only once the user agrees, call upgrade_cluster {${target(a)}, kubernetes_version: "${a.kubernetes_version}"}. It returns an operation_id.`,
        '4. Call get_operation {operation_id} every poll interval until its status is no longer RUNNING (or follow the task).',
        `5. If it did not succeed, call diagnose_cluster {${target(a)}} and report the first finding.`,
      ].join('\n'),
  }),
  define({
    name: 'create-cluster-from-class',
    title: 'Create a cluster from a ClusterClass',
    description: 'Choose a ClusterClass and its variables, check the cluster with a dry run, then create it and follow it',
    args: z.object({ namespace: namespaceArg, name: labelArg, cluster_class: nameArg, management_cluster: managementClusterArg }),
    uses: ['create_cluster', 'get_operation', 'get_cluster'],
    text: (a) =>
      [
        `Create the Cluster API cluster ${a.namespace}/${a.name} from the ClusterClass ${a.cluster_class}.`,
        `1. Read the resource capi://clusterclasses: find ${a.cluster_class} in ${a.namespace}, its worker classes and its variables (required ones first). Ask the user for any required value you do not know.`,
        `2. Call create_cluster {${target(a)}, cluster_class: "${a.cluster_class}", kubernetes_version, variables, dry_run: true} and show the user what would be created.`,
        '3. Only once the user agrees, call create_cluster with the same arguments without dry_run. It returns an operation_id.',
        '4. Call get_operation {operation_id} every poll interval until its status is no longer RUNNING (or follow the task).',
        `5. Then call get_cluster {${target(a)}} and report its state.`,
      ].join('\n'),
  }),
];

/** Registers the prompts whose every tool is in `usable`: the names of the tools this caller may call. */
export function registerPrompts(server: McpServer, usable: ReadonlySet<string>, deps: ToolDeps, context: CallContext): void {
  for (const prompt of prompts) {
    if (!prompt.uses.every((tool) => usable.has(tool))) continue;
    server.registerPrompt(prompt.name, { title: prompt.title, description: prompt.description, argsSchema: prompt.args }, (args: unknown) =>
      audited(deps, context, { name: `prompts/get ${prompt.name}`, arguments: args }, async (): Promise<GetPromptResult> => {
        requireScope(deps, 'read', `the ${prompt.name} prompt`);
        return { description: prompt.description, messages: [{ role: 'user', content: { type: 'text', text: prompt.text(args as never) } }] };
      }),
    );
  }
}
