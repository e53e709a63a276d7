/**
 * A diagnosis as compact text an agent reads in one go (the full detail is the structured diagnosis).
 * The top finding shows its whole summary, up to three lines of its cause's evidence and the symptoms it
 * explains; every other finding its summary cut to a short line; each its next step. A message already in the summary is not repeated.
 * Pure; the caller phrases next steps (only the MCP layer knows tool names).
 */
import { ageSeconds, formatAge } from './age.ts';
import { truncate } from './conditions.ts';
import type { Diagnosis, Evidence, Finding, NextAction } from './diagnosis-model.ts';

/** Evidence lines per finding, by rank: the top finding is where the agent looks first. */
const detailLines = [3];
/** Characters of a summary below the top finding in the text (the top one and the structured findings keep up to 240). */
const maxLineSummary = 90;
const maxSymptoms = 3;
/** Characters of an evidence message in the text (the structured evidence keeps up to 200). */
const maxLineMessage = 120;

/** A next step as its fact and arguments, for callers that phrase it no other way. */
export function nextFact(next: NextAction): string {
  return [next.step, ...Object.entries(next.args).map(([k, v]) => `${k}=${v}`)].join(' ');
}

export function renderDiagnosis(d: Diagnosis, phrase: (next: NextAction) => string = nextFact): string {
  const n = d.findings.length;
  const lines = [`${d.cluster.namespace}/${d.cluster.name}: ${d.available ? 'Available' : 'not Available'}, ${n === 0 ? 'no findings' : `${n} finding${n === 1 ? '' : 's'}`}`];
  const at = new Date(d.checkedAt);
  d.findings.forEach((f, i) => {
    const summary = i === 0 ? f.summary : truncate(f.summary, maxLineSummary);
    lines.push(`${i + 1}. ${f.severity} ${f.cause}: ${summary}`);
    const detail = detailLines[i] ?? 0;
    if (detail > 0) lines.push(...detailOf(f, summary, detail, at));
    lines.push(`   next: ${phrase(f.next)}`);
  });
  return lines.join('\n');
}

function detailOf(f: Finding, summary: string, max: number, at: Date): string[] {
  const cause = f.evidence.filter((e) => !e.symptom);
  const shown = cause.slice(0, max).map((e) => `   ${evidenceText(e, summary, at)}`);
  const more = cause.length - Math.min(cause.length, max) + f.omitted;
  const symptoms = f.evidence.filter((e) => e.symptom).map((e) => e.object);
  const tail = [
    more > 0 ? `+${more} more` : undefined,
    symptoms.length > 0 ? `symptoms: ${symptoms.slice(0, maxSymptoms).join(', ')}${symptoms.length > maxSymptoms ? ` +${symptoms.length - maxSymptoms}` : ''}` : undefined,
  ].filter((t) => t !== undefined);
  return [...shown, ...(tail.length > 0 ? [`   ${tail.join('; ')}`] : [])];
}

function evidenceText(e: Evidence, summary: string, at: Date): string {
  const message = e.message && !summary.includes(e.message) ? `: ${truncate(e.message, maxLineMessage)}` : '';
  if (e.event !== undefined) {
    const ago = ageSeconds(e.since, at);
    return `${e.object} event ${e.event}${e.count && e.count > 1 ? ` ×${e.count}` : ''}${ago === undefined ? '' : ` ${formatAge(ago)} ago`}${message}`;
  }
  const age = e.forSeconds === undefined ? '' : ` ${formatAge(e.forSeconds)}`;
  const what = e.condition !== undefined ? `${e.condition}=${e.status ?? '?'}${e.reason ? ` ${e.reason}` : ''}` : (e.field ?? '');
  return `${e.object} ${what}${age}${message}`;
}
