/** FLAGLINE_ADMIN_TOKEN is chosen by a person, so it is the one credential worth checking for guessability. */
export const ADMIN_TOKEN_MIN_LENGTH = 32;
const MIN_DISTINCT_CHARACTERS = 8;

/** The shortest unit the text is a repetition of ("abcabcabc" → 3), or its own length when it repeats nothing. */
function repeatingUnitLength(text: string): number {
  for (let unit = 1; unit <= text.length / 2; unit++) {
    if (text.length % unit !== 0) continue;
    if (text.slice(0, unit).repeat(text.length / unit) === text) return unit;
  }
  return text.length;
}

/**
 * Why the value is too weak to be the admin token, or undefined when it is acceptable. Length alone is not enough: a
 * 32-character run of one key, or a short pattern typed over and over, is among the first things a guesser tries.
 * A random token (e.g. `openssl rand -hex 32`) passes every rule.
 */
export function adminTokenWeakness(token: string): string | undefined {
  const length = [...token].length;
  if (length < ADMIN_TOKEN_MIN_LENGTH) {
    return `must be at least ${ADMIN_TOKEN_MIN_LENGTH} characters (it has ${length}); generate one with "openssl rand -hex 32"`;
  }
  const unit = repeatingUnitLength(token);
  if (unit < token.length) {
    return `is one ${unit}-character pattern repeated; generate a random one with "openssl rand -hex 32"`;
  }
  const distinct = new Set(token).size;
  if (distinct < MIN_DISTINCT_CHARACTERS) {
    return `uses only ${distinct} different characters (at least ${MIN_DISTINCT_CHARACTERS} needed); generate a random one with "openssl rand -hex 32"`;
  }
  return undefined;
}
