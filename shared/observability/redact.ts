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

type Replacement = string | ((match: string, ...groups: string[]) => string);
const replacing =
  (pattern: RegExp, replacement: Replacement) =>
  (text: string): string =>
    text.replace(pattern, replacement as never);

// Note: every step here runs on caller input and on text from clusters tenants write, so each must cost
// time linear in its input (test/unit/regex-linearity.test.ts holds them to it at 1 MB).
const contentSteps: readonly ((text: string) => string)[] = [
  // capi_<id>_<secret>: the id is public and useful in logs; the secret is not.
  replacing(/capi_([a-z2-7]{12})_[A-Za-z0-9_-]+/g, (_m, id) => `capi_${id}_${redacted}`),
  replacing(/-----BEGIN [A-Z0-9 ]+-----[\s\S]*?(-----END [A-Z0-9 ]+-----|$)/g, redacted),
  // base64 of "-----BEGIN" (kubeconfig *-data fields), however it is aligned.
  replacing(/(LS0tLS1CRUdJTi|tLS0tQkVHSU4|LS0tLUJFR0lO)[A-Za-z0-9+/=]*/g, redacted),
  replacing(/\bBearer\s+[^\s"',;]+/gi, `Bearer ${redacted}`),
  redactJwts,
  replacing(/\bk8s-aws-v1\.[A-Za-z0-9_-]+/g, redacted),
  replacing(/((?:client-key-data|client-certificate-data|certificate-authority-data|token|password)\s*[:=]\s*)("?)[^\s"',}]+/gi, (_m, key, quote) => `${key}${quote}${redacted}`),
];

/** The string with every secret-looking part replaced. */
export function redactText(text: string): string {
  return contentSteps.reduce((out, step) => step(out), text);
}

const jwtStart = /\beyJ/g;
const jwtChars = /[A-Za-z0-9_-]*/y;

/** Where the run of base64url characters starting at `from` ends. */
function runEnd(text: string, from: number): number {
  jwtChars.lastIndex = from;
  jwtChars.exec(text);
  return jwtChars.lastIndex;
}

/**
 * Replaces what `/\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*\/g` matches (a JWT: three
 * base64url segments, the first a JSON object), scanned by hand.
 *
 * Note: as a regular expression it is quadratic: in one run of base64url characters holding many "eyJ"
 * after a "-" ("-eyJ-eyJ…"), every start scans to the run's end and back, so 80 KB took 5 s. All the
 * starts inside one run share that end, and a later start only has a shorter first segment: if the first
 * one fails, they all do, so the scan moves on to the run's end instead.
 */
function redactJwts(text: string): string {
  let out = '';
  let copied = 0;
  jwtStart.lastIndex = 0;
  for (let start = jwtStart.exec(text); start; start = jwtStart.exec(text)) {
    const first = start.index + 3;
    const firstEnd = runEnd(text, first);
    let resume = firstEnd;
    if (firstEnd - first >= 5 && text[firstEnd] === '.') {
      const secondEnd = runEnd(text, firstEnd + 1);
      if (secondEnd - firstEnd - 1 >= 5 && text[secondEnd] === '.') {
        const end = runEnd(text, secondEnd + 1);
        out += text.slice(copied, start.index) + redacted;
        copied = resume = end;
      }
    }
    jwtStart.lastIndex = resume;
  }
  return copied === 0 ? text : out + text.slice(copied);
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
