/**
 * `<cluster>-auth`: the credentials the operator generates. `peer-token` (node-to-node and
 * operator-to-node traffic) is always here, because the operator must know it and users should
 * never have to make it; `token` (clients' bearer token), which the nodes use while
 * spec.auth.secretName does not name the user's own Secret. The random values come in as
 * arguments so the builder stays pure; the reconcile loop creates this Secret only when it is
 * absent, and never rewrites its values.
 */
import type { V1Secret } from '@kubernetes/client-node';
import { authSecretName } from '../names.js';
import type { ClusterContext } from '../types.js';
import { objectMeta } from './labels.js';

export interface GeneratedTokens {
  token: string;
  peerToken: string;
}

/** The node's rule for a token (node/src/http/config.ts): 16+ printable ASCII characters, no spaces. */
const TOKEN_PATTERN = /^[\x21-\x7e]{16,}$/;

/** A token from random bytes (at least 16 of them), URL-safe so it can go anywhere. */
export function tokenFromBytes(bytes: Uint8Array): string {
  if (bytes.length < 16) throw new Error(`a token needs at least 16 random bytes, got ${bytes.length}`);
  return Buffer.from(bytes).toString('base64url');
}

export function authSecret(cluster: ClusterContext, tokens: GeneratedTokens): V1Secret {
  for (const [name, value] of Object.entries(tokens)) {
    if (!TOKEN_PATTERN.test(value)) throw new Error(`${name} must be at least 16 printable ASCII characters`);
  }
  // `token` also when the spec names the user's Secret: the pods mount this one's once
  // spec.auth.secretName is removed, and the Secret is never rewritten to add it then.
  const data: Record<string, string> = {
    token: base64(tokens.token),
    'peer-token': base64(tokens.peerToken),
  };
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: objectMeta(cluster, authSecretName(cluster.name)),
    type: 'Opaque',
    data,
  };
}

function base64(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64');
}
