/**
 * One page of a LIST that may span namespaces. A listing limited to namespaces reads those namespaces
 * and nothing else — never a cluster-wide LIST filtered afterwards, whose continue tokens name the next
 * object wherever it is, and whose item counts include what the caller may not see.
 *
 * The namespaces are walked in the order given (the caller fixes it, so that every page of a listing
 * agrees): a page takes what the current namespace has left, then goes on to the next, until it holds
 * `limit` objects. Where it stopped — the namespace and that namespace's continue token — is where the
 * next page starts. An unlimited listing is one cluster-wide LIST, paged by the API server alone.
 */
import { CapiMcpError, ErrorCode } from '../errors.ts';
import type { KubeClient, KubeObject, ResourceRef } from './client.ts';

/** Where a page starts: a namespace of the walk (none: cluster-wide) and the API server's continue token in it. */
export interface PagePosition {
  readonly namespace?: string;
  readonly continueToken?: string;
}

export interface PageQuery {
  /** The namespaces to read, in walking order; undefined reads all of them with one cluster-wide LIST. */
  readonly namespaces?: readonly string[];
  readonly labelSelector?: string;
  readonly limit: number;
  /** The previous page's `next`; undefined for the first page. */
  readonly from?: PagePosition;
  /** What to keep of each object, as it arrives (see ListOptions.keep); the whole object without it. */
  readonly keep?: (item: KubeObject) => KubeObject;
}

export interface Page {
  readonly items: KubeObject[];
  /** Where the next page starts; undefined when the listing is complete. */
  readonly next?: PagePosition;
}

export async function listPage(kube: KubeClient, ref: ResourceRef, query: PageQuery): Promise<Page> {
  const perList = { ...(query.labelSelector ? { labelSelector: query.labelSelector } : {}), ...(query.keep ? { keep: query.keep } : {}) };
  if (query.namespaces === undefined) {
    const page = await kube.list(ref, { ...perList, limit: query.limit, ...continuing(query.from?.continueToken) });
    return { items: page.items, ...(page.continueToken ? { next: { continueToken: page.continueToken } } : {}) };
  }
  const namespaces = query.namespaces;
  let index = query.from?.namespace === undefined ? 0 : namespaces.indexOf(query.from.namespace);
  if (index < 0) throw new CapiMcpError(ErrorCode.InvalidInput, 'the page starts in a namespace that is not one of the namespaces listed');
  let continueToken = query.from?.continueToken;
  const items: KubeObject[] = [];
  while (index < namespaces.length && items.length < query.limit) {
    const page = await kube.list(ref, { namespace: namespaces[index]!, ...perList, limit: query.limit - items.length, ...continuing(continueToken) });
    items.push(...page.items);
    continueToken = page.continueToken;
    if (!continueToken) index++;
  }
  if (index >= namespaces.length) return { items };
  return { items, next: { namespace: namespaces[index]!, ...continuing(continueToken) } };
}

function continuing(continueToken: string | undefined): { continueToken?: string } {
  return continueToken ? { continueToken } : {};
}
