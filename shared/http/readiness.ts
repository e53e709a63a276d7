/**
 * The readiness probe's answer (`GET /readyz`): whether the management cluster answers this server's
 * credentials. The route needs no API key (the kubelet has none), so anyone who reaches it could otherwise
 * make the server call its API server at will: the check runs at most once per `ttlMs`, concurrent asks
 * share it, and it counts as failed past `timeoutMs`. The answer is one bit: no error text leaves it.
 */
export interface ReadinessOptions {
  /** How long an answer is reused (default 5 s). */
  readonly ttlMs?: number;
  /** How long a check may take before it counts as failed (default 3 s; the chart's probe waits 5). */
  readonly timeoutMs?: number;
  /** Told why a check failed, once per check (the server logs it: the answer itself says nothing). */
  readonly onFailure?: (reason: string) => void;
  /** A monotonic clock in milliseconds (a wall clock set back would freeze the answer). */
  readonly now?: () => number;
}

export function cachedReadiness(check: () => Promise<unknown>, { ttlMs = 5_000, timeoutMs = 3_000, onFailure = () => {}, now = () => performance.now() }: ReadinessOptions = {}): () => Promise<boolean> {
  let last: { readonly at: number; readonly answer: Promise<boolean> } | undefined;
  return () => {
    const at = now();
    if (!last || at - last.at >= ttlMs) last = { at, answer: bounded(check, timeoutMs, onFailure) };
    return last.answer;
  };
}

async function bounded(check: () => Promise<unknown>, timeoutMs: number, onFailure: (reason: string) => void): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<string>((resolve) => (timer = setTimeout(() => resolve(`no answer within ${timeoutMs} ms`), timeoutMs)));
  const checked = check().then(
    () => undefined,
    (error: unknown) => (error instanceof Error ? error.message : String(error)),
  );
  try {
    const failure = await Promise.race([checked, late]);
    if (failure !== undefined) onFailure(failure);
    return failure === undefined;
  } finally {
    clearTimeout(timer);
  }
}
