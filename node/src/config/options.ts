/**
 * Declarative command-line options: each option is a flag, an environment variable, a default
 * and a parser. `parseOptions` reads them in the order flag > environment > default and reports
 * every problem at once; `helpText` and `markdownTable` render the same table, so `--help` and
 * the README cannot disagree. Pure.
 */

export interface OptionSpec<T> {
  /** `--max-memory` */
  flag: string;
  /** `RINGCACHE_MAX_MEMORY` */
  env: string;
  /** Shown in --help; undefined means the option is unset unless given. */
  defaultValue: T | undefined;
  /** How the default is printed (e.g. "64MiB" rather than 67108864). */
  defaultText?: string;
  description: string;
  /** A flag that takes no value (`--metrics-auth`); its presence means true. */
  switch?: boolean;
  parse: (text: string) => T;
}

export type OptionSpecs = Record<string, OptionSpec<unknown>>;

export type OptionValues<S extends OptionSpecs> = {
  [K in keyof S]: S[K] extends OptionSpec<infer T> ? T : never;
};

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join('\n'));
    this.name = 'ConfigError';
  }
}

export interface ParsedOptions<S extends OptionSpecs> {
  values: OptionValues<S>;
  help: boolean;
}

export function parseOptions<S extends OptionSpecs>(
  specs: S,
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): ParsedOptions<S> {
  const byFlag = new Map(Object.entries(specs).map(([name, spec]) => [spec.flag, name]));
  const given = new Map<string, { text: string; source: string }>();
  const problems: string[] = [];
  let help = false;

  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '-h' || arg === '--help') {
      help = true;
      continue;
    }
    const eq = arg.indexOf('=');
    const flag = eq > 0 ? arg.slice(0, eq) : arg;
    const name = byFlag.get(flag);
    if (name === undefined) {
      problems.push(`unknown option ${JSON.stringify(arg)} (see --help)`);
      continue;
    }
    const spec = specs[name];
    if (eq > 0) given.set(name, { text: arg.slice(eq + 1), source: flag });
    else if (spec.switch) given.set(name, { text: 'true', source: flag });
    else if (i + 1 < argv.length) given.set(name, { text: argv[++i], source: flag });
    else problems.push(`${flag} needs a value`);
  }

  const values: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(specs)) {
    const raw = given.get(name) ?? envValue(spec, env);
    if (raw === undefined) {
      values[name] = spec.defaultValue;
      continue;
    }
    try {
      values[name] = spec.parse(raw.text);
    } catch (err) {
      problems.push(`${raw.source}: ${(err as Error).message}`);
    }
  }
  if (problems.length > 0 && !help) throw new ConfigError(problems);
  return { values: values as OptionValues<S>, help };
}

function envValue(spec: OptionSpec<unknown>, env: Readonly<Record<string, string | undefined>>) {
  const text = env[spec.env];
  return text === undefined || text === '' ? undefined : { text, source: spec.env };
}

function defaultText(spec: OptionSpec<unknown>): string {
  if (spec.defaultText !== undefined) return spec.defaultText;
  return spec.defaultValue === undefined ? '(unset)' : String(spec.defaultValue);
}

export function helpText(usage: string, specs: OptionSpecs): string {
  const rows = Object.values(specs).map((spec) => {
    const flag = spec.switch ? spec.flag : `${spec.flag} <value>`;
    return { flag, env: spec.env, text: `${spec.description} (default: ${defaultText(spec)})` };
  });
  const width = Math.max(...rows.map((row) => row.flag.length));
  const lines = rows.map(
    (row) => `  ${row.flag.padEnd(width)}  ${row.text}\n  ${' '.repeat(width)}  env ${row.env}`,
  );
  return `${usage}\n\noptions (flag, then environment variable, then default):\n${lines.join('\n')}\n  ${'-h, --help'.padEnd(width)}  print this help\n`;
}

export function markdownTable(specs: OptionSpecs): string {
  const lines = ['| flag | environment | default | meaning |', '|---|---|---|---|'];
  for (const spec of Object.values(specs)) {
    lines.push(`| \`${spec.flag}\` | \`${spec.env}\` | ${defaultText(spec)} | ${spec.description} |`);
  }
  return lines.join('\n');
}
