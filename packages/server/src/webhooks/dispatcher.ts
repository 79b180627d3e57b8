import { randomUUID } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import { and, asc, eq, getTableColumns, inArray, isNull, lte, notInArray, type SQL, sql } from 'drizzle-orm';
import type { Logger } from 'pino';
import { AUDIT_SEALED_CHANNEL } from '../audit/sealer';
import { type SealedAuditRow, toAuditEvent } from '../audit/view';
import { WakeableLoop } from '../background/wakeable-loop';
import type { Config } from '../config';
import type { Database } from '../db/client';
import { auditChain, auditEvents, webhookDeliveries, webhooks } from '../db/schema';
import { describeFailure, failureCode, ShutdownError } from './delivery-failure';
import { legacySignature, standardSignature } from './signing';
import { TargetNotAllowedError, TargetPolicy } from './target-policy';
import { maskUrl } from './url-masking';

/** Deliveries claimed per transaction at most; only what may start at once is claimed (see claim). */
const CLAIM_BATCH = 100;
const POLL_MS = 5_000;
/** How far a lease outlives the longest send (the timeout): room for the two queries around it. */
const LEASE_MARGIN_MS = 30_000;
/** At stop, how long in-flight sends get to record that they were cut off (and release their leases). */
const RELEASE_WAIT_MS = 2_000;

type WebhookRow = typeof webhooks.$inferSelect;

interface Claimed {
  id: bigint;
  attempts: number;
  eventId: bigint;
  webhookId: string;
  leaseToken: string;
}

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
  private readonly policy: TargetPolicy;
  private readonly inFlight = new Map<string, number>();
  private readonly sends = new Set<Promise<void>>();
  /** One per send in flight; stop() aborts them all. */
  private readonly controllers = new Set<AbortController>();
  private stopping = false;
  private claiming: Promise<unknown> = Promise.resolve();
  private readonly agents = {
    'http:': new http.Agent({ keepAlive: true }),
    'https:': new https.Agent({ keepAlive: true }),
  };

  constructor(
    database: Database,
    private readonly options: Config['webhooks'],
    logger: Logger,
    policy?: TargetPolicy,
  ) {
    // Deliveries are created as their events are sealed, in sealed order: that is when there is something to send.
    super(database, logger, AUDIT_SEALED_CHANNEL, POLL_MS);
    this.policy = policy ?? new TargetPolicy(options.allowedTargets);
  }

  override async start(): Promise<void> {
    this.stopping = false;
    await super.start();
  }

  /**
   * Cuts every in-flight send off at once (whatever the receivers do), lets each record that and release its lease
   * for at most RELEASE_WAIT_MS, and stops claiming.
   */
  override async stop(): Promise<void> {
    this.stopping = true;
    for (const controller of this.controllers) controller.abort(new ShutdownError('webhook dispatcher stopping'));
    await super.stop();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled([...this.sends]),
      new Promise((resolve) => {
        timer = setTimeout(resolve, RELEASE_WAIT_MS);
      }),
    ]);
    clearTimeout(timer);
    for (const agent of Object.values(this.agents)) agent.destroy();
  }

  protected async pass(): Promise<number | undefined> {
    await this.startDue();
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
        // What each send needs, read once for the whole claim rather than per send.
        const db = this.database.db;
        const webhookIds = [...new Set(deliveries.map((delivery) => delivery.webhookId))];
        const eventIds = [...new Set(deliveries.map((delivery) => delivery.eventId))];
        const targets = new Map(
          (await db.select().from(webhooks).where(inArray(webhooks.id, webhookIds))).map((row) => [row.id, row]),
        );
        const events = new Map(
          (
            await db
              .select({
                ...getTableColumns(auditEvents),
                link: { position: auditChain.position, prevHash: auditChain.prevHash, hash: auditChain.hash },
              })
              .from(auditEvents)
              .leftJoin(auditChain, eq(auditChain.eventId, auditEvents.id))
              .where(inArray(auditEvents.id, eventIds))
          ).map((row) => [row.id, row]),
        );
        for (const delivery of deliveries) {
          this.begin(delivery, targets.get(delivery.webhookId), events.get(delivery.eventId));
        }
        return deliveries.length;
      });
      if (claimed === 0) break;
      started += claimed;
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
   * Per endpoint with room, its oldest due deliveries (an index walk per endpoint: a backlog behind a hanging
   * endpoint is never scanned past), locked SKIP LOCKED so processes claim disjoint rows.
   */
  private async claim(): Promise<Claimed[]> {
    const leaseMs = this.options.timeoutMs + LEASE_MARGIN_MS;
    return this.database.db.transaction(async (tx) => {
      const candidate = tx
        .select({ id: webhookDeliveries.id })
        .from(webhookDeliveries)
        .where(
          and(
            eq(webhookDeliveries.webhookId, webhooks.id),
            eq(webhookDeliveries.status, 'pending'),
            lte(webhookDeliveries.nextAttemptAt, sql`now()`),
          ),
        )
        .orderBy(asc(webhookDeliveries.nextAttemptAt), asc(webhookDeliveries.id))
        .limit(this.options.maxInFlightPerEndpoint)
        .for('update', { skipLocked: true })
        .as('candidate');
      const due = await tx
        .select({ id: candidate.id, webhookId: webhooks.id })
        .from(webhooks)
        .crossJoinLateral(candidate)
        .where(this.openEndpoints())
        .limit(CLAIM_BATCH);
      // Only what starts now is leased; the rest stays unclaimed (the lock ends with this transaction) for later, or
      // for another process.
      const room = new Map(this.inFlight);
      const chosen: bigint[] = [];
      for (const row of due) {
        const used = room.get(row.webhookId) ?? 0;
        if (used >= this.options.maxInFlightPerEndpoint) continue;
        room.set(row.webhookId, used + 1);
        chosen.push(row.id);
      }
      if (chosen.length === 0) return [];
      return tx
        .update(webhookDeliveries)
        .set({
          leaseToken: randomUUID(),
          nextAttemptAt: sql`now() + ${`${leaseMs} milliseconds`}::interval`,
        })
        .where(inArray(webhookDeliveries.id, chosen))
        .returning({
          id: webhookDeliveries.id,
          attempts: webhookDeliveries.attempts,
          eventId: webhookDeliveries.eventId,
          webhookId: webhookDeliveries.webhookId,
          leaseToken: sql<string>`${webhookDeliveries.leaseToken}::text`,
        });
    });
  }

  private begin(delivery: Claimed, target: WebhookRow | undefined, event: SealedAuditRow | undefined): void {
    this.inFlight.set(delivery.webhookId, (this.inFlight.get(delivery.webhookId) ?? 0) + 1);
    const send: Promise<void> = this.deliver(delivery, target, event)
      .catch((error: unknown) =>
        this.logger.error({ err: error, deliveryId: delivery.id.toString() }, 'webhook delivery could not be recorded'),
      )
      .finally(() => {
        const left = (this.inFlight.get(delivery.webhookId) ?? 1) - 1;
        if (left > 0) this.inFlight.set(delivery.webhookId, left);
        else this.inFlight.delete(delivery.webhookId);
        this.sends.delete(send);
        // Its endpoint has room again: look for more of its due deliveries.
        if (!this.isStopped) this.wake();
      });
    this.sends.add(send);
  }

  private async deliver(
    delivery: Claimed,
    target: WebhookRow | undefined,
    event: SealedAuditRow | undefined,
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
      const statusCode = await this.post(new URL(target.url), headers, body);
      outcome =
        statusCode >= 200 && statusCode < 300
          ? { kind: 'delivered', statusCode }
          : { kind: 'failed', statusCode, error: `HTTP ${statusCode}` };
    } catch (error) {
      outcome = this.stopping
        ? { kind: 'interrupted' }
        : { kind: 'failed', statusCode: null, error: describeFailure(error), code: failureCode(error) };
    }
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

  /**
   * POSTs and resolves with the status code once the response headers arrive (the body is not waited for). Cut off
   * by the timeout or by stop(). Redirects are not followed. The connection goes only where the policy allows: IP
   * literals are judged here, names by the policy's lookup when the socket connects.
   */
  private post(url: URL, headers: Record<string, string>, body: string): Promise<number> {
    const refusal = this.policy.refusalOfUrl(url);
    if (refusal) return Promise.reject(new TargetNotAllowedError(`${url.hostname} is a ${refusal} address`));
    const trusted = this.policy.trustsHost(url.hostname);
    // One controller per send, cut by its own timer or by stop(). (Not AbortSignal.any with AbortSignal.timeout:
    // on Node 20 such a combined signal can be garbage-collected while the request waits, and then never fires.)
    const controller = new AbortController();
    const timer = setTimeout(
      () => controller.abort(new DOMException('webhook timeout', 'TimeoutError')),
      this.options.timeoutMs,
    );
    if (this.stopping) controller.abort(new ShutdownError('webhook dispatcher stopping'));
    this.controllers.add(controller);
    const client = url.protocol === 'https:' ? https : http;
    return new Promise<number>((resolve, reject) => {
      const request = client.request(
        url,
        {
          method: 'POST',
          headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
          agent: url.protocol === 'https:' ? this.agents['https:'] : this.agents['http:'],
          signal: controller.signal,
          ...(trusted ? {} : { lookup: this.policy.lookup }),
        },
        (response) => {
          // The body is discarded, never waited for.
          response.on('error', () => {});
          response.destroy();
          resolve(response.statusCode ?? 0);
        },
      );
      request.on('error', (error) => reject(controller.signal.aborted ? (controller.signal.reason ?? error) : error));
      request.end(body);
    }).finally(() => {
      clearTimeout(timer);
      this.controllers.delete(controller);
    });
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
