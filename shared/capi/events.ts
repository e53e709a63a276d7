/**
 * Warning Events as an answer shows them. Whoever may create Events in a namespace writes every field of
 * one (the involved object's kind and name included: the API server does not check they exist), so each
 * field is kept to one bounded line: an Event cannot add lines of its own to an answer.
 */
import { oneLine } from './conditions.ts';

export interface Warning {
  /** `Kind/name` of the object the Event is about. */
  readonly object: string;
  readonly reason: string;
  readonly message: string;
  readonly count: number;
  readonly lastSeen?: string;
}

const maxMessage = 200;
const maxField = 100;

export function warningOf(event: any): Warning {
  const count = Number(event.count ?? 1);
  const lastSeen = event.lastTimestamp ?? event.eventTime;
  return {
    object: oneLine(`${event.involvedObject?.kind}/${event.involvedObject?.name}`, maxField),
    reason: oneLine(String(event.reason ?? ''), maxField),
    message: oneLine(String(event.message ?? ''), maxMessage),
    count: Number.isSafeInteger(count) && count > 0 ? count : 1,
    ...(lastSeen ? { lastSeen: oneLine(String(lastSeen), 40) } : {}),
  };
}

/** One line of text per warning: `  Kind/name Reason: message (×count)`. */
export function warningLine(w: Warning): string {
  return `  ${w.object} ${w.reason}: ${w.message}${w.count > 1 ? ` (×${w.count})` : ''}`;
}
