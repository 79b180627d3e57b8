import { createHash, randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { basename, dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createBrotliDecompress } from 'node:zlib';
import { type Browser, chromium } from 'playwright-core';
import { extract } from 'tar';

/**
 * Which Chromium the browser suite drives, so that `npm install && npm test` works on a machine with no browser
 * installed by hand:
 *   1. CHROMIUM_PATH, when set (any Chromium or Chrome a contributor prefers);
 *   2. Debian's Chromium at /usr/bin/chromium, when present;
 *   3. the headless Chromium that the dev dependency @sparticuz/chromium ships inside its registry package
 *      (brotli-compressed, with the NSS libraries it links against): unpacked once per version under
 *      node_modules/.cache, with no install script and no download.
 * Every browser gets the same fonts, DejaVu from the dev dependency dejavu-fonts-ttf (Debian's default fonts), through a
 * fontconfig file of our own: the shipped Chromium has none, and screenshots then look alike whichever browser ran.
 */

export interface ResolvedBrowser {
  executablePath: string;
  /** Where it came from, printed with the test output. */
  description: string;
  source: 'CHROMIUM_PATH' | 'system' | 'bundled';
  /** The browser process's environment. */
  env: Record<string, string>;
}

const SYSTEM_CHROMIUM = '/usr/bin/chromium';

/** The flags of a test browser: no sandbox (CI runs as root), no GPU, and nothing that calls out to Google. */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

const require = createRequire(import.meta.url);

/** The folder of an installed package (resolving its entry point works whatever its `exports` allow). */
function packageDir(name: string, entry: string): string {
  let dir = dirname(require.resolve(entry));
  while (!existsSync(join(dir, 'package.json')) || readPackage(dir).name !== name) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`Cannot find the folder of the package ${name}.`);
    dir = parent;
  }
  return dir;
}

function readPackage(dir: string): { name?: string; version?: string } {
  return JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
}

/** node_modules/.cache/flagline-e2e in the node_modules holding the package, so `rm -rf node_modules` takes it along. */
function cacheDir(packageFolder: string): string {
  let dir = packageFolder;
  while (basename(dir) !== 'node_modules') {
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`${packageFolder} is not inside a node_modules folder.`);
    dir = parent;
  }
  return join(dir, '.cache', 'flagline-e2e');
}

/**
 * Writes a folder whole or not at all: built under a unique name and renamed into place, so test runs started at the
 * same time (several worktrees, CI) never see a half-unpacked browser; the slower one discards its copy.
 */
async function buildOnce(target: string, build: (folder: string) => Promise<void>): Promise<void> {
  if (existsSync(target)) return;
  const scratch = `${target}.partial-${randomUUID()}`;
  mkdirSync(scratch, { recursive: true });
  try {
    await build(scratch);
    renameSync(scratch, target);
  } catch (error) {
    if (!existsSync(target)) throw error;
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

async function bundledChromium(): Promise<{ executablePath: string; libraryPath: string; version: string }> {
  const source = packageDir('@sparticuz/chromium', '@sparticuz/chromium');
  const version = readPackage(source).version ?? 'unknown';
  const target = join(cacheDir(source), `chromium-${version}`);
  await buildOnce(target, async (folder) => {
    await pipeline(
      createReadStream(join(source, 'bin', 'chromium.br')),
      createBrotliDecompress(),
      createWriteStream(join(folder, 'chromium'), { mode: 0o755 }),
    );
    // NSS, NSPR and expat, the only libraries it needs besides glibc: a slim Debian image has none of them.
    await extract({ file: join(source, 'bin', 'al2023.tar.br'), cwd: folder, brotli: true });
  });
  return { executablePath: join(target, 'chromium'), libraryPath: join(target, 'lib'), version };
}

async function fontconfigFile(): Promise<string> {
  const fonts = packageDir('dejavu-fonts-ttf', 'dejavu-fonts-ttf/package.json');
  const cache = cacheDir(fonts);
  // In Debian's order: first its 49-sansserif.conf (a family that is not installed, such as system-ui or Arial, falls
  // back to sans-serif rather than to whichever font sorts first), then DejaVu's own rules, which make it the
  // sans-serif, serif and monospace family. Pages then look as they do in Debian's Chromium.
  const rules = ['57-dejavu-sans.conf', '57-dejavu-serif.conf', '57-dejavu-sans-mono.conf']
    .map((file) => `  <include ignore_missing="yes">${join(fonts, 'fontconfig', file)}</include>`)
    .join('\n');
  const config = `<?xml version="1.0"?>
<!DOCTYPE fontconfig SYSTEM "urn:fontconfig:fonts.dtd">
<fontconfig>
  <dir>${join(fonts, 'ttf')}</dir>
  <cachedir>${join(cache, 'fontconfig-cache')}</cachedir>
  <match target="pattern">
    <test qual="all" name="family" compare="not_eq"><string>sans-serif</string></test>
    <test qual="all" name="family" compare="not_eq"><string>serif</string></test>
    <test qual="all" name="family" compare="not_eq"><string>monospace</string></test>
    <edit name="family" mode="append_last"><string>sans-serif</string></edit>
  </match>
${rules}
</fontconfig>
`;
  const target = join(cache, `fontconfig-${createHash('sha256').update(config).digest('hex').slice(0, 12)}`);
  await buildOnce(target, (folder) => writeFile(join(folder, 'fonts.conf'), config));
  return join(target, 'fonts.conf');
}

function processEnv(): Record<string, string> {
  return Object.fromEntries(
    Object.entries(process.env).filter((entry): entry is [string, string] => entry[1] !== undefined),
  );
}

export async function resolveChromium(): Promise<ResolvedBrowser> {
  const env: Record<string, string> = { ...processEnv(), FONTCONFIG_FILE: await fontconfigFile() };
  const chosen = process.env.CHROMIUM_PATH;
  if (chosen) {
    if (!existsSync(chosen)) throw new Error(`CHROMIUM_PATH is ${chosen}, which does not exist.`);
    return { executablePath: chosen, description: `${chosen} (CHROMIUM_PATH)`, source: 'CHROMIUM_PATH', env };
  }
  if (existsSync(SYSTEM_CHROMIUM)) {
    return { executablePath: SYSTEM_CHROMIUM, description: `${SYSTEM_CHROMIUM} (system)`, source: 'system', env };
  }
  const bundled = await bundledChromium();
  const libraryPath = [bundled.libraryPath, env.LD_LIBRARY_PATH].filter(Boolean).join(':');
  return {
    executablePath: bundled.executablePath,
    description: `@sparticuz/chromium ${bundled.version} (npm dev dependency, unpacked at ${bundled.executablePath})`,
    source: 'bundled',
    env: { ...env, LD_LIBRARY_PATH: libraryPath },
  };
}

/** The resolved browser, launched headless with the test flags. */
export function launchChromium(resolved: ResolvedBrowser): Promise<Browser> {
  return chromium.launch({
    executablePath: resolved.executablePath,
    headless: true,
    args: CHROMIUM_ARGS,
    env: resolved.env,
  });
}
