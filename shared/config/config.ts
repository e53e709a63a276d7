/**
 * Configuration, read from the environment once at start-up into a typed Config that is passed down.
 * Nothing else reads process.env. Missing or malformed settings fail start-up with the variable's name.
 */
import { z } from 'zod';

const managementClusterSchema = z.union([
  z.object({ name: z.string().min(1), kubeconfig: z.string().min(1), context: z.string().optional() }).strict(),
  z.object({ name: z.string().min(1), eks: z.object({ clusterName: z.string().min(1), region: z.string().min(1) }).strict() }).strict(),
]);
export type ManagementClusterConfig = z.infer<typeof managementClusterSchema>;

export interface Config {
  /** Named management clusters; tools default to the first. */
  readonly managementClusters: readonly ManagementClusterConfig[];
  /** Host names the HTTP endpoint answers to (DNS-rebinding protection); empty accepts any. */
  readonly allowedHosts: readonly string[];
  /** Expose only tools that change nothing (CAPI_MCP_READ_ONLY). */
  readonly readOnly: boolean;
}

/**
 * CAPI_MCP_MANAGEMENT_CLUSTERS: JSON array of `{name, kubeconfig, context?}` or `{name, eks: {clusterName,
 * region}}`; without it, KUBECONFIG names a single management cluster called "default".
 * CAPI_MCP_ALLOWED_HOSTS: comma-separated host names. CAPI_MCP_READ_ONLY: "true" or "false".
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  return {
    managementClusters: managementClusters(env),
    allowedHosts: list(env.CAPI_MCP_ALLOWED_HOSTS),
    readOnly: flag(env, 'CAPI_MCP_READ_ONLY', false),
  };
}

function managementClusters(env: NodeJS.ProcessEnv): ManagementClusterConfig[] {
  const raw = env.CAPI_MCP_MANAGEMENT_CLUSTERS;
  if (raw) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch (error) {
      throw new Error(`Environment variable CAPI_MCP_MANAGEMENT_CLUSTERS is not JSON: ${(error as Error).message}`);
    }
    const result = z.array(managementClusterSchema).min(1).safeParse(parsed);
    if (!result.success) {
      throw new Error(`Environment variable CAPI_MCP_MANAGEMENT_CLUSTERS is invalid: ${z.prettifyError(result.error)}`);
    }
    const names = result.data.map((c) => c.name);
    const duplicate = names.find((n, i) => names.indexOf(n) !== i);
    if (duplicate) throw new Error(`Environment variable CAPI_MCP_MANAGEMENT_CLUSTERS names "${duplicate}" twice`);
    return result.data;
  }
  if (env.KUBECONFIG) return [{ name: 'default', kubeconfig: env.KUBECONFIG }];
  throw new Error('Environment variable CAPI_MCP_MANAGEMENT_CLUSTERS or KUBECONFIG is required');
}

function list(value: string | undefined): string[] {
  return (value ?? '').split(',').map((s) => s.trim()).filter(Boolean);
}

function flag(env: NodeJS.ProcessEnv, name: string, fallback: boolean): boolean {
  const value = env[name];
  if (value === undefined || value === '') return fallback;
  if (value === 'true' || value === 'false') return value === 'true';
  throw new Error(`Environment variable ${name} must be "true" or "false", got "${value}"`);
}
