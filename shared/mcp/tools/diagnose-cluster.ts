/**
 * diagnose_cluster: the findings that explain a cluster's state, ranked by cause, each with its evidence and
 * next step. With `management_cluster: "*"`, fleet triage (shared/mcp/fleet.ts): every management cluster the
 * key may use counted at once, and the clusters longest not Available each diagnosed to its top finding.
 */
import { z } from 'zod';
import { diagnoseCluster } from '../../capi/diagnosis.ts';
import { renderDiagnosis } from '../../capi/diagnosis-text.ts';
import { discoverCluster } from '../../kube/discovery.ts';
import type { KubeClient } from '../../kube/client.ts';
import { workloadClient } from '../../kube/management-clusters.ts';
import { fleetManagementClusterArg, nameArg, namespaceArg, toolInput, toolOutput } from '../arguments.ts';
import { phraseNextStep } from '../diagnosis-steps.ts';
import { triageFleet } from '../fleet.ts';
import { everyManagementCluster } from '../invoke.ts';
import { count, listedByFieldNames, outputObject, outputObjectKeywords, unlisted } from '../schemas.ts';
import { defineTool } from '../tool.ts';

const inputSchema = toolInput(
  z
    .object({ namespace: namespaceArg.optional(), name: nameArg.optional(), management_cluster: fleetManagementClusterArg.describe('Default: the first configured; "*": fleet triage') })
    .refine((a) => a.management_cluster === everyManagementCluster || (a.namespace !== undefined && a.name !== undefined), 'namespace and name are required unless management_cluster is "*" (fleet triage)'),
);

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

const diagnosisFields = {
  cluster: outputObject({ namespace: z.string(), name: z.string() }),
  available: z.boolean(),
  checkedAt: z.string(),
  findings: z.array(findingSchema).describe('Root cause first'),
};

const counts = z.record(z.string(), count);
/**
 * Note: listed by its own field names only (what each holds is in the answer's text), not nested ones: a
 * tenth of the tools/list budget would go on fields only a "*" call returns.
 */
const fleetFields = z.object({
  management_clusters: count,
  clusters: count,
  available: count,
  phases: counts,
  versions: counts,
  providers: counts,
  reasons: z.array(outputObject({ reason: z.string(), count })),
  top: z.array(outputObject({
    management_cluster: z.string(),
    namespace: z.string(),
    name: z.string(),
    not_available_seconds: count.optional(),
    severity: z.string().optional(),
    cause: z.string().optional(),
    summary: z.string().optional(),
    next: z.string().optional(),
    error: z.string().optional(),
  })),
  unreachable: z.array(outputObject({ management_cluster: z.string(), error: z.string() })).optional(),
  truncated: z.array(outputObject({ management_cluster: z.string(), counted: count })).optional(),
});
const fleetSchema = unlisted(fleetFields, 'properties', ...outputObjectKeywords).describe(`With "*": ${Object.keys(fleetFields.shape).join(', ')}`);

/**
 * One diagnosis or one fleet: the root's `required` is not listed (toolOutput), so one schema serves both
 * answers on the wire, as operationOrPlanSchema does; zod holds each answer to exactly one of the two.
 */
const outputSchema = toolOutput(
  z
    .object({ ...z.object(diagnosisFields).partial().shape, fleet: fleetSchema.optional() })
    .refine((o) => (o.fleet === undefined) !== (o.cluster === undefined), 'a diagnosis or a fleet, not both')
    .refine((o) => o.fleet !== undefined || z.object(diagnosisFields).safeParse(o).success, 'a diagnosis has every diagnosis field'),
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
    if (args.management_cluster === everyManagementCluster) {
      return triageFleet(args, deps, async (kube, namespace, name) => {
        const [top] = (await diagnosisOf(kube, namespace, name, deps.now())).findings;
        return top && { severity: top.severity, cause: top.cause, summary: top.summary, next: top.next.text };
      });
    }
    // Note: the input schema's refinement holds both present here.
    const diagnosis = await diagnosisOf(deps.clusters.client(args.management_cluster), args.namespace!, args.name!, deps.now());
    return { structured: diagnosis, text: renderDiagnosis(diagnosis, phraseNextStep) };
  },
});

/** One cluster's diagnosis, each next step phrased: the single-cluster answer, and each fleet triage row's. */
async function diagnosisOf(kube: KubeClient, namespace: string, name: string, now: Date) {
  const found = await discoverCluster(kube, namespace, name, {
    diagnosis: {
      workload: async (cluster) => {
        // Note: imported on the call, as get_cluster_nodes does: it brings the YAML parser.
        const { readWorkloadAccess } = await import('../../kube/workload-kubeconfig.ts');
        return workloadClient(await readWorkloadAccess(kube, cluster));
      },
    },
  });
  const diagnosis = diagnoseCluster(found, now);
  const findings = diagnosis.findings.map((f) => ({ ...f, evidence: f.evidence.map((e) => ({ ...e })), next: { ...f.next, text: phraseNextStep(f.next) } }));
  return { ...diagnosis, findings };
}
