/**
 * The one redaction layer. Everything that leaves the process as text other than a tool's own result —
 * log lines, audit records, error messages, metric dimensions — passes through `redact` first.
 *
 * Two nets, because either alone has been bypassed elsewhere: by field name (anything called token,
 * secret, password, kubeconfig, authorization, …, and a Secret's `data`/`stringData`), and by content
 * (API keys, bearer tokens, JWTs, EKS tokens, PEM blocks and their base64 form, kubeconfig credential
 * lines), so a secret pasted into an innocent field or an upstream error message is caught too.
 */

export const redacted = '[REDACTED]';

const sensitiveName = /authorization|token|secret|password|passwd|kubeconfig|credential|api[-_]?key|private[-_]?key|cookie|-data$/i;

const contentPatterns: readonly [RegExp, string | ((match: string, ...groups: string[]) => string)][] = [
  // capi_<id>_<secret>: the id is public and useful in logs; the secret is not.
  [/capi_([a-z2-7]{12})_[A-Za-z0-9_-]+/g, (_m, id) => `capi_${id}_${redacted}`],
  [/-----BEGIN [A-Z0-9 ]+-----[\s\S]*?(-----END [A-Z0-9 ]+-----|$)/g, redacted],
  // base64 of "-----BEGIN" (kubeconfig *-data fields), however it is aligned.
  [/(LS0tLS1CRUdJTi|tLS0tQkVHSU4|LS0tLUJFR0lO)[A-Za-z0-9+/=]*/g, redacted],
  [/\bBearer\s+[^\s"',;]+/gi, `Bearer ${redacted}`],
  [/\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/g, redacted],
  [/\bk8s-aws-v1\.[A-Za-z0-9_-]+/g, redacted],
  [/((?:client-key-data|client-certificate-data|certificate-authority-data|token|password)\s*[:=]\s*)("?)[^\s"',}]+/gi, (_m, key, quote) => `${key}${quote}${redacted}`],
];

/** The string with every secret-looking part replaced. */
export function redactText(text: string): string {
  let out = text;
  for (const [pattern, replacement] of contentPatterns) out = out.replace(pattern, replacement as never);
  return out;
}

/** A deep copy of `value` that is safe to write anywhere. Cycles and depth are bounded. */
export function redact(value: unknown, depth = 0, seen = new WeakSet<object>()): unknown {
  if (typeof value === 'string') return redactText(value);
  if (value === null || typeof value !== 'object') return value;
  if (depth > 12 || seen.has(value)) return '[…]';
  seen.add(value);
  if (value instanceof Error) return { name: value.name, message: redactText(value.message) };
  if (Array.isArray(value)) return value.map((item) => redact(item, depth + 1, seen));
  const record = value as Record<string, unknown>;
  const isSecret = record.kind === 'Secret';
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(record)) {
    out[key] = sensitiveName.test(key) || (isSecret && (key === 'data' || key === 'stringData')) ? redacted : redact(item, depth + 1, seen);
  }
  return out;
}
