/**
 * Nil-safe readers of Kubernetes conditions (metav1.Condition, as CAPI v1beta2 uses them). Objects that
 * have no status yet, or a condition not reported yet, read as "unknown", never as a crash.
 */

export interface Condition {
  readonly type: string;
  readonly status: 'True' | 'False' | 'Unknown';
  readonly reason?: string;
  readonly message?: string;
  readonly lastTransitionTime?: string;
  /** The object's generation the condition was judged at (v1beta2 conditions carry it). */
  readonly observedGeneration?: number;
  /** How bad a False condition is (v1beta1 conditions, as providers such as CAPA still write them). */
  readonly severity?: string;
}

interface WithConditions {
  readonly status?: { readonly conditions?: readonly Condition[] } | null;
}

export function getCondition(obj: WithConditions | undefined, type: string): Condition | undefined {
  return obj?.status?.conditions?.find((c) => c.type === type);
}

export function isTrue(obj: WithConditions | undefined, type: string): boolean {
  return getCondition(obj, type)?.status === 'True';
}

/**
 * A one-line reason why `type` does not hold, e.g. "RemoteConnectionProbe: Remote connection not
 * established yet". CAPI's summary conditions (Available, Ready) list their failing inputs as
 * "* Type: message" lines; the first one is the most useful next thing to look at.
 */
export function whyNot(obj: WithConditions | undefined, type: string, maxLength = 120): string | undefined {
  const condition = getCondition(obj, type);
  if (condition?.status === 'True') return undefined;
  if (!condition) return `${type} not reported yet`;
  const step = failingStep(obj, type);
  const text = (step && `${step.type}: ${firstLine(step.message) ?? step.reason ?? 'False'}`) ?? firstLine(condition.message) ?? `${type}: ${condition.reason ?? condition.status}`;
  return truncate(text, maxLength);
}

/**
 * A v1beta1 summary that only counts ("8 of 11 completed", as CAPA's Ready reads) says nothing of what
 * failed: the failing condition itself does.
 */
const stepCounter = /^\s*\d+ of \d+ completed\s*$/;

/**
 * When the `summary` condition of `obj` is False with only a step counter for a message: the failing
 * condition behind it, the first other False one, errors before warnings before the rest.
 */
export function failingStep(obj: WithConditions | undefined, summary: string): Condition | undefined {
  const condition = getCondition(obj, summary);
  if (condition?.status !== 'False' || !stepCounter.test(condition.message ?? '')) return undefined;
  const rank = (c: Condition) => (c.severity === 'Error' ? 0 : c.severity === 'Warning' ? 1 : 2);
  return (obj?.status?.conditions ?? []).filter((c) => c.type !== summary && c.status === 'False').sort((a, b) => rank(a) - rank(b))[0];
}

/**
 * The first meaningful line of a CAPI condition message, without its "* " bullet. A line ending in ":"
 * ("* WorkersAvailable:") introduces nested detail on the next line, so the two are kept together.
 */
export function firstLine(message: string | undefined): string | undefined {
  const lines = (message ?? '')
    .split(lineBreaks)
    .map((l) => l.replace(/^\s*\*\s*/, '').replace(controls, ' ').trim())
    .filter((l) => l.length > 0);
  return lines[0]?.endsWith(':') && lines[1] ? `${lines[0]} ${lines[1]}` : lines[0];
}

/** Whatever a reader could take for the end of a line. */
const lineBreaks = /\r\n|[\n\r\v\f\u0085\u2028\u2029]/;
/** C0 and C1 control characters (tabs and line breaks among them), which have no place in one line of text. */
const controls = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;

/**
 * Text someone else wrote (an Event's message or reason, a label), as one line of at most `maxLength`
 * characters: every control character or line break becomes a space, so it cannot start a line of its
 * own in an answer (a forged "Next:" step or a fake section).
 */
export function oneLine(text: string, maxLength: number): string {
  return truncate(text.replace(controls, ' ').trim(), maxLength);
}

export function truncate(text: string, maxLength: number): string {
  return text.length <= maxLength ? text : `${text.slice(0, maxLength - 1)}…`;
}
