/**
 * What a key may do. Scopes are derived from a tool's annotations, never from a list of tool names:
 * a tool that changes something needs `write`, a tool whose result carries credentials needs
 * `kubeconfig`, everything else needs `read`; `admin` holds all of them. A key may also be limited to
 * namespaces, which every tool honours (lists read only those namespaces, anything else outside them is
 * refused or not found), and to management clusters (any other reads as one that is not configured).
 */
export const scopes = ['read', 'kubeconfig', 'write', 'admin'] as const;
export type Scope = (typeof scopes)[number];

/** Who is calling: the authenticated key, as the tools see it. */
export interface Caller {
  readonly keyId: string;
  readonly scopes: readonly Scope[];
  /** Namespaces the key is limited to; undefined means every namespace. */
  readonly namespaces?: readonly string[];
  /** Management clusters the key is limited to; undefined means every configured one. */
  readonly managementClusters?: readonly string[];
}

/**
 * What a scope is derived from: a tool's read-only hint and whether its result carries credentials. Note:
 * a plain shape, so auth/ does not import the MCP tool type (mcp/ imports auth/, not the reverse); every
 * ToolDefinition fits it.
 */
export interface ScopedTool {
  readonly annotations: { readonly readOnlyHint: boolean };
  readonly sensitive?: boolean;
}

export function requiredScope(tool: ScopedTool): Scope {
  if (!tool.annotations.readOnlyHint) return 'write';
  if (tool.sensitive) return 'kubeconfig';
  return 'read';
}

export function hasScope(caller: Caller, scope: Scope): boolean {
  return caller.scopes.includes('admin') || caller.scopes.includes(scope);
}

export function mayUseNamespace(caller: Caller, namespace: string): boolean {
  return caller.namespaces === undefined || caller.namespaces.includes(namespace);
}

export function mayUseManagementCluster(caller: Caller, name: string): boolean {
  return caller.managementClusters === undefined || caller.managementClusters.includes(name);
}

/** An unrestricted caller, for code paths that act as the server itself (workflow steps, the CLI). */
export const serverCaller: Caller = { keyId: 'server', scopes: ['admin'] };
