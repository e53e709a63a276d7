/** Output schemas of the domain's summaries, shared by every tool and resource that returns them. */
import { z } from 'zod';

const replicas = z.object({ ready: z.number().int(), desired: z.number().int() });

export const clusterSummarySchema = z.object({
  namespace: z.string(),
  name: z.string(),
  phase: z.string().describe('CAPI phase: Pending, Provisioning, Provisioned, Deleting, Failed or Unknown'),
  clusterClass: z.string().optional(),
  version: z.string().optional().describe('Kubernetes version of the topology'),
  controlPlane: replicas,
  workers: replicas,
  available: z.boolean(),
  notAvailableReason: z.string().optional().describe('First failing input of the Available condition'),
  paused: z.boolean(),
  deleting: z.boolean(),
  ageSeconds: z.number().int().optional(),
  createdAt: z.string().optional(),
});
