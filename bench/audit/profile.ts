import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * CPU profiles of the spawned `flagline` processes (V8's --cpu-prof, written when the process exits), boiled down to
 * where the busy time went: by package or source file, and the hottest functions. Idle time is left out, so the
 * shares say what the process spent its CPU on, not how busy it was (cpu.ts says that).
 */
export function profiledArgs(): { args: string[]; dir: string } {
  const dir = mkdtempSync(join(tmpdir(), 'flagline-bench-profile-'));
  // Node arguments, not NODE_OPTIONS: Node 20 refuses --cpu-prof there.
  return { args: ['--cpu-prof', `--cpu-prof-dir=${dir}`], dir };
}

interface ProfileNode {
  id: number;
  hitCount?: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

function areaOf(url: string, functionName: string): string {
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  const modules = url.lastIndexOf('node_modules/');
  if (modules !== -1) {
    const parts = url.slice(modules + 'node_modules/'.length).split('/');
    return parts[0]?.startsWith('@') ? `${parts[0]}/${parts[1]}` : (parts[0] ?? url);
  }
  if (url.startsWith('node:')) return 'node internals';
  const inPackages = url.indexOf('/packages/');
  return inPackages === -1 ? url : url.slice(inPackages + 1);
}

const share = (part: number, whole: number) => Math.round((part / whole) * 1000) / 10;

/** Every profile in `dir`, summarised and merged (one per process); the directory is removed afterwards. */
export function summariseProfiles(dir: string, top = 10) {
  const byArea = new Map<string, number>();
  const byFunction = new Map<string, number>();
  let busy = 0;
  let profiles = 0;
  try {
    for (const name of readdirSync(dir).filter((file) => file.endsWith('.cpuprofile'))) {
      profiles++;
      const profile = JSON.parse(readFileSync(join(dir, name), 'utf8')) as { nodes: ProfileNode[] };
      for (const node of profile.nodes) {
        const hits = node.hitCount ?? 0;
        const { functionName, url, lineNumber } = node.callFrame;
        if (hits === 0 || functionName === '(idle)') continue;
        busy += hits;
        const area = areaOf(url, functionName);
        byArea.set(area, (byArea.get(area) ?? 0) + hits);
        const fn = `${functionName || '(anonymous)'} ${area}${url ? `:${lineNumber + 1}` : ''}`;
        byFunction.set(fn, (byFunction.get(fn) ?? 0) + hits);
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const ranked = (map: Map<string, number>) =>
    [...map.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, hits]) => ({ name, percentOfBusy: share(hits, busy) }));
  return { profiles, busySamples: busy, byArea: ranked(byArea), hottestFunctions: ranked(byFunction) };
}

export type ProfileSummary = ReturnType<typeof summariseProfiles>;
