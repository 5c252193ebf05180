/**
 * A bearer token that can change while the node runs. In Kubernetes the token files are a
 * mounted Secret, which the kubelet rewrites when the Secret changes (a rotation, or a Secret
 * deleted and generated anew by the operator); a node that read its token only at start-up would
 * then refuse the credential every other party uses, and the cluster would stay split until its
 * pods restarted. So a token given as a file is read again every `reloadMs`; after a change the
 * previous token is still accepted for `graceMs`, while clients and peers pick up the new one.
 * Decisions are pure (`accepts` takes the time); the file reading is the thin shell around them.
 */
import { createHash, timingSafeEqual } from 'node:crypto';

const digest = (text: string): Buffer => createHash('sha256').update(text).digest();

/** The node's rule for a token: 16+ printable ASCII characters, no spaces (config.ts). */
export function validToken(text: string): string | undefined {
  const trimmed = text.trim();
  return trimmed.length >= 16 && /^[\x21-\x7e]+$/.test(trimmed) ? trimmed : undefined;
}

export class Credential {
  private currentDigest: Buffer;
  private previous: { digest: Buffer; until: number } | undefined;

  constructor(
    private token: string,
    private readonly graceMs: number,
  ) {
    this.currentDigest = digest(token);
  }

  /** The token this node presents (to peers) and accepts first. */
  get current(): string {
    return this.token;
  }

  /**
   * Takes `next` as the token from `now` on; the one before stays accepted until now + graceMs.
   * Returns whether anything changed.
   */
  rotate(next: string, now: number): boolean {
    if (next === this.token) return false;
    this.previous = this.graceMs > 0 ? { digest: this.currentDigest, until: now + this.graceMs } : undefined;
    this.token = next;
    this.currentDigest = digest(next);
    return true;
  }

  /**
   * Whether `presented` is the current token, or the previous one within its grace. Both sides
   * are hashed to a fixed length first, and both comparisons always run, so the time taken does
   * not depend on the presented token (no timing oracle).
   */
  accepts(presented: string, now: number): boolean {
    if (presented.length === 0) return false;
    const seen = digest(presented);
    const current = timingSafeEqual(seen, this.currentDigest);
    const previous =
      this.previous !== undefined && timingSafeEqual(seen, this.previous.digest) && now < this.previous.until;
    return current || previous;
  }
}

/** Where a credential's value comes from: a file read again on change, or a fixed value. */
export interface CredentialSource {
  credential: Credential;
  /** The file the token is read from; undefined for a token given as a value. */
  file?: string;
}

/** What one reload found: the token changed, stayed, or the file could not give a valid token. */
export type ReloadResult = { outcome: 'changed' | 'same' } | { outcome: 'invalid'; reason: string };

/** Reads `source.file` again and rotates the credential if it holds a new valid token. */
export function reloadCredential(
  source: CredentialSource,
  readFile: (path: string) => string,
  now: number,
): ReloadResult {
  if (source.file === undefined) return { outcome: 'same' };
  let text: string;
  try {
    text = readFile(source.file);
  } catch (err) {
    return { outcome: 'invalid', reason: `cannot read ${source.file}: ${(err as Error).message}` };
  }
  const token = validToken(text);
  if (token === undefined) {
    return {
      outcome: 'invalid',
      reason: `${source.file} does not hold a valid token (16+ printable ASCII characters, no spaces)`,
    };
  }
  return { outcome: source.credential.rotate(token, now) ? 'changed' : 'same' };
}
