/**
 * Kubernetes quantities ("256Mi", "1.5G", "500m", "1e3") read and written the way the API server
 * does (k8s.io/apimachinery resource.Quantity): binary suffixes are powers of 1024, decimal ones
 * powers of 1000. Pure.
 */
import type { Quantity } from './types.js';

/** The API server's quantity grammar (the pattern controller-gen emits for resource.Quantity). */
export const QUANTITY_PATTERN =
  /^(\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))))?$/;

/** The same grammar without a sign: what the CRD accepts for a resource amount, never negative. */
export const RESOURCE_QUANTITY_PATTERN =
  /^\+?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))))?$/;

const SUFFIXES: Record<string, number> = {
  '': 1,
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};

export const Ki = 2 ** 10;
export const Mi = 2 ** 20;
export const Gi = 2 ** 30;

/** The quantity's value in base units (bytes for memory, cores for cpu); throws when malformed. */
export function parseQuantity(quantity: Quantity): number {
  if (typeof quantity === 'number') {
    if (!Number.isFinite(quantity)) throw new Error(`not a quantity: ${quantity}`);
    return quantity;
  }
  const text = quantity.trim();
  if (!QUANTITY_PATTERN.test(text)) throw new Error(`not a quantity: ${JSON.stringify(quantity)}`);
  const match = /^([+-]?[0-9.]+)(.*)$/.exec(text)!;
  const [, number, suffix] = match;
  if (/^[eE]/.test(suffix)) return Number(number) * 10 ** Number(suffix.slice(1));
  return Number(number) * SUFFIXES[suffix];
}

/** Bytes of a memory quantity, rounded up to a whole byte as the API server does. */
export function quantityBytes(quantity: Quantity): number {
  return Math.ceil(parseQuantity(quantity));
}

/** Bytes written with the largest binary suffix that divides them exactly ("448Mi", "1Gi", "1000"). */
export function formatBytes(bytes: number): string {
  if (!Number.isSafeInteger(bytes) || bytes < 0) throw new Error(`not a byte count: ${bytes}`);
  if (bytes === 0) return '0';
  for (const [suffix, unit] of [
    ['Gi', Gi],
    ['Mi', Mi],
    ['Ki', Ki],
  ] as const) {
    if (bytes % unit === 0) return `${bytes / unit}${suffix}`;
  }
  return String(bytes);
}
