import { randomUUID } from 'node:crypto';
import { and, asc, eq, getTableColumns, inArray, isNull, notInArray, type SQL, sql } from 'drizzle-orm';
import type { Logger } from 'pino';
import { AUDIT_SEALED_CHANNEL } from '../audit/sealer';
import { type SealedAuditRow, toAuditEvent } from '../audit/view';
import { WakeableLoop } from '../background/wakeable-loop';
import type { Config } from '../config';
import type { Database } from '../db/client';
import { auditChain, auditEvents, webhookDeliveries, webhooks } from '../db/schema';
import { RecentlyUsed } from '../shared/recently-used';
import { describeFailure, failureCode, ShutdownError } from './delivery-failure';
import { WebhookSender } from './sender';
import { legacySignature, standardSignature } from './signing';
import { TargetPolicy } from './target-policy';
import { maskUrl } from './url-masking';

/** Deliveries claimed per transaction at most; only what may start at once is claimed (see claim). */
const CLAIM_BATCH = 100;
const POLL_MS = 5_000;
/** How far a lease outlives the longest send (the timeout): room for the two queries around it. */
const LEASE_MARGIN_MS = 30_000;
/** At stop, how long in-flight sends get to record that they were cut off (and release their leases). */
const RELEASE_WAIT_MS = 2_000;

/** Webhook rows and events kept between claims (both are immutable once the claim can return them). */
const TARGETS_KEPT = 1_000;
const EVENTS_KEPT = 2_000;

type WebhookRow = typeof webhooks.$inferSelect;

interface Claimed {
  id: bigint;
  attempts: number;
  eventId: bigint;
  webhookId: string;
  leaseToken: string;
}

/** A claimed row as the driver returns it (bigints as text). */
type ClaimedRow = Omit<Claimed, 'id' | 'eventId'> & { id: string; eventId: string };

type Outcome =
  | { kind: 'delivered'; statusCode: number }
  | { kind: 'failed'; statusCode: number | null; error: string; code?: string | undefined }
  | { kind: 'interrupted' }
  | { kind: 'dropped'; error: string };

/**
 * Sends the webhook outbox. Each delivery is claimed (SKIP LOCKED) with a lease — a token and an expiry, held in
 * next_attempt_at — only when it can be sent at once, and is sent on its own: no batch waits for its slowest member.
 * Each endpoint has at most maxInFlightPerEndpoint sends in flight per process, so a receiver that hangs fills its
 * own slots and delays only itself. The lease outlives the send (timeout + margin), and only the lease holder writes
 * the result (the update is conditional on the token), so a delivery whose lease ran out and was claimed again is
 * recorded once. `attempts` counts sends. Delivery is at least once; receivers deduplicate with `webhook-id`.
 */
export class WebhookDispatcher extends WakeableLoop {
  private readonly sender: WebhookSender;
  private readonly inFlight = new Map<string, number>();
  private readonly sends = new Set<Promise<void>>();
  private stopping = false;
  private claiming: Promise<unknown> = Promise.resolve();
  private readonly targets = new RecentlyUsed<string, WebhookRow>(TARGETS_KEPT);
  private readonly events = new RecentlyUsed<bigint, SealedAuditRow>(EVENTS_KEPT);

  constructor(
    database: Database,
    private readonly options: Config['webhooks'],
    logger: Logger,
    policy?: TargetPolicy,
  ) {
    // Deliveries are created as their events are sealed, in sealed order: that is when there is something to send.
    super(database, logger, AUDIT_SEALED_CHANNEL, POLL_MS);
    this.sender = new WebhookSender(policy ?? new TargetPolicy(options.allowedTargets), options.timeoutMs);
  }

  override async start(): Promise<void> {
    this.stopping = false;
    this.sender.open();
    await super.start();
  }

  /**
   * Cuts every in-flight send off at once (whatever the receivers do), lets each record that and release its lease
   * for at most RELEASE_WAIT_MS, and stops claiming.
   */
  override async stop(): Promise<void> {
    this.stopping = true;
    this.sender.cutOff(new ShutdownError('webhook dispatcher stopping'));
    await super.stop();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled([...this.sends]),
      new Promise((resolve) => {
        timer = setTimeout(resolve, RELEASE_WAIT_MS);
      }),
    ]);
    clearTimeout(timer);
    this.sender.close();
  }

  protected async pass(): Promise<number | undefined> {
    // Each send that started wakes the loop when it ends, and that pass looks for what is due next: no need to ask now.
    if ((await this.startDue()) > 0) return undefined;
    // Endpoints at their limit are left out: a send finishing wakes the loop for them.
    const next = this.database.db
      .select({ at: webhookDeliveries.nextAttemptAt })
      .from(webhookDeliveries)
      .where(and(eq(webhookDeliveries.webhookId, webhooks.id), eq(webhookDeliveries.status, 'pending')))
      .orderBy(asc(webhookDeliveries.nextAttemptAt))
      .limit(1)
      .as('next');
    const [row] = await this.database.db
      .select({ ms: sql<string | null>`extract(epoch from (min(${next.at}) - now())) * 1000` })
      .from(webhooks)
      .crossJoinLateral(next)
      .where(this.openEndpoints());
    return row?.ms === null || row?.ms === undefined ? undefined : Number(row.ms);
  }

  /**
   * Sends everything due now and waits for those sends — an endpoint's deliveries beyond its in-flight limit as its
   * slots free up; returns how many were sent (one-shot use and tests).
   */
  async runOnce(): Promise<number> {
    let started = 0;
    for (;;) {
      started += await this.startDue();
      if (this.sends.size === 0) return started;
      await Promise.race(this.sends);
    }
  }

  /** Claims and starts every due delivery an endpoint has room for; does not wait for the sends. */
  private async startDue(): Promise<number> {
    let started = 0;
    while (!this.stopping) {
      // Claim and start as one step, so a concurrent claim (runOnce beside the loop) counts these as in flight.
      const claimed = await this.serialised(async () => {
        const deliveries = await this.claim();
        if (deliveries.length === 0) return 0;
        // What each send needs, read once for the whole claim rather than per send, and kept: a webhook row never
        // changes (only its deletion, which the claim checks) and a sealed event never does, while each event is
        // sent to every webhook in turn.
        const db = this.database.db;
        const missingTargets = [...new Set(deliveries.map((delivery) => delivery.webhookId))].filter(
          (id) => !this.targets.has(id),
        );
        const missingEvents = [...new Set(deliveries.map((delivery) => delivery.eventId))].filter(
          (id) => !this.events.has(id),
        );
        if (missingTargets.length > 0) {
          for (const row of await db.select().from(webhooks).where(inArray(webhooks.id, missingTargets))) {
            this.targets.remember(row.id, row);
          }
        }
        const unsealed = new Map<bigint, SealedAuditRow>();
        if (missingEvents.length > 0) {
          const rows = await db
            .select({
              ...getTableColumns(auditEvents),
              link: { position: auditChain.position, prevHash: auditChain.prevHash, hash: auditChain.hash },
            })
            .from(auditEvents)
            .leftJoin(auditChain, eq(auditChain.eventId, auditEvents.id))
            .where(inArray(auditEvents.id, missingEvents));
          // An event from before sealing existed may still wait for its link: read it again next time.
          for (const row of rows) if (row.link) this.events.remember(row.id, row);
          for (const row of rows) if (!row.link) unsealed.set(row.id, row);
        }
        const targets = this.targets;
        const events = { get: (id: bigint) => this.events.get(id) ?? unsealed.get(id) };
        for (const delivery of deliveries) {
          this.begin(delivery, targets.get(delivery.webhookId), events.get(delivery.eventId));
        }
        return deliveries.length;
      });
      started += claimed;
      // A claim short of the batch gave every endpoint with room all its due deliveries: asking again at once would
      // only come back empty, and each claim is a round trip that a freed slot's refill would queue behind.
      if (claimed < CLAIM_BATCH) break;
    }
    return started;
  }

  private serialised<T>(work: () => Promise<T>): Promise<T> {
    const next = this.claiming.then(work);
    this.claiming = next.catch(() => {});
    return next;
  }

  /** Live webhooks that have room for another send in this process. */
  private openEndpoints(): SQL | undefined {
    const saturated = [...this.inFlight]
      .filter(([, count]) => count >= this.options.maxInFlightPerEndpoint)
      .map(([webhookId]) => webhookId);
    return and(isNull(webhooks.deletedAt), saturated.length > 0 ? notInArray(webhooks.id, saturated) : undefined);
  }

  /**
   * Per endpoint with room, its oldest due deliveries — as many as it has room for in this process — leased in one
   * statement (an index walk per endpoint: a backlog behind a hanging endpoint is never scanned past), locked SKIP
   * LOCKED so processes claim disjoint rows. One round trip: every claim sits between a send finishing and the next
   * one starting, so its cost bounds each endpoint's throughput.
   */
  private async claim(): Promise<Claimed[]> {
    const leaseMs = this.options.timeoutMs + LEASE_MARGIN_MS;
    const max = this.options.maxInFlightPerEndpoint;
    const used = Object.fromEntries(this.inFlight);
    const result = await this.database.db.execute(sql`
      update ${webhookDeliveries} d
      set lease_token = ${randomUUID()}::uuid, next_attempt_at = now() + ${`${leaseMs} milliseconds`}::interval
      from (
        select due.id
        from ${webhooks} w
        cross join lateral (
          select id from ${webhookDeliveries}
          where webhook_id = w.id and status = 'pending' and next_attempt_at <= now()
          order by next_attempt_at, id
          limit greatest(0, ${max} - coalesce((${JSON.stringify(used)}::jsonb ->> w.id::text)::int, 0))
          for update skip locked
        ) due
        where w.deleted_at is null
        limit ${CLAIM_BATCH}
      ) chosen
      where d.id = chosen.id
      returning d.id::text as id, d.attempts, d.event_id::text as "eventId", d.webhook_id::text as "webhookId",
        d.lease_token::text as "leaseToken"`);
    const rows = (result as unknown as { rows: ClaimedRow[] }).rows;
    return rows.map((row) => ({ ...row, id: BigInt(row.id), eventId: BigInt(row.eventId) }));
  }

  private begin(delivery: Claimed, target: WebhookRow | undefined, event: SealedAuditRow | undefined): void {
    this.inFlight.set(delivery.webhookId, (this.inFlight.get(delivery.webhookId) ?? 0) + 1);
    let freed = false;
    // Its endpoint has room again as soon as the send is over: the next claim runs while this result is recorded
    // (the lease keeps the delivery from being claimed again meanwhile), so recording is not part of each slot's cycle.
    const freeSlot = () => {
      if (freed) return;
      freed = true;
      const left = (this.inFlight.get(delivery.webhookId) ?? 1) - 1;
      if (left > 0) this.inFlight.set(delivery.webhookId, left);
      else this.inFlight.delete(delivery.webhookId);
      if (!this.isStopped) this.wake();
    };
    const send: Promise<void> = this.deliver(delivery, target, event, freeSlot)
      .catch((error: unknown) =>
        this.logger.error({ err: error, deliveryId: delivery.id.toString() }, 'webhook delivery could not be recorded'),
      )
      .finally(() => {
        freeSlot();
        this.sends.delete(send);
      });
    this.sends.add(send);
  }

  private async deliver(
    delivery: Claimed,
    target: WebhookRow | undefined,
    event: SealedAuditRow | undefined,
    sendIsOver: () => void,
  ): Promise<void> {
    if (!target || target.deletedAt || !event) {
      await this.record(delivery, { kind: 'dropped', error: event ? 'webhook deleted' : 'event not found' });
      return;
    }
    const body = JSON.stringify(toAuditEvent(event, event.link));
    const id = event.id.toString();
    const timestamp = String(Math.floor(Date.now() / 1000));
    const headers = {
      'content-type': 'application/json',
      'user-agent': 'Flagline-Webhooks/1',
      'webhook-id': id,
      'webhook-timestamp': timestamp,
      'webhook-signature': standardSignature(target.secret, id, timestamp, body),
      'x-flagline-event-id': id,
      'x-flagline-event-type': event.type,
      'x-flagline-timestamp': timestamp,
      'x-flagline-signature': legacySignature(target.secret, timestamp, body),
    };
    let outcome: Outcome;
    try {
      const statusCode = await this.sender.post(new URL(target.url), headers, body);
      outcome =
        statusCode >= 200 && statusCode < 300
          ? { kind: 'delivered', statusCode }
          : { kind: 'failed', statusCode, error: `HTTP ${statusCode}` };
    } catch (error) {
      outcome = this.stopping
        ? { kind: 'interrupted' }
        : { kind: 'failed', statusCode: null, error: describeFailure(error), code: failureCode(error) };
    }
    sendIsOver();
    await this.record(delivery, outcome);
    if (outcome.kind === 'failed') {
      this.logger.warn(
        {
          webhookId: target.id,
          url: maskUrl(target.url),
          eventId: id,
          attempt: delivery.attempts + 1,
          error: outcome.error,
          code: outcome.code,
        },
        'webhook delivery failed',
      );
    }
  }

  /** Writes the outcome if this process still holds the lease; a send cut off by stop() is due again at once. */
  private async record(delivery: Claimed, outcome: Outcome): Promise<void> {
    const held = and(
      eq(webhookDeliveries.id, delivery.id),
      eq(webhookDeliveries.status, 'pending'),
      sql`${webhookDeliveries.leaseToken} = ${delivery.leaseToken}::uuid`,
    );
    const attempts = delivery.attempts + 1;
    let update: Partial<typeof webhookDeliveries.$inferInsert>;
    if (outcome.kind === 'dropped') {
      update = { status: 'failed', lastError: outcome.error };
    } else if (outcome.kind === 'delivered') {
      update = {
        status: 'delivered',
        attempts,
        deliveredAt: new Date(),
        lastStatusCode: outcome.statusCode,
        lastError: null,
      };
    } else if (outcome.kind === 'interrupted') {
      update = {
        attempts,
        lastStatusCode: null,
        lastError: describeFailure(new ShutdownError()),
        nextAttemptAt: new Date(),
      };
    } else {
      const exhausted = attempts >= this.options.maxAttempts;
      const backoff = Math.min(this.options.maxBackoffMs, this.options.retryBaseMs * 2 ** (attempts - 1));
      const jitter = Math.floor(Math.random() * Math.min(1000, backoff / 2));
      update = {
        status: exhausted ? 'failed' : 'pending',
        attempts,
        lastStatusCode: outcome.statusCode,
        lastError: outcome.error,
        nextAttemptAt: new Date(Date.now() + backoff + jitter),
      };
    }
    const written = await this.database.db
      .update(webhookDeliveries)
      .set({ ...update, leaseToken: null })
      .where(held)
      .returning({ id: webhookDeliveries.id });
    if (written.length === 0) {
      this.logger.warn(
        { deliveryId: delivery.id.toString(), outcome: outcome.kind },
        'webhook delivery lease was lost (another process claimed it again); its result was not recorded',
      );
    }
  }
}
