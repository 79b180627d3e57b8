/**
 * Generated — do not edit. Regenerate with `npm run openapi` (packages/sdk/scripts/api-types.ts, from
 * packages/server/openapi.json).
 */

/** The schemas of the "Webhooks" routes. */

export interface WebhooksSchemas {
  CreatedWebhook: {
    /** Format: uuid */
    id: string;
    url: string;
    description: string;
    eventTypes:
      | (
          | 'flag.created'
          | 'flag.updated'
          | 'flag.deleted'
          | 'flag_override.set'
          | 'flag.targeting_updated'
          | 'flag.variants_updated'
          | 'segment.created'
          | 'segment.updated'
          | 'segment.deleted'
          | 'flag_override.removed'
          | 'token.created'
          | 'token.revoked'
          | 'audit.checkpoint'
          | 'webhook.created'
          | 'webhook.deleted'
          | 'config.imported'
          | 'environment.created'
          | 'environment.updated'
          | 'change_request.requested'
          | 'change_request.approved'
          | 'change_request.rejected'
          | 'change_request.applied'
          | 'change_request.failed'
          | 'change_request.expired'
          | 'plan.created'
          | 'plan.paused'
          | 'plan.resumed'
          | 'plan.cancelled'
          | 'plan.completed'
          | 'flag_schedule.created'
          | 'flag_schedule.cancelled'
          | 'flag_schedule.applied'
          | 'flag_schedule.retrying'
          | 'flag_schedule.failed'
        )[]
      | null;
    createdBy: string | null;
    /**
     * Format: date-time
     * @description ISO 8601 timestamp (UTC).
     */
    createdAt: string;
    deliveries: {
      pending: number;
      delivered: number;
      failed: number;
      /**
       * Format: date-time
       * @description ISO 8601 timestamp (UTC).
       */
      lastDeliveredAt: string | null;
      lastError: string | null;
    };
    secret: string;
  };
  CreateWebhookBody: {
    /** Format: uri */
    url: string;
    /** @description Deliver only these event types (default: every type). */
    eventTypes?: (
      | 'flag.created'
      | 'flag.updated'
      | 'flag.deleted'
      | 'flag_override.set'
      | 'flag.targeting_updated'
      | 'flag.variants_updated'
      | 'segment.created'
      | 'segment.updated'
      | 'segment.deleted'
      | 'flag_override.removed'
      | 'token.created'
      | 'token.revoked'
      | 'audit.checkpoint'
      | 'webhook.created'
      | 'webhook.deleted'
      | 'config.imported'
      | 'environment.created'
      | 'environment.updated'
      | 'change_request.requested'
      | 'change_request.approved'
      | 'change_request.rejected'
      | 'change_request.applied'
      | 'change_request.failed'
      | 'change_request.expired'
      | 'plan.created'
      | 'plan.paused'
      | 'plan.resumed'
      | 'plan.cancelled'
      | 'plan.completed'
      | 'flag_schedule.created'
      | 'flag_schedule.cancelled'
      | 'flag_schedule.applied'
      | 'flag_schedule.retrying'
      | 'flag_schedule.failed'
    )[];
    /** @description HMAC secret (generated when omitted); returned only in this response. */
    secret?: string;
    description?: string;
  };
  Webhook: {
    /** Format: uuid */
    id: string;
    url: string;
    description: string;
    eventTypes:
      | (
          | 'flag.created'
          | 'flag.updated'
          | 'flag.deleted'
          | 'flag_override.set'
          | 'flag.targeting_updated'
          | 'flag.variants_updated'
          | 'segment.created'
          | 'segment.updated'
          | 'segment.deleted'
          | 'flag_override.removed'
          | 'token.created'
          | 'token.revoked'
          | 'audit.checkpoint'
          | 'webhook.created'
          | 'webhook.deleted'
          | 'config.imported'
          | 'environment.created'
          | 'environment.updated'
          | 'change_request.requested'
          | 'change_request.approved'
          | 'change_request.rejected'
          | 'change_request.applied'
          | 'change_request.failed'
          | 'change_request.expired'
          | 'plan.created'
          | 'plan.paused'
          | 'plan.resumed'
          | 'plan.cancelled'
          | 'plan.completed'
          | 'flag_schedule.created'
          | 'flag_schedule.cancelled'
          | 'flag_schedule.applied'
          | 'flag_schedule.retrying'
          | 'flag_schedule.failed'
        )[]
      | null;
    createdBy: string | null;
    /**
     * Format: date-time
     * @description ISO 8601 timestamp (UTC).
     */
    createdAt: string;
    deliveries: {
      pending: number;
      delivered: number;
      failed: number;
      /**
       * Format: date-time
       * @description ISO 8601 timestamp (UTC).
       */
      lastDeliveredAt: string | null;
      lastError: string | null;
    };
  };
  WebhookDelivery: {
    id: string;
    eventId: string;
    /** @enum {string} */
    status: 'pending' | 'delivered' | 'failed';
    attempts: number;
    /**
     * Format: date-time
     * @description ISO 8601 timestamp (UTC).
     */
    nextAttemptAt: string | null;
    lastStatusCode: number | null;
    lastError: string | null;
    /**
     * Format: date-time
     * @description ISO 8601 timestamp (UTC).
     */
    deliveredAt: string | null;
    /**
     * Format: date-time
     * @description ISO 8601 timestamp (UTC).
     */
    createdAt: string;
  };
}
