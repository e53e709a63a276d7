/** Argument schemas shared by the tools, so every tool validates names and namespaces the same way. */
import { z } from 'zod';

/** RFC 1123 label, as Kubernetes requires for namespaces. */
export const namespaceArg = z
  .string()
  .max(63)
  .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'must be a lowercase RFC 1123 label (a-z, 0-9, "-")')
  .describe('Kubernetes namespace of the cluster');

/** RFC 1123 subdomain, as Kubernetes requires for object names. */
export const nameArg = z
  .string()
  .max(253)
  .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/, 'must be a lowercase RFC 1123 name')
  .describe('Name of the Cluster');

export const managementClusterArg = z
  .string()
  .max(63)
  .optional()
  .describe('Named management cluster to query (default: the first configured)');
