/**
 * The ring at start-up. A pod that restarts has no ring until the publisher's next pass gives it
 * one, and meanwhile would answer /readyz 200 as a node serving alone, letting a rolling update
 * move on before it has its share back. With `--ring-source` (in Kubernetes, the cluster's
 * client Service: it reaches Ready members only) the node first asks a running member for the
 * ring; when the ring names it, it installs it, which starts its share recovery
 * (share-recovery.ts), and /readyz stays 503 until that is done.
 *
 * Nobody to ask (refused: no Ready member, as in a new cluster; a name that does not resolve)
 * or no ring there ends the lookup at once; anything else (timeouts, 5xx) is retried until the
 * deadline, after which the node goes on without a ring, as it would without a source. Where
 * a Service with no Ready endpoint drops connections instead of refusing them (some kube-proxy
 * modes), no attempt ever connects: after CONNECT_GIVE_UP_MS of that alone the lookup ends too,
 * instead of holding a new cluster's pods unready for the whole deadline.
 */
import { parseRingDocument, type RingDocument } from '../ring/document.js';
import { CONNECT_TIMEOUT_MESSAGE } from '../transport/http-transport.js';

export type RingLookup = 'installed' | 'not a member' | 'no ring' | 'unreachable';

export interface RingSourceDeps {
  selfId: string;
  fetchRing: (address: string) => Promise<unknown>;
  install: (document: RingDocument) => void;
  deadlineMs: number;
  now: () => number;
  pause?: (ms: number) => Promise<void>;
}

/** Failures after which asking again cannot help: nobody listens there, or the name is unknown. */
const FINAL_FAILURE = /ECONNREFUSED|ENOTFOUND|ring answered 404/;

/** How long attempts that never connect are retried (a lost SYN is resent within 1-3 s). */
export const CONNECT_GIVE_UP_MS = 5_000;

/** What to make of one failed attempt. Pure. */
export function lookupFailure(message: string): 'no ring' | 'unreachable' | 'no connection' | 'retry' {
  if (message.includes(CONNECT_TIMEOUT_MESSAGE)) return 'no connection';
  if (!FINAL_FAILURE.test(message)) return 'retry';
  return message.includes('ring answered 404') ? 'no ring' : 'unreachable';
}

export async function lookUpRing(source: string, deps: RingSourceDeps): Promise<RingLookup> {
  const pause = deps.pause ?? ((ms) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref()));
  const started = deps.now();
  const deadline = started + deps.deadlineMs;
  let onlyUnconnected = true;
  let wait = 200;
  for (;;) {
    try {
      const document = parseRingDocument(await deps.fetchRing(source));
      if (!document.members.some((m) => m.id === deps.selfId)) return 'not a member';
      deps.install(document);
      return 'installed';
    } catch (err) {
      const verdict = lookupFailure(err instanceof Error ? err.message : String(err));
      if (verdict === 'no ring' || verdict === 'unreachable') return verdict;
      if (verdict === 'no connection') {
        if (onlyUnconnected && deps.now() - started >= CONNECT_GIVE_UP_MS) return 'unreachable';
      } else onlyUnconnected = false;
      if (deps.now() + wait > deadline) return 'unreachable';
      await pause(wait);
      wait = Math.min(wait * 2, 2000);
    }
  }
}
