/**
 * Label and annotation keys a caller may not put on a cluster. Labels on a Cluster are not decoration:
 * controllers select on them. A caller who sets `capi-mcp.io/prevent-deletion` or a Flux / Argo CD marker
 * changes who may change the cluster; `cluster.x-k8s.io/…` and `topology.cluster.x-k8s.io/…` steer Cluster
 * API itself; `app.kubernetes.io/instance` is Argo CD's default tracking label (an application that
 * prunes deletes what it tracks but does not find in Git); and ClusterResourceSets and add-on
 * HelmChartProxies select clusters by label, so a matching label opts a cluster into resources — Secrets
 * among them — that its creator can then read from the workload cluster. Pure.
 */

interface Reserved {
  /** Matches a key's prefix (the part before "/"), lower-cased; or, for an unprefixed key, the key. */
  readonly matches: (prefix: string | undefined, name: string) => boolean;
  readonly why: string;
}

/** `domain` itself or any subdomain of it. */
const family = (domain: string) => (prefix: string | undefined) => prefix !== undefined && (prefix === domain || prefix.endsWith(`.${domain}`));

const reserved: readonly Reserved[] = [
  { matches: family('x-k8s.io'), why: 'x-k8s.io keys belong to Cluster API and its providers (cluster.x-k8s.io, topology.cluster.x-k8s.io, addons.cluster.x-k8s.io), whose controllers act on them' },
  { matches: family('kubernetes.io'), why: 'kubernetes.io keys belong to Kubernetes and its conventions (app.kubernetes.io/instance is how Argo CD tracks, and may prune, what it manages)' },
  { matches: family('k8s.io'), why: 'k8s.io keys belong to Kubernetes projects' },
  { matches: family('capi-mcp.io'), why: 'capi-mcp.io keys are capi-mcp’s own safety rails (prevent-deletion), set by people, not by callers' },
  { matches: family('toolkit.fluxcd.io'), why: 'these keys mark objects Flux manages' },
  { matches: family('argoproj.io'), why: 'these keys mark objects Argo CD manages' },
  {
    // Note: the add-on selectors of Cluster API's quick start (cni) and of CAPA's external-cloud-provider
    // templates (ccm, csi); any other selector key an operator chose cannot be known here (see README).
    matches: (prefix, name) => prefix === undefined && ['cni', 'ccm', 'csi'].includes(name),
    why: 'this key is a common ClusterResourceSet / add-on selector: it would opt the cluster into add-ons (and the Secrets they carry)',
  },
];

/** One line per key of `metadata` that a caller may not set; empty when there is none. */
export function reservedKeyProblems(what: 'label' | 'annotation', metadata: Readonly<Record<string, string>>): string[] {
  const problems: string[] = [];
  for (const key of Object.keys(metadata)) {
    const slash = key.indexOf('/');
    const prefix = slash >= 0 ? key.slice(0, slash).toLowerCase() : undefined;
    const name = (slash >= 0 ? key.slice(slash + 1) : key).toLowerCase();
    const hit = reserved.find((r) => r.matches(prefix, name));
    if (hit) problems.push(`${what} "${key.length > 80 ? `${key.slice(0, 80)}…` : key}": ${hit.why}`);
  }
  return problems;
}
