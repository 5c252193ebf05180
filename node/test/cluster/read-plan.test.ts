/** Who a read asks, and which answers count (read-plan.ts). Pure. */
import { answersCounted, answersNeeded, readCandidates } from '../../src/cluster/read-plan.js';

const suspected = (ids: string[]) => (id: string) => ids.includes(id);
const ask = (c: { id: string; withHints: boolean }) => (c.withHints ? `${c.id}+hints` : c.id);

test('owners that are up, then fallbacks for their hints, then the suspected ones last', () => {
  const plan = readCandidates(['b', 'c'], ['d', 'e'], 'quorum', suspected(['b', 'd']));
  expect(plan.map(ask)).toEqual(['c', 'e+hints', 'b', 'd+hints']);
  expect(readCandidates(['b', 'c'], ['d'], 'one', suspected([])).map(ask)).toEqual(['b', 'c', 'd+hints']);
});

test('under "all" only owners that are up are asked: a hint does not stand in for an owner', () => {
  expect(readCandidates(['b', 'c'], ['d'], 'all', suspected(['c'])).map(ask)).toEqual(['b']);
});

test('answers needed from the others: the level over the read view, less this node if it is in it', () => {
  expect(answersNeeded('quorum', ['a', 'b'], ['b'], 'a')).toBe(1);
  expect(answersNeeded('quorum', ['a', 'b', 'c'], ['b', 'c'], 'a')).toBe(1);
  expect(answersNeeded('one', ['a', 'b'], ['b'], 'a')).toBe(0);
  // A joining coordinator, not yet in the read view, needs the whole quorum from the others.
  expect(answersNeeded('quorum', ['a', 'b'], ['a', 'b'], 'j')).toBe(2);
  expect(answersNeeded('all', ['a', 'b', 'c'], ['b', 'c'], 'a')).toBe(2);
});

test('answers counted: this node, owners of the view, fallbacks standing in; never more than the view', () => {
  const view = ['a', 'b'];
  const fromB = { id: 'b', withHints: false, ok: true };
  const silentB = { id: 'b', withHints: false, ok: false };
  const fromD = { id: 'd', withHints: true, ok: true };
  const joiner = { id: 'j', withHints: false, ok: true };
  expect(answersCounted(view, 'a', [fromB], ['d'])).toBe(2);
  expect(answersCounted(view, 'a', [silentB], ['d'])).toBe(1);
  expect(answersCounted(view, 'a', [silentB, fromD], ['d'])).toBe(2);
  // An owner only in the next view (a joiner) does not stand for the read view's silent owner.
  expect(answersCounted(view, 'a', [silentB, joiner], ['d'])).toBe(1);
  expect(answersCounted(view, 'a', [fromB, fromD], ['d'])).toBe(2);
});

test('a fallback counts only if every fallback before it answered: the hint went to the first one the writer reached', () => {
  const view = ['a', 'b'];
  const silentB = { id: 'b', withHints: false, ok: false };
  const fromE = { id: 'e', withHints: true, ok: true };
  const fromD = { id: 'd', withHints: true, ok: true };
  const silentD = { id: 'd', withHints: true, ok: false };
  expect(answersCounted(view, 'a', [silentB, fromE], ['d', 'e'])).toBe(1);
  expect(answersCounted(view, 'a', [silentB, silentD, fromE], ['d', 'e'])).toBe(1);
  expect(answersCounted(view, 'a', [silentB, fromE, fromD], ['d', 'e'])).toBe(2);
});
