/**
 * SlotLists against a model of plain arrays: after any sequence of links, unlinks and moves,
 * every list holds the same slots in the same order, with the same lengths and owners.
 */
import fc from 'fast-check';
import { SlotLists, STAMP_LIMIT } from '../../src/store/policy/slot-list.js';

const LISTS = 3;
const SLOTS = 12;

type Op =
  { kind: 'push' | 'move' | 'moveHead'; list: number; slot: number } | { kind: 'unlink'; slot: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    kind: fc.constantFrom('push' as const, 'move' as const, 'moveHead' as const),
    list: fc.nat(LISTS - 1),
    slot: fc.nat(SLOTS - 1),
  }),
  fc.record({ kind: fc.constant('unlink' as const), slot: fc.nat(SLOTS - 1) }),
);

/** Walks `list` from its head through `nextOf`. */
function walk(lists: SlotLists, list: number): number[] {
  const order: number[] = [];
  for (let slot = lists.head(list); slot !== -1; slot = lists.nextOf(slot)) {
    order.push(slot);
    if (order.length > SLOTS) throw new Error(`list ${list} has a cycle`);
  }
  return order;
}

describe('SlotLists', () => {
  it('keeps every list in the order a model of arrays gives, through links, unlinks and moves', () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 200 }), (ops) => {
        const lists = new SlotLists(LISTS, 4); // small, so the records grow on the way
        const model: number[][] = Array.from({ length: LISTS }, () => []);
        const ownerOf = (slot: number) => model.findIndex((l) => l.includes(slot));
        const remove = (slot: number) =>
          model.forEach((l) => l.includes(slot) && l.splice(l.indexOf(slot), 1));
        for (const op of ops) {
          const owner = ownerOf(op.slot);
          if (op.kind === 'push') {
            if (owner !== -1) continue; // pushTail takes an unlinked slot
            lists.pushTail(op.list, op.slot);
            model[op.list].push(op.slot);
          } else if (op.kind === 'move') {
            lists.moveToTail(op.list, op.slot);
            remove(op.slot);
            model[op.list].push(op.slot);
          } else if (op.kind === 'moveHead') {
            lists.moveToHead(op.list, op.slot);
            remove(op.slot);
            model[op.list].unshift(op.slot);
          } else {
            lists.unlink(op.slot);
            remove(op.slot);
          }
          for (let list = 0; list < LISTS; list++) {
            expect(walk(lists, list)).toEqual(model[list]);
            expect(lists.lengths[list]).toBe(model[list].length);
            expect(lists.tails[list]).toBe(model[list].at(-1) ?? -1);
            expect(lists.tailOf(list)).toBe(model[list].at(-1) ?? -1);
          }
          for (let slot = 0; slot < SLOTS; slot++) expect(lists.ownerOf(slot)).toBe(ownerOf(slot));
        }
      }),
      { numRuns: 300 },
    );
  });

  it('keeps a mark until the slot moves or leaves; a mark never changes the owner', () => {
    const lists = new SlotLists(LISTS, 4);
    lists.pushTail(2, 5);
    lists.pushTail(2, 6);
    expect(lists.isMarked(5)).toBe(false);
    lists.mark(5);
    expect(lists.isMarked(5)).toBe(true);
    expect(lists.ownerOf(5)).toBe(2);
    expect(walk(lists, 2)).toEqual([5, 6]);
    lists.moveToTail(2, 5);
    expect(lists.isMarked(5)).toBe(false);
    expect(walk(lists, 2)).toEqual([6, 5]);
    lists.mark(6);
    lists.unlink(6);
    expect(lists.ownerOf(6)).toBe(-1);
    expect(lists.isMarked(6)).toBe(false);
  });

  it('keeps a stamp beside the owner and the mark until the slot moves; clearStamps clears stamps only', () => {
    const lists = new SlotLists(LISTS, 4);
    lists.pushTail(2, 5);
    lists.pushTail(1, 6);
    expect(lists.stampOf(5)).toBe(0);
    lists.mark(5);
    lists.setStamp(5, STAMP_LIMIT - 1);
    lists.setStamp(6, 3);
    expect(lists.stampOf(5)).toBe(STAMP_LIMIT - 1);
    expect(lists.ownerOf(5)).toBe(2);
    expect(lists.isMarked(5)).toBe(true);
    lists.setStamp(5, 1);
    expect(lists.stampOf(5)).toBe(1);
    expect(lists.isMarked(5)).toBe(true);
    lists.clearStamps();
    expect([lists.stampOf(5), lists.stampOf(6)]).toEqual([0, 0]);
    expect([lists.ownerOf(5), lists.ownerOf(6), lists.isMarked(5)]).toEqual([2, 1, true]);
    lists.setStamp(6, 3);
    lists.moveToTail(2, 6);
    expect(lists.stampOf(6)).toBe(0);
    expect(walk(lists, 2)).toEqual([5, 6]);
  });
});
