import { readFileSync } from 'node:fs';

function readVersion(): string {
  // package.json is the one version source; src/ (tests) and dist/ (built) both sit one level below it.
  const packageJson: unknown = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
  if (typeof packageJson === 'object' && packageJson !== null && 'version' in packageJson) {
    const { version } = packageJson;
    if (typeof version === 'string') return version;
  }
  throw new Error('@flagline/server package.json has no version');
}

/** The version /healthz, /openapi.json and `flagline --version` report. */
export const VERSION = readVersion();
