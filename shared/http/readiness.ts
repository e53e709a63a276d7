/**
 * The readiness probe's answer (`GET /readyz`): whether the management cluster answers this server's
 * credentials. The route needs no API key (the kubelet has none), so anyone who reaches it could otherwise
 * make the server call its API server at will: the check runs at most once per `ttlMs`, concurrent asks
 * share it, and it counts as failed past `timeoutMs`. The answer is one bit: no error text leaves it.
 */
export interface ReadinessOptions {
  /** How long an answer is reused (default 5 s). */
  readonly ttlMs?: number;
  /** How long a check may take before it counts as failed (default 3 s, under a kubelet probe's default 1 s timeout times its retries). */
  readonly timeoutMs?: number;
  readonly now?: () => number;
}

export function cachedReadiness(check: () => Promise<unknown>, { ttlMs = 5_000, timeoutMs = 3_000, now = Date.now }: ReadinessOptions = {}): () => Promise<boolean> {
  let last: { readonly at: number; readonly answer: Promise<boolean> } | undefined;
  return () => {
    const at = now();
    if (!last || at - last.at >= ttlMs) last = { at, answer: bounded(check, timeoutMs) };
    return last.answer;
  };
}

async function bounded(check: () => Promise<unknown>, timeoutMs: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs)));
  try {
    return await Promise.race([check().then(() => true, () => false), late]);
  } finally {
    clearTimeout(timer);
  }
}
