/**
 * Argument schemas shared by the tools, so every tool validates names and namespaces the same way.
 *
 * Note: the format of an identifier the agent copies from list_clusters (an RFC 1123 name) is a zod
 * refinement: the server rejects a bad one with the reason, but tools/list does not spell a 40-token
 * regex out on every tool. What the agent chooses (enums, ranges, defaults, a version's shape) is listed.
 */
import { z } from 'zod';
import { outputObjectKeywords, unlisted } from './schemas.ts';

const rfc1123Label = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const rfc1123Name = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** RFC 1123 label, as Kubernetes requires for namespaces (and CAPI for new cluster and pool names). */
export const labelArg = z.string().refine((s) => s.length <= 63 && rfc1123Label.test(s), 'must be a lowercase RFC 1123 label (a-z, 0-9, "-"; at most 63)');

export const namespaceArg = labelArg;

/** RFC 1123 subdomain, as Kubernetes requires for object names. */
export const nameArg = z.string().refine((s) => s.length <= 253 && rfc1123Name.test(s), 'must be a lowercase RFC 1123 name');

export const managementClusterArg = z
  .string()
  .refine((s) => s.length <= 63, 'must be at most 63 characters')
  // Note: "*" (every management cluster) is taken only where fleetManagementClusterArg is the schema.
  .refine((s) => s !== '*', '"*" (every management cluster) is taken by list_clusters and diagnose_cluster only')
  .optional()
  .describe('Default: the first configured');

/** A management cluster, or "*": every one the key may use, each failing one a row of its own. */
export const fleetManagementClusterArg = z
  .string()
  .refine((s) => s.length <= 63, 'must be at most 63 characters')
  .optional()
  .describe('Default: the first configured; "*": all');

/**
 * A Kubernetes release version. Note: the listed pattern is the shape; the refinement refuses what the
 * API server's dry run let through (v1.35.00, v99999999999999999999.0.0), which would start an operation
 * that can never converge: no leading zeros, each part at most 9999.
 */
export const kubernetesVersionArg = z
  .string()
  .regex(/^v\d+\.\d+\.\d+$/, 'must look like v1.35.0')
  .refine((s) => /^v(0|[1-9]\d{0,3})\.(0|[1-9]\d{0,3})\.(0|[1-9]\d{0,3})$/.test(s), 'must be a Kubernetes version such as v1.35.0 (no leading zeros)');

/** How long an operation may take to converge before it fails. */
export const timeoutArg = (seconds: number) => z.number().int().min(60).max(7200).default(seconds);

/**
 * A tool's root input or output schema, listed without `$schema`: MCP's default dialect is JSON Schema
 * 2020-12 (SEP-1613), the one the SDK would name, so the URL cost 16 tokens twice per tool for nothing.
 * An output root is also listed as outputObject lists an object.
 */
export const toolInput = <T extends z.ZodObject>(schema: T): T => unlisted(schema, '$schema');
export const toolOutput = <T extends z.ZodObject>(schema: T): T => unlisted(schema, '$schema', ...outputObjectKeywords);

/**
 * `dry_run`, taken by every tool that starts an operation: every check, guard and server-side dry run of
 * the real call, then a plan instead of an operation (shared/mcp/operations/plan.ts). Nothing is applied,
 * and no operation is started or joined.
 */
export const dryRunArg = unlisted(z.boolean().default(false), 'default').describe('Plan only; start nothing');

/** Whether raw tool-call arguments ask for a dry run (read before the input schema, by the task layer). */
export function asksDryRun(args: unknown): boolean {
  return typeof args === 'object' && args !== null && (args as { dry_run?: unknown }).dry_run === true;
}
