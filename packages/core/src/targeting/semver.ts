import SemVer from 'semver/classes/semver.js';

// Not re-exported from the package: its SemVer type would make every consumer's type check need @types/semver.

/** semver.valid() plus Unleash's refusal of a leading `v`; null when invalid. */
export function parseSemver(version: string): SemVer | null {
  if (version.startsWith('v')) return null;
  try {
    return new SemVer(version);
  } catch {
    return null;
  }
}
