import type { ArgsDef } from 'citty';

const kebab = (name: string) => name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

/**
 * Why `rawArgs` do not fit the flags `defs` declares, or undefined. citty ignores a flag it does
 * not know, so `stoa deploy --dryrun` would deploy: every `stoa` command refuses one instead,
 * naming the closest flag it has. A string flag given no value (`--models` alone) or another
 * flag as its value is refused too. A value that starts with a dash (`--input -1`) is a value,
 * as citty reads it, and nothing after `--` is read.
 */
export function unknownFlag(rawArgs: readonly string[], defs: ArgsDef): string | undefined {
  const long = new Map<string, { type?: string }>();
  const short = new Map<string, { type?: string }>();
  for (const [name, def] of Object.entries(defs)) {
    if (def.type === 'positional') continue;
    long.set(kebab(name), def);
    const aliases = 'alias' in def && def.alias !== undefined ? [def.alias].flat() : [];
    for (const alias of aliases) (alias.length === 1 ? short : long).set(kebab(alias), def);
  }
  const takesValue = (def: { type?: string }) => def.type !== 'boolean';
  for (let i = 0; i < rawArgs.length; i++) {
    const arg = rawArgs[i]!;
    if (arg === '--') break;
    if (!arg.startsWith('-') || arg === '-' || /^-\d/.test(arg)) continue;
    if (arg.startsWith('--')) {
      const [written, value] = splitOnce(arg.slice(2));
      const name = kebab(written);
      const def = long.get(name) ?? (name.startsWith('no-') ? boolean(long.get(name.slice(3))) : undefined);
      if (!def) return unknown(`--${written}`, [...long.keys()]);
      if (!takesValue(def)) continue;
      const next = value ?? rawArgs[++i];
      if (next === undefined || next.trim() === '') return `--${written} needs a value`;
      // citty would take the next flag as this one's value: `--model --file x` is a slip.
      if (next.startsWith('--') && long.has(kebab(splitOnce(next.slice(2))[0])))
        return `--${written} needs a value before ${next}`;
      continue;
    }
    const letters = arg.slice(1);
    for (const [k, letter] of [...letters].entries()) {
      const def = short.get(letter);
      if (!def) return unknown(`-${letter}`, [...long.keys()]);
      if (!takesValue(def)) continue;
      // The rest of the letters are its value (`-n5`), else the next argument is.
      if (k === letters.length - 1 && (rawArgs[++i] ?? '').trim() === '') return `-${letter} needs a value`;
      break;
    }
  }
  return undefined;
}

function splitOnce(text: string): [string, string | undefined] {
  const at = text.indexOf('=');
  return at < 0 ? [text, undefined] : [text.slice(0, at), text.slice(at + 1)];
}

const boolean = (def: { type?: string } | undefined) => (def?.type === 'boolean' ? def : undefined);

function unknown(flag: string, known: readonly string[]): string {
  const written = flag.replace(/^-+/, '');
  const closest = known
    .map((name) => ({ name, distance: editDistance(written, name) }))
    .sort((a, b) => a.distance - b.distance)[0];
  const hint = closest && closest.distance <= 2 ? ` (did you mean --${closest.name}?)` : '';
  return `unknown option ${flag}${hint}; see --help`;
}

function editDistance(a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++) {
      next[j] = Math.min(row[j]! + 1, next[j - 1]! + 1, row[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    row = next;
  }
  return row[b.length]!;
}
