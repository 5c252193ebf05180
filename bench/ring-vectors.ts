/**
 * ring:vectors — writes the placement test vectors: node/test/ring/vectors.json (checked by
 * the ring tests) and the tables between the vector markers of docs/ring.md (the tests check
 * the page holds every line). Run it only when the placement rule changes on purpose.
 *
 *   npm run ring:vectors
 */
import { readFileSync, writeFileSync } from 'node:fs';
import type { MemberState, RingDocument } from '../node/src/ring/document.js';
import { murmur3 } from '../node/src/ring/hash.js';
import { buildRing, CURRENT, DEFAULT_VNODES, NEXT, ownersOf } from '../node/src/ring/ring.js';
import { ownersForWrite, primaryOf } from '../node/src/ring/ownership.js';

const HASH_INPUTS = [
  '',
  'a',
  'ab',
  'abc',
  'abcd',
  'hello',
  'user:42',
  'demo-0#0',
  'demo-0#2047',
  'ü✓',
  '🙂 emoji',
  'The quick brown fox jumps over the lazy dog',
];
const KEYS = [
  'user:1',
  'user:2',
  'session:abc',
  'cart/77',
  'ü✓',
  '🙂',
  'k0',
  'k1',
  'k2',
  'k3',
  'k4',
  'k5',
  'k6',
  'k7',
  'a'.repeat(250),
];
const RINGS: Array<{ name: string; members: Record<string, MemberState> }> = [
  { name: '3 members', members: { 'demo-0': 'active', 'demo-1': 'active', 'demo-2': 'active' } },
  {
    name: '5 members',
    members: {
      'demo-0': 'active',
      'demo-1': 'active',
      'demo-2': 'active',
      'demo-3': 'active',
      'demo-4': 'active',
    },
  },
  {
    name: 'a change: demo-1 leaving, demo-3 joining',
    members: { 'demo-0': 'active', 'demo-1': 'leaving', 'demo-2': 'active', 'demo-3': 'joining' },
  },
];

const quote = (text: string) => JSON.stringify(text.length > 40 ? `${text.slice(0, 12)}...` : text);

const vectors = {
  hashes: HASH_INPUTS.map((input) => ({ input, murmur3: murmur3(input) })),
  rings: RINGS.map(({ name, members }) => {
    const document: RingDocument = {
      epoch: 1,
      replicationFactor: 2,
      members: Object.entries(members).map(([id, state]) => ({ id, address: `${id}.demo:8080`, state })),
    };
    const ring = buildRing(document);
    return {
      name,
      vnodes: DEFAULT_VNODES,
      replicationFactor: document.replicationFactor,
      members: document.members.map(({ id, state }) => ({ id, state })),
      keys: KEYS.map((key) => ({
        key,
        hash: murmur3(key),
        current: ownersOf(ring, key, 2, CURRENT),
        next: ownersOf(ring, key, 2, NEXT),
        owners: ownersForWrite(ring, key),
        primary: primaryOf(ring, key),
      })),
    };
  }),
};

const lines: string[] = ['| input | murmur3 |', '|---|---:|'];
for (const { input, murmur3: hash } of vectors.hashes) lines.push(`| ${JSON.stringify(input)} | ${hash} |`);
for (const ring of vectors.rings) {
  const members = ring.members.map((m) => `${m.id} (${m.state})`).join(', ');
  lines.push('', `${ring.name}: ${members}; ${ring.vnodes} vnodes, RF ${ring.replicationFactor}`, '');
  lines.push('| key | murmur3 | current view | next view | write and read order |', '|---|---:|---|---|---|');
  for (const v of ring.keys) {
    lines.push(
      `| ${quote(v.key)} | ${v.hash} | ${v.current.join(', ')} | ${v.next.join(', ')} | ${v.owners.join(', ')} |`,
    );
  }
}

writeFileSync('node/test/ring/vectors.json', `${JSON.stringify(vectors, null, 2)}\n`);
const page = readFileSync('docs/ring.md', 'utf8');
const begin = '<!-- vectors:begin -->';
const end = '<!-- vectors:end -->';
const from = page.indexOf(begin);
const to = page.indexOf(end);
if (from < 0 || to < from) throw new Error(`docs/ring.md lacks the ${begin} and ${end} markers`);
writeFileSync(
  'docs/ring.md',
  `${page.slice(0, from + begin.length)}\n${lines.join('\n')}\n${page.slice(to)}`,
);
process.stderr.write(`wrote ${vectors.hashes.length} hashes and ${vectors.rings.length} rings of vectors\n`);
