/** Kubernetes-style ages ("45s", "12m", "3h", "5d") as kubectl prints them. */

export function ageSeconds(creationTimestamp: string | undefined, now: Date): number | undefined {
  if (!creationTimestamp) return undefined;
  const created = Date.parse(creationTimestamp);
  return Number.isNaN(created) ? undefined : Math.max(0, Math.floor((now.getTime() - created) / 1000));
}

export function formatAge(seconds: number | undefined): string {
  if (seconds === undefined) return '?';
  if (seconds < 120) return `${seconds}s`;
  if (seconds < 7200) return `${Math.floor(seconds / 60)}m`;
  if (seconds < 172800) return `${Math.floor(seconds / 3600)}h`;
  return `${Math.floor(seconds / 86400)}d`;
}
