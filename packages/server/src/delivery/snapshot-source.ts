import type { Config } from '../config';
import type { Principal } from '../http/context';
import type { ConfigSnapshot } from './load-snapshot';

export type SnapshotListener = (snapshot: ConfigSnapshot, previous: ConfigSnapshot) => void;

/**
 * Where the delivery routes read flags from: the database (SnapshotStore, in `flagline serve`) or an upstream's
 * stream (RelaySnapshot, in `flagline relay`). One set of routes serves both, so a relay answers as the server does.
 */
export interface SnapshotSource {
  /** The snapshot evaluation reads; throws before the first one arrived (check `ready`). */
  readonly current: ConfigSnapshot;
  readonly ready: boolean;
  /** When the snapshot was last confirmed current. */
  readonly checkedAt: Date;
  /** Each new snapshot, with the one it replaces (the change hub turns them into stream events). */
  onChange(listener: SnapshotListener): () => void;
  /** Credentials may have changed (revocation): open streams check theirs. */
  onTokensChange(listener: () => void): () => void;
}

/** Turns what a request presents into a principal: the database's token table, or an upstream's answer. */
export interface CredentialVerifier {
  authenticate(authorization: string | undefined, clientAddress?: string): Promise<Principal>;
  /** The principal for a credential already verified, without I/O; undefined when it needs `authenticate`. */
  cachedPrincipal(authorization: string | undefined): Principal | undefined;
}

/** What the delivery routes (evaluation, ruleset, OFREP, streams) are built from, in the server and in the relay. */
export interface DeliveryDeps {
  config: Pick<Config, 'sseHeartbeatMs' | 'streams' | 'snapshotPollMs'>;
  snapshot: SnapshotSource;
}
