/** Output schemas of the domain's summaries, shared by every tool and resource that returns them. */
import { z } from 'zod';

/**
 * A non-negative count. Note: explicit bounds, because a bare `.int()` makes the JSON Schema carry
 * ±9007199254740991 on every integer — about 20 tokens each in every tools/list an agent reads.
 */
export const count = z.int().min(0).max(1_000_000_000);

const replicas = z.object({ ready: count, desired: count });

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
  ageSeconds: count.optional(),
  createdAt: z.string().optional(),
});
