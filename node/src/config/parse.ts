/**
 * Value parsers shared by every command's options: each takes the raw text of a flag or an
 * environment variable and returns the typed value or throws a message saying what was wrong.
 * Pure.
 */

const BYTE_UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  kib: 2 ** 10,
  mib: 2 ** 20,
  gib: 2 ** 30,
  k: 2 ** 10,
  m: 2 ** 20,
  g: 2 ** 30,
  ki: 2 ** 10,
  mi: 2 ** 20,
  gi: 2 ** 30,
};

/** "64MiB", "1Gi", "512k", "1048576" -> bytes. Kubernetes quantities (Mi, Gi) are accepted. */
export function parseBytes(text: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$/.exec(text);
  const unit = match ? BYTE_UNITS[match[2].toLowerCase()] : undefined;
  if (!match || unit === undefined) {
    throw new Error(`expected a size such as 1048576, 512KiB, 64MiB or 1GiB, got ${JSON.stringify(text)}`);
  }
  const bytes = Math.floor(Number(match[1]) * unit);
  if (!Number.isSafeInteger(bytes) || bytes <= 0) {
    throw new Error(`expected a positive size, got ${JSON.stringify(text)}`);
  }
  return bytes;
}

export function parsePositiveInteger(text: string): number {
  if (!/^\d+$/.test(text.trim())) throw new Error(`expected a positive integer, got ${JSON.stringify(text)}`);
  const value = Number(text.trim());
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new Error(`expected a positive integer, got ${JSON.stringify(text)}`);
  }
  return value;
}

/** An integer >= 0, where 0 means "off" for intervals. */
export function parseNonNegativeInteger(text: string): number {
  const value = Number(text.trim());
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(value)) {
    throw new Error(`expected an integer of 0 or more, got ${JSON.stringify(text)}`);
  }
  return value;
}

export function parsePort(text: string): number {
  const port = /^\d+$/.test(text.trim()) ? Number(text.trim()) : NaN;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`expected a port from 0 to 65535, got ${JSON.stringify(text)}`);
  }
  return port;
}

export function parseBoolean(text: string): boolean {
  const normalized = text.trim().toLowerCase();
  if (['true', '1', 'yes', 'on'].includes(normalized)) return true;
  if (['false', '0', 'no', 'off'].includes(normalized)) return false;
  throw new Error(`expected true or false, got ${JSON.stringify(text)}`);
}

export function parseChoice<T extends string>(choices: readonly T[]): (text: string) => T {
  return (text) => {
    if ((choices as readonly string[]).includes(text)) return text as T;
    throw new Error(`expected one of ${choices.join(', ')}, got ${JSON.stringify(text)}`);
  };
}

export function parseText(text: string): string {
  return text;
}
