import { execFileSync } from 'node:child_process';

/**
 * Tests import the packages' sources, but the process tests spawn the built `flagline` bin: bring the build up to
 * date first (incremental, so a no-op when nothing changed), so they never run yesterday's JavaScript.
 */
export default function buildPackages(): void {
  execFileSync('npm', ['run', '--silent', 'build:packages'], { stdio: 'inherit' });
}
