/** diagnose_cluster: the findings that explain a cluster's state, ranked by cause, each with its evidence and next step. */
import { z } from 'zod';
import { diagnoseCluster } from '../../capi/diagnosis.ts';
import { renderDiagnosis } from '../../capi/diagnosis-text.ts';
import { discoverCluster } from '../../kube/discovery.ts';
import { workloadClient } from '../../kube/management-clusters.ts';
import { managementClusterArg, nameArg, namespaceArg, toolInput, toolOutput } from '../arguments.ts';
import { phraseNextStep } from '../diagnosis-steps.ts';
import { count, listedByFieldNames, outputObject, outputObjectKeywords, unlisted } from '../schemas.ts';
import { defineTool } from '../tool.ts';

const inputSchema = toolInput(z.object({ namespace: namespaceArg, name: nameArg, management_cluster: managementClusterArg }));

// Note: lean on purpose (every tools/list carries it): evidence lists its always-present field only; the
// rest (condition, status, reason, event, count, field, message, since, forSeconds, symptom) is what an
// item has, read as it comes.
const findingSchema = listedByFieldNames(z.object({
  severity: z.enum(['error', 'warning', 'info']),
  cause: z.string(),
  summary: z.string(),
  evidence: z.array(unlisted(z.looseObject({ object: z.string() }), ...outputObjectKeywords)),
  omitted: count,
  next: outputObject({ step: z.string(), args: unlisted(z.record(z.string(), z.string()), 'propertyNames', 'additionalProperties'), text: z.string() }),
}));

const outputSchema = toolOutput(
  z.object({
    cluster: outputObject({ namespace: z.string(), name: z.string() }),
    available: z.boolean(),
    checkedAt: z.string(),
    findings: z.array(findingSchema).describe('Root cause first'),
  }),
);

export const diagnoseClusterTool = defineTool({
  name: 'diagnose_cluster',
  title: 'Diagnose cluster',
  description:
    'Find why a cluster is not Available, stuck or degraded: findings ranked by root cause, with evidence, how long each has failed, and the next step.',
  inputSchema,
  outputSchema,
  // Note: it reads the workload cluster's Nodes, as get_cluster_nodes does, from the cluster's own API server.
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true },
  async handler(args, deps) {
    const kube = deps.clusters.client(args.management_cluster);
    const found = await discoverCluster(kube, args.namespace, args.name, {
      diagnosis: {
        workload: async (cluster) => {
          // Note: imported on the call, as get_cluster_nodes does: it brings the YAML parser.
          const { readWorkloadAccess } = await import('../../kube/workload-kubeconfig.ts');
          return workloadClient(await readWorkloadAccess(kube, cluster));
        },
      },
    });
    const diagnosis = diagnoseCluster(found, deps.now());
    const findings = diagnosis.findings.map((f) => ({ ...f, evidence: f.evidence.map((e) => ({ ...e })), next: { ...f.next, text: phraseNextStep(f.next) } }));
    return { structured: { ...diagnosis, findings }, text: renderDiagnosis(diagnosis, phraseNextStep) };
  },
});
