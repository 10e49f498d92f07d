/**
 * Rules' `types` globs (API.md): `*` matches any run of characters, `/` and `:` included; every
 * other character matches itself. Matching splits the pattern at its stars and finds the pieces
 * in order with indexOf, so no regular expression is ever built from a rule (nothing to inject,
 * no backtracking): the cost is at most the pattern's pieces times the type's length.
 */

/** Long enough for any GuardDuty, ASFF or OCSF type; a rule's glob is refused past it. */
export const maxTypeGlobLength = 256;
/** Stars beyond a handful say nothing a shorter glob would not. */
export const maxTypeGlobStars = 8;

/** Why `pattern` cannot be a rule's type glob (a sentence to follow its path), or null when it can. */
export function typeGlobProblem(pattern: string): string | null {
  if (pattern.length === 0) return 'must not be empty; use "*" to match every type';
  if (pattern.length > maxTypeGlobLength) return `must be at most ${maxTypeGlobLength} characters long`;
  if (!/^[\x20-\x7e]+$/.test(pattern)) return 'must be printable ASCII: finding types never hold other characters';
  if (pattern.split('*').length - 1 > maxTypeGlobStars) return `must have at most ${maxTypeGlobStars} '*'`;
  return null;
}

/** A matcher for one glob; throws a RangeError for a glob typeGlobProblem refuses (a defect: rules are validated at start-up). */
export function compileTypeGlob(pattern: string): (type: string) => boolean {
  const problem = typeGlobProblem(pattern);
  if (problem !== null) throw new RangeError(`type glob ${JSON.stringify(pattern.slice(0, 64))} ${problem}`);
  const pieces = pattern.split('*');
  if (pieces.length === 1) return (type) => type === pattern;
  const first = pieces[0] ?? '';
  const last = pieces.at(-1) ?? '';
  const middle = pieces.slice(1, -1).filter((piece) => piece !== '');
  return (type) => {
    if (type.length < first.length + last.length || !type.startsWith(first) || !type.endsWith(last)) return false;
    // The leftmost place for each middle piece leaves the most room for the rest, so one pass decides.
    let from = first.length;
    const end = type.length - last.length;
    for (const piece of middle) {
      const at = type.indexOf(piece, from);
      if (at === -1 || at + piece.length > end) return false;
      from = at + piece.length;
    }
    return true;
  };
}

/** True when the glob matches the type. */
export function matchesTypeGlob(pattern: string, type: string): boolean {
  return compileTypeGlob(pattern)(type);
}

/** True when any of the globs matches any of the finding's type strings. */
export function matchesAnyType(patterns: readonly string[], types: readonly string[]): boolean {
  return patterns.some((pattern) => {
    const matches = compileTypeGlob(pattern);
    return types.some(matches);
  });
}
