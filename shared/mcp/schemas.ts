/**
 * Output schemas of the domain's summaries, shared by every tool and resource that returns them. An agent
 * reads these in every tools/list, so they carry types and the few descriptions a name does not make
 * obvious; the checks the server makes on its own output stay in zod and are not spelled out there.
 * Note: wire schemas, trimmed for an agent's tokens, so they live in mcp/; the summaries they describe
 * are the pure domain's (shared/capi/summary.ts).
 */
import { z } from 'zod';

/**
 * `schema` with JSON Schema keywords left out of tools/list while zod still enforces them. Note: zod lays
 * a schema's metadata over the keywords it generates, and a keyword set to undefined vanishes when the
 * answer is serialized. For keywords that cost an agent tokens on every tool and tell it nothing.
 */
export function unlisted<T extends z.ZodType>(schema: T, ...keywords: readonly string[]): T {
  return schema.meta(Object.fromEntries(keywords.map((k) => [k, undefined]))) as T;
}

/**
 * An object of an output schema, listed with its fields' types only: `required` and `additionalProperties:
 * false` constrain what the server writes, and an agent reading a result sees which fields are there.
 */
export function outputObject<S extends z.ZodRawShape>(shape: S) {
  return unlisted(z.object(shape), ...outputObjectKeywords);
}

/** The keywords outputObject leaves out of tools/list. */
export const outputObjectKeywords = ['required', 'additionalProperties'] as const;

/**
 * An object listed by its fields' names alone, in one description (`namespace, name, version?,
 * controlPlane{ready, desired}, findings[{…}]`), while zod still holds every answer to the full schema.
 * Note: for the objects several tools return or a list repeats: `"name":{"type":"string"},` costs an agent
 * ~8 tokens a field on every tools/list, the name ~2, and the type of a value it reads tells it nothing.
 * The names come from the schema itself, so the listing cannot drift from what the server writes.
 */
export function listedByFieldNames<T extends z.ZodObject>(schema: T): T {
  return unlisted(schema, 'properties', ...outputObjectKeywords).describe(fieldNames(schema)) as T;
}

function fieldNames(schema: z.ZodObject): string {
  return Object.entries(schema.shape)
    .map(([key, field]) => {
      let inner = field as z.ZodType;
      let optional = false;
      while (inner instanceof z.ZodOptional || inner instanceof z.ZodDefault || inner instanceof z.ZodNullable) {
        optional ||= inner instanceof z.ZodOptional;
        inner = (inner as z.ZodOptional<z.ZodType>).unwrap();
      }
      const nested = inner instanceof z.ZodObject ? `{${fieldNames(inner)}}` : inner instanceof z.ZodArray && inner.element instanceof z.ZodObject ? `[{${fieldNames(inner.element)}}]` : inner instanceof z.ZodArray ? '[]' : '';
      return `${key}${optional ? '?' : ''}${nested}`;
    })
    .join(', ');
}

/** A non-negative integer, listed as a plain integer (bounds on output tell an agent nothing). */
export const count = unlisted(z.int().min(0), 'minimum', 'maximum');

const replicas = outputObject({ ready: count, desired: count });

/** A cluster summary's fields (shared/capi/summary.ts); listed as clusterSummarySchema. */
export const clusterSummaryFields = z.object({
  namespace: z.string(),
  name: z.string(),
  phase: z.string(),
  clusterClass: z.string().optional(),
  version: z.string().optional(),
  controlPlane: replicas,
  workers: replicas,
  available: z.boolean(),
  notAvailableReason: z.string().optional(),
  paused: z.boolean(),
  deleting: z.boolean(),
  ageSeconds: count.optional(),
  createdAt: z.string().optional(),
});

export const clusterSummarySchema = listedByFieldNames(clusterSummaryFields);
