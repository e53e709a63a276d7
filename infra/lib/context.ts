/**
 * The CDK context a deployment sets, read and checked once into the stack's settings. Keys carry the
 * `capi-mcp:` prefix: `npx cdk deploy -c capi-mcp:readOnly=false`, or the "context" of cdk.json.
 * Values given with -c arrive as strings; JSON-valued keys are parsed. A bad value, or an unknown
 * `capi-mcp:` key (a typo would otherwise be ignored silently), fails the synth naming the key.
 *
 * | key | value | default |
 * | --- | --- | --- |
 * | `managementClusters` | JSON `[{"name","eks":{"clusterName","region"}}]` | `[]` |
 * | `readOnly` | `true` or `false` | `true` |
 * | `allowedNamespaces` | JSON array of namespace names | all namespaces |
 * | `logLevel` | a Powertools level: TRACE, DEBUG, INFO, WARN, ERROR, CRITICAL, SILENT | `INFO` |
 * | `webAclArn` | ARN of a REGIONAL WAFv2 web ACL | none |
 * | `customDomain` | JSON `{"domainName","certificateArn","hostedZoneId"?,"hostedZoneName"?}` | none |
 * | `vpc` | JSON `{"vpcId","subnetIds":[…],"securityGroupIds":[…]}` | outside any VPC |
 * | `alarmEmail` | an e-mail address for the alarm topic | none |
 * | `mcpReservedConcurrency` | concurrent executions reserved for, and capping, the MCP function; `0` reserves none | `20` |
 */
import { z } from 'zod';
import { type CapiMcpSettings, logLevels } from './stack.ts';

export const contextPrefix = 'capi-mcp:';

const jsonValued = <T extends z.ZodType>(schema: T) =>
  z.preprocess((value) => {
    if (typeof value !== 'string') return value;
    try {
      return JSON.parse(value);
    } catch {
      return value; // the schema then says what was expected
    }
  }, schema);

const dnsLabel = z.string().regex(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/, 'a Kubernetes namespace name');
const arn = (service: string, resource: string) => z.string().regex(new RegExp(`^arn:aws[a-z-]*:${service}:[a-z0-9-]+:\\d{12}:${resource}`), `an ${service} ARN (${resource}…)`);

const keys = {
  managementClusters: jsonValued(
    // Note: only EKS clusters: in Lambda there is no kubeconfig file to point at.
    z.array(z.object({ name: z.string().min(1), eks: z.object({ clusterName: z.string().min(1), region: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/) }).strict() }).strict()),
  ).default([]),
  readOnly: z
    .union([z.boolean(), z.enum(['true', 'false'])])
    .transform((v) => v === true || v === 'true')
    .default(true),
  allowedNamespaces: jsonValued(z.array(dnsLabel).min(1)).optional(),
  logLevel: z.enum(logLevels).optional(),
  webAclArn: arn('wafv2', 'regional/webacl/').optional(),
  customDomain: jsonValued(
    z
      .object({
        domainName: z.string().regex(/^([a-z0-9-]+\.)+[a-z]{2,}$/, 'a lower-case DNS name'),
        certificateArn: arn('acm', 'certificate/'),
        hostedZoneId: z.string().regex(/^Z[A-Z0-9]+$/).optional(),
        hostedZoneName: z.string().min(1).optional(),
      })
      .strict()
      .refine((d) => (d.hostedZoneId === undefined) === (d.hostedZoneName === undefined), 'hostedZoneId and hostedZoneName go together'),
  ).optional(),
  vpc: jsonValued(
    z
      .object({
        vpcId: z.string().regex(/^vpc-[0-9a-f]+$/),
        subnetIds: z.array(z.string().regex(/^subnet-[0-9a-f]+$/)).min(1),
        securityGroupIds: z.array(z.string().regex(/^sg-[0-9a-f]+$/)).min(1),
      })
      .strict(),
  ).optional(),
  alarmEmail: z.email().optional(),
  mcpReservedConcurrency: z
    .preprocess((value) => (typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value), z.number({ error: 'a whole number, 0 or more' }).int().min(0))
    .optional(),
} as const;

/** The settings named by `capi-mcp:*` keys of `context` (all of the app's context). */
export function settingsFromContext(context: Readonly<Record<string, unknown>>): CapiMcpSettings {
  const known = Object.keys(keys);
  const unknown = Object.keys(context).filter((k) => k.startsWith(contextPrefix) && !known.includes(k.slice(contextPrefix.length)));
  if (unknown.length > 0) throw new Error(`Unknown CDK context ${unknown.join(', ')}; the capi-mcp keys are ${known.map((k) => contextPrefix + k).join(', ')}`);

  const values: Record<string, unknown> = {};
  for (const [key, schema] of Object.entries(keys)) {
    const result = (schema as z.ZodType).safeParse(context[contextPrefix + key]);
    if (!result.success) throw new Error(`CDK context ${contextPrefix}${key} is invalid: ${z.prettifyError(result.error)}`);
    if (result.data !== undefined) values[key] = result.data;
  }
  const { customDomain, ...rest } = values as z.output<z.ZodObject<typeof keys>>;
  return {
    ...rest,
    ...(customDomain
      ? {
          customDomain: {
            domainName: customDomain.domainName,
            certificateArn: customDomain.certificateArn,
            ...(customDomain.hostedZoneId ? { hostedZone: { id: customDomain.hostedZoneId, name: customDomain.hostedZoneName! } } : {}),
          },
        }
      : {}),
  };
}
