/**
 * Who a read asks for a key, and which answers count toward its consistency level. Pure;
 * cluster.ts does the asking. A write counts a hint held by a fallback node for an owner that
 * is down (a sloppy quorum), so a read does too, or the two would not meet.
 */
import { acksNeeded } from '../ring/index.js';
import type { Consistency } from '../http/config.js';

export interface ReadCandidate {
  id: string;
  /** Asked as a fallback: for its own copy or a hint it holds for the key, the newer. */
  withHints: boolean;
}

export interface ReadAnswer extends ReadCandidate {
  /** False when the member did not answer. */
  ok: boolean;
}

/**
 * In order: the other owners that are up; then, except under `all` (where a hint does not
 * count), the fallbacks that are up; then, still except under `all`, the suspected owners and
 * fallbacks: waiting out a timeout beats failing a read that a member could answer.
 */
export function readCandidates(
  others: readonly string[],
  fallbacks: readonly string[],
  level: Consistency,
  suspected: (id: string) => boolean,
): ReadCandidate[] {
  const asOwner = (id: string) => ({ id, withHints: false });
  const asFallback = (id: string) => ({ id, withHints: true });
  const up = (ids: readonly string[]) => ids.filter((id) => !suspected(id));
  const down = (ids: readonly string[]) => ids.filter(suspected);
  if (level === 'all') return up(others).map(asOwner);
  return [
    ...up(others).map(asOwner),
    ...up(fallbacks).map(asFallback),
    ...down(others).map(asOwner),
    ...down(fallbacks).map(asFallback),
  ];
}

/**
 * Answers the other members must give: the level's count over the read view, less this node
 * when it is an owner in that view (under `all`, every other owner).
 */
export function answersNeeded(
  level: Consistency,
  view: readonly string[],
  others: readonly string[],
  selfId: string,
): number {
  if (level === 'all') return others.length;
  return Math.max(0, acksNeeded(level, view.length) - (view.includes(selfId) ? 1 : 0));
}

/**
 * Answers that count toward the level: this node if it is an owner in the read view, the
 * owners of the view that answered, and fallbacks standing in for silent ones, at most the
 * size of the view. A fallback counts only if every fallback before it in ring order answered
 * too: a writer leaves its hint with the first fallback it reaches, so a reader that could not
 * reach that one learns nothing from the next.
 */
export function answersCounted(
  view: readonly string[],
  selfId: string,
  answers: readonly ReadAnswer[],
  fallbacks: readonly string[],
): number {
  let counted = view.includes(selfId) ? 1 : 0;
  for (const a of answers) if (a.ok && !a.withHints && view.includes(a.id)) counted++;
  for (const id of fallbacks) {
    if (!answers.some((a) => a.ok && a.withHints && a.id === id)) break;
    counted++;
  }
  return Math.min(view.length, counted);
}
