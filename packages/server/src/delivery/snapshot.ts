import { eq, sql } from 'drizzle-orm';
import type { Logger } from 'pino';
import type { Database, Unlisten } from '../db/client';
import { configState } from '../db/schema';
import { CHANGES_CHANNEL, type ChangeNotice, parseChangeNotice } from '../db/unit-of-work';

import { type ConfigSnapshot, type LoadedSnapshot, loadSnapshot } from './load-snapshot';
import { loadFlagChanges } from './snapshot-changes';
import type { SnapshotListener, SnapshotSource } from './snapshot-source';

export type { SnapshotListener } from './snapshot-source';

/** Notices remembered ahead of the snapshot; past this many, later ones count as unscoped (a full reload). */
const MAX_SCOPES = 1_000;

/**
 * Each instance evaluates from an in-memory snapshot. It reloads when a change evaluation sees is announced (NOTIFY),
 * once per change even for this instance's own (see receive), and, as a safety net for a lost connection or
 * notification, polls the config version every `pollMs`. It is also how the instance hears that API tokens changed
 * (onTokensChange), which evaluation never reads: the same notification and the same poll carry it.
 */
export class SnapshotStore implements SnapshotSource {
  private snapshot: LoadedSnapshot | undefined;
  /** What each version newer than the snapshot changed, by its notice (see loadFlagChanges). */
  private readonly scopes = new Map<number, readonly string[] | undefined>();
  /** When this instance last confirmed its snapshot is current (a refresh, or a version poll that found no change). */
  checkedAt = new Date(0);
  private loading: Promise<void> | undefined;
  private dirty = false;
  private pollTimer: NodeJS.Timeout | undefined;
  private unlisten: Unlisten | undefined;
  private readonly listeners = new Set<SnapshotListener>();
  private readonly tokenListeners = new Set<() => void>();
  /** The token counts the last poll saw: when they move, a token notification may have been lost. */
  private tokenMark: string | undefined;

  constructor(
    private readonly database: Database,
    private readonly logger: Logger,
    private readonly pollMs: number,
  ) {}

  get current(): ConfigSnapshot {
    if (!this.snapshot) throw new Error('snapshot not loaded yet: call start() first');
    return this.snapshot;
  }

  get ready(): boolean {
    return this.snapshot !== undefined;
  }

  async start(): Promise<void> {
    await this.refresh();
    await this.pollVersion();
    this.unlisten = await this.database.listen(CHANGES_CHANNEL, (payload) => {
      this.receive(parseChangeNotice(payload)).catch((error: unknown) =>
        this.logger.error({ err: error }, 'snapshot refresh failed'),
      );
    });
    this.pollTimer = setInterval(() => {
      this.pollVersion().catch((error: unknown) => this.logger.warn({ err: error }, 'snapshot version poll failed'));
    }, this.pollMs);
    this.pollTimer.unref();
  }

  async stop(): Promise<void> {
    if (this.pollTimer) clearInterval(this.pollTimer);
    this.pollTimer = undefined;
    await this.unlisten?.();
    this.unlisten = undefined;
    await this.loading?.catch(() => {});
  }

  onChange(listener: SnapshotListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Called when API tokens were created or revoked, on any instance. */
  onTokensChange(listener: () => void): () => void {
    this.tokenListeners.add(listener);
    return () => this.tokenListeners.delete(listener);
  }

  /**
   * A committed change: announced by NOTIFY, or this instance's own, just committed (read-your-writes). Reloads only
   * when evaluation sees the change and the snapshot does not have it yet, so an instance's own change and its
   * notification cost one reload between them; tells the token listeners when tokens changed. An unreadable notice
   * (undefined) may mean anything: reload and tell them.
   */
  async receive(notice: ChangeNotice | undefined): Promise<void> {
    if (notice === undefined || notice.tokens) for (const listener of this.tokenListeners) listener();
    if (notice === undefined) await this.refresh();
    else if (notice.configVersion !== null) {
      if (notice.configVersion > (this.snapshot?.version ?? -1) && this.scopes.size < MAX_SCOPES) {
        this.scopes.set(notice.configVersion, notice.flagKeys);
      }
      await this.ensureAtLeast(notice.configVersion);
    }
  }

  /** Reloads; concurrent calls coalesce into at most one more load after the one in flight. */
  refresh(): Promise<void> {
    if (this.loading) {
      this.dirty = true;
      return this.loading;
    }
    this.loading = (async () => {
      try {
        do {
          this.dirty = false;
          const next = await this.load();
          const previous = this.snapshot;
          if (!previous || next.version >= previous.version) {
            this.snapshot = next;
            this.checkedAt = next.loadedAt;
            if (previous) for (const listener of this.listeners) listener(next, previous);
          }
        } while (this.dirty);
      } finally {
        this.loading = undefined;
      }
    })();
    return this.loading;
  }

  /**
   * The snapshot as the database has it now: only the flags the changes since touched, when their notices said which
   * and nothing else changed, else everything.
   */
  private async load(): Promise<LoadedSnapshot> {
    const previous = this.snapshot;
    if (previous) {
      for (const version of this.scopes.keys()) if (version <= previous.version) this.scopes.delete(version);
      const next = await loadFlagChanges(this.database.db, previous, this.scopes);
      if (next) return next;
    }
    return loadSnapshot(this.database.db);
  }

  /**
   * Reloads if the snapshot is behind `version`. A load under way is awaited first rather than followed by another:
   * it may already include the version (one started after the change committed does), and only if not is there one
   * more load.
   */
  async ensureAtLeast(version: number): Promise<void> {
    for (let attempt = 0; attempt < 3 && (this.snapshot?.version ?? -1) < version; attempt++) {
      await (this.loading ?? this.refresh());
    }
  }

  private async pollVersion(): Promise<void> {
    if (this.loading) return;
    // Tokens are never deleted, only created and revoked, so these two counts move with every token change.
    const [row] = await this.database.db
      .select({
        version: configState.version,
        tokens: sql<string>`(select count(*) || ':' || count(revoked_at) from api_tokens)`,
      })
      .from(configState)
      .where(eq(configState.id, 1));
    if (!row) return;
    if (this.tokenMark !== undefined && row.tokens !== this.tokenMark) {
      for (const listener of this.tokenListeners) listener();
    }
    this.tokenMark = row.tokens;
    // Through ensureAtLeast, not refresh: a load already under way (this instance's own change, or a notice) may bring
    // this version, and refresh would queue one more load after it.
    if (!this.snapshot || row.version !== this.snapshot.version) await this.ensureAtLeast(row.version);
    else this.checkedAt = new Date();
  }
}
