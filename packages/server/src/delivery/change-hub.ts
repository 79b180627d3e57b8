import type { RulesetChange } from '@flagline/core';
import type { EnvironmentSnapshot } from './environment-snapshot';
import type { ConfigSnapshot } from './load-snapshot';
import type { SnapshotSource } from './snapshot-source';

const HISTORY = 200;

interface HistoryEntry {
  from: number;
  to: number;
  change: RulesetChange;
}

export type ChangeListener = (change: RulesetChange) => void;

/**
 * What changed in one environment between two snapshots: changed flags in full (a flag whose segment changed
 * counts as changed), deleted ones by key, and the segments the flags use that are new, changed or no longer used.
 * The segment members appear only when there is something in them, so origin-style events keep their bytes.
 */
export function diffEnvironment(
  previous: EnvironmentSnapshot | undefined,
  next: EnvironmentSnapshot,
  version: number,
): RulesetChange {
  const before = previous?.rulesetFlagMap() ?? new Map<string, { fingerprint: string }>();
  const after = next.rulesetFlagMap();
  const changed = [...after.values()].filter((entry) => before.get(entry.flag.key)?.fingerprint !== entry.fingerprint);
  const deleted = [...before.keys()].filter((key) => !after.has(key));
  const change: RulesetChange = { version, changed: changed.map((entry) => entry.flag), deleted };
  const previousSegments = previous?.segments ?? new Map<string, { json: string }>();
  const segments = [...next.segments.values()]
    .filter((entry) => previousSegments.get(entry.segment.key)?.json !== entry.json)
    .map((entry) => entry.segment);
  const deletedSegments = [...previousSegments.keys()].filter((key) => !next.segments.has(key));
  if (segments.length > 0) change.segments = segments;
  if (deletedSegments.length > 0) change.deletedSegments = deletedSegments;
  return change;
}

const isEmpty = (change: RulesetChange): boolean =>
  change.changed.length === 0 &&
  change.deleted.length === 0 &&
  (change.segments?.length ?? 0) === 0 &&
  (change.deletedSegments?.length ?? 0) === 0;

/**
 * Turns snapshot refreshes into per-environment change events for the SSE stream, and keeps the last few so a client
 * reconnecting with Last-Event-ID can catch up without downloading the whole ruleset again.
 */
export class ChangeHub {
  private readonly listeners = new Map<string, Set<ChangeListener>>();
  private readonly credentialListeners = new Set<() => void>();
  private readonly history = new Map<string, HistoryEntry[]>();

  constructor(snapshots: SnapshotSource) {
    snapshots.onChange((next, previous) => this.publish(next, previous));
    snapshots.onTokensChange(() => {
      for (const listener of this.credentialListeners) listener();
    });
  }

  subscribe(environment: string, listener: ChangeListener): () => void {
    const set = this.listeners.get(environment) ?? new Set();
    this.listeners.set(environment, set);
    set.add(listener);
    return () => set.delete(listener);
  }

  /**
   * Tokens were created or revoked (on any instance, or upstream of a relay): the server stream passes this on, so a
   * relay following it checks its own open streams' credentials at once instead of at its next poll.
   */
  subscribeCredentials(listener: () => void): () => void {
    this.credentialListeners.add(listener);
    return () => this.credentialListeners.delete(listener);
  }

  get connections(): number {
    let total = 0;
    for (const set of this.listeners.values()) total += set.size;
    return total;
  }

  /**
   * The changes since `version` up to `current`, when this instance saw them all; undefined when it cannot tell
   * (too old, or from before this process started) and the client must take a full snapshot.
   */
  changesSince(environment: string, version: number, current: number): RulesetChange[] | undefined {
    if (version === current) return [];
    const entries = this.history.get(environment) ?? [];
    const start = entries.findIndex((entry) => entry.from === version);
    if (start === -1) return undefined;
    const chain = entries.slice(start);
    for (let i = 1; i < chain.length; i++) if (chain[i]?.from !== chain[i - 1]?.to) return undefined;
    if (chain.at(-1)?.to !== current) return undefined;
    return chain.map((entry) => entry.change).filter((change) => !isEmpty(change));
  }

  private publish(next: ConfigSnapshot, previous: ConfigSnapshot): void {
    for (const [environment, snapshot] of next.environments) {
      const change = diffEnvironment(previous.environments.get(environment), snapshot, next.version);
      const entries = this.history.get(environment) ?? [];
      this.history.set(environment, entries);
      entries.push({ from: previous.version, to: next.version, change });
      if (entries.length > HISTORY) entries.shift();
      if (isEmpty(change)) continue;
      for (const listener of this.listeners.get(environment) ?? []) listener(change);
    }
  }
}
