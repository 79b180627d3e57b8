/**
 * Generated — do not edit. Regenerate with `npm run openapi` (packages/sdk/scripts/api-types.ts, from
 * packages/server/openapi.json).
 */

export interface components {
  schemas: {
    EvaluatedFlags: {
      [key: string]: boolean;
    };
    /** @description Every error response has this shape. */
    Error: {
      /** @enum {string} */
      error:
        | 'VALIDATION_FAILED'
        | 'INVALID_JSON'
        | 'UNAUTHORIZED'
        | 'FORBIDDEN'
        | 'NOT_FOUND'
        | 'ALREADY_EXISTS'
        | 'INVALID_STATE'
        | 'PRECONDITION_FAILED'
        | 'PAYLOAD_TOO_LARGE'
        | 'RATE_LIMITED'
        | 'INTERNAL'
        | 'UNAVAILABLE';
      message: string;
      details?: {
        [key: string]: unknown;
      };
      requestId: string;
    };
    /** @description RFC 9457 problem details, sent when Accept asks for application/problem+json. */
    Problem: {
      /** @description urn:flagline:error:<code> */
      type: string;
      title: string;
      status: number;
      detail: string;
      /** @enum {string} */
      code:
        | 'VALIDATION_FAILED'
        | 'INVALID_JSON'
        | 'UNAUTHORIZED'
        | 'FORBIDDEN'
        | 'NOT_FOUND'
        | 'ALREADY_EXISTS'
        | 'INVALID_STATE'
        | 'PRECONDITION_FAILED'
        | 'PAYLOAD_TOO_LARGE'
        | 'RATE_LIMITED'
        | 'INTERNAL'
        | 'UNAVAILABLE';
      details?: {
        [key: string]: unknown;
      };
      requestId: string;
    };
    PublicFlag: {
      /**
       * @description Flag key.
       * @example new-checkout
       */
      key: string;
      enabled: boolean;
      rolloutPercentage: number;
      description: string;
    };
    Ruleset: {
      /**
       * @description Environment key, e.g. "production".
       * @example production
       */
      environment: string;
      /** @description Config version the ruleset was read at. */
      version: number;
      flags: components['schemas']['RulesetFlag'][];
    };
    RulesetFlag: {
      /**
       * @description Flag key.
       * @example new-checkout
       */
      key: string;
      description: string;
      enabled: boolean;
      rolloutPercentage: number;
      overrides: {
        include: string[];
        exclude: string[];
      };
    };
    OfrepEvaluationSuccess: {
      key: string;
      value: boolean;
      reason: string;
      variant: string;
      metadata?: {
        [key: string]: string | number | boolean;
      };
    };
    OfrepEvaluationFailure: {
      key: string;
      /** @enum {string} */
      errorCode: 'PARSE_ERROR' | 'TARGETING_KEY_MISSING' | 'INVALID_CONTEXT' | 'GENERAL' | 'FLAG_NOT_FOUND';
      errorDetails?: string;
    };
    OfrepRequest: {
      context?: {
        targetingKey?: string;
      } & {
        [key: string]: unknown;
      };
    };
    OfrepBulkResponse: {
      flags: (components['schemas']['OfrepEvaluationSuccess'] | components['schemas']['OfrepEvaluationFailure'])[];
    };
    Principal: {
      /** @enum {string} */
      role: 'admin' | 'viewer' | 'client';
      /** @description Set for client tokens: the one environment they read. */
      environment: string | null;
      /** @description How changes made with these credentials appear in the audit trail. */
      actor: {
        /** @enum {string} */
        type: 'user' | 'token' | 'system';
        id: string;
        email: string | null;
      };
    };
    FlagPage: {
      items: components['schemas']['FlagView'][];
      nextCursor: string | null;
    };
    FlagView: {
      /**
       * @description Flag key.
       * @example new-checkout
       */
      key: string;
      description: string;
      /**
       * @description Environment key, e.g. "production".
       * @example production
       */
      environment: string;
      enabled: boolean;
      rolloutPercentage: number;
      /** @description Version of this flag in this environment; send it as If-Match. */
      version: number;
      /**
       * Format: date-time
       * @description ISO 8601 timestamp (UTC).
       */
      createdAt: string;
      /**
       * Format: date-time
       * @description ISO 8601 timestamp (UTC).
       */
      updatedAt: string;
    };
    CreateFlagBody: {
      /**
       * @description Flag key.
       * @example new-checkout
       */
      key: string;
      description?: string;
    };
    UpdateFlagBody: {
      enabled?: boolean;
      rolloutPercentage?: number;
      description?: string;
    };
    Override: {
      userId: string;
      /** @enum {string} */
      overrideType: 'include' | 'exclude';
      reason: string | null;
      createdBy: string | null;
      /**
       * Format: date-time
       * @description ISO 8601 timestamp (UTC).
       */
      createdAt: string;
      /**
       * Format: date-time
       * @description ISO 8601 timestamp (UTC).
       */
      updatedAt: string;
    };
    SetOverrideBody: {
      userId: string;
      /** @enum {string} */
      overrideType: 'include' | 'exclude';
      reason?: string;
    };
    OverrideList: {
      includes: components['schemas']['Override'][];
      excludes: components['schemas']['Override'][];
      pagination: {
        page: number;
        pageSize: number;
        total: number;
      };
    };
    Environment: {
      /**
       * @description Environment key, e.g. "production".
       * @example production
       */
      key: string;
      name: string;
      /**
       * Format: date-time
       * @description ISO 8601 timestamp (UTC).
       */
      createdAt: string;
    };
    CreateEnvironmentBody: {
      /**
       * @description Environment key, e.g. "production".
       * @example production
       */
      key: string;
      name?: string;
    };
    CreatedToken: {
      /** Format: uuid */
      id: string;
      name: string;
      /** @enum {string} */
      role: 'admin' | 'viewer' | 'client';
      /**
       * @description Environment key, e.g. "production".
       * @example production
       */
      environment: string | null;
      createdBy: string | null;
      /**
       * Format: date-time
       * @description ISO 8601 timestamp (UTC).
       */
      createdAt: string;
      /**
       * Format: date-time
       * @description ISO 8601 timestamp (UTC).
       */
      lastUsedAt: string | null;
      /**
       * Format: date-time
       * @description ISO 8601 timestamp (UTC).
       */
      revokedAt: string | null;
      /** @description Shown once; only its hash is stored. */
      secret: string;
    };
    CreateTokenBody: {
      name: string;
      /** @enum {string} */
      role: 'admin' | 'viewer' | 'client';
      /**
       * @description Environment key, e.g. "production".
       * @example production
       */
      environment?: string;
    };
    Token: {
      /** Format: uuid */
      id: string;
      name: string;
      /** @enum {string} */
      role: 'admin' | 'viewer' | 'client';
      /**
       * @description Environment key, e.g. "production".
       * @example production
       */
      environment: string | null;
      createdBy: string | null;
      /**
       * Format: date-time
       * @description ISO 8601 timestamp (UTC).
       */
      createdAt: string;
      /**
       * Format: date-time
       * @description ISO 8601 timestamp (UTC).
       */
      lastUsedAt: string | null;
      /**
       * Format: date-time
       * @description ISO 8601 timestamp (UTC).
       */
      revokedAt: string | null;
    };
    AuditPage: {
      items: components['schemas']['AuditEvent'][];
      nextCursor: string | null;
    };
    AuditEvent: {
      /** @description Monotonic event id (a bigint, as text). */
      id: string;
      /**
       * Format: date-time
       * @description ISO 8601 timestamp (UTC).
       */
      occurredAt: string;
      actor: {
        /** @enum {string} */
        type: 'user' | 'token' | 'system';
        id: string;
        email: string | null;
      };
      environment: string | null;
      flagKey: string | null;
      scheduleId: string | null;
      requestId: string | null;
      before: {
        [key: string]: unknown;
      } | null;
      after: {
        [key: string]: unknown;
      } | null;
      /** @description The hash at the previous chain position; null at position 1 and while unsealed. */
      prevHash: string | null;
      /** @description SHA-256 (hex) of the canonical chain link (docs/audit.md); null until sealed. */
      hash: string | null;
      /** @description Place in the sealed hash chain (1, 2, 3 … without gaps); null until the sealer reaches it. */
      position?: number | null;
    } & (
      | {
          /** @enum {string} */
          type: 'flag.created';
          data: {
            /**
             * @description Flag key.
             * @example new-checkout
             */
            flagKey: string;
            description: string;
          };
        }
      | {
          /** @enum {string} */
          type: 'flag.updated';
          data: {
            /**
             * @description Flag key.
             * @example new-checkout
             */
            flagKey: string;
            changedFields: string[];
          };
        }
      | {
          /** @enum {string} */
          type: 'flag.deleted';
          data: {
            /**
             * @description Flag key.
             * @example new-checkout
             */
            flagKey: string;
            cancelledScheduleIds: string[];
          };
        }
      | {
          /** @enum {string} */
          type: 'flag_override.set';
          data: {
            /**
             * @description Flag key.
             * @example new-checkout
             */
            flagKey: string;
            userId: string;
            /** @enum {string} */
            overrideType: 'include' | 'exclude';
            reason: string | null;
          };
        }
      | {
          /** @enum {string} */
          type: 'flag_override.removed';
          data: {
            /**
             * @description Flag key.
             * @example new-checkout
             */
            flagKey: string;
            userId: string;
          };
        }
      | {
          /** @enum {string} */
          type: 'token.created';
          data: {
            tokenId: string;
            name: string;
            /** @enum {string} */
            role: 'admin' | 'viewer' | 'client';
            environment: string | null;
          };
        }
      | {
          /** @enum {string} */
          type: 'token.revoked';
          data: {
            tokenId: string;
            name: string;
            /** @enum {string} */
            role: 'admin' | 'viewer' | 'client';
          };
        }
      | {
          /** @enum {string} */
          type: 'audit.checkpoint';
          data: {
            format: string;
            position: number;
            hash: string | null;
            createdAt: string;
            keyId: string;
            signature: string;
          };
        }
      | {
          /** @enum {string} */
          type: 'webhook.created';
          data: {
            webhookId: string;
            url: string;
            eventTypes: string[] | null;
          };
        }
      | {
          /** @enum {string} */
          type: 'webhook.deleted';
          data: {
            webhookId: string;
            url: string;
          };
        }
      | {
          /** @enum {string} */
          type: 'environment.created';
          data: {
            /**
             * @description Environment key, e.g. "production".
             * @example production
             */
            key: string;
            name: string;
          };
        }
      | {
          /** @enum {string} */
          type: 'flag_schedule.created';
          data: {
            scheduleId: string;
            /**
             * @description Flag key.
             * @example new-checkout
             */
            flagKey: string;
            scheduledAt: string;
            updates: {
              enabled?: boolean;
              rolloutPercentage?: number;
            };
            adminUserId: string;
            adminEmail: string | null;
          };
        }
      | {
          /** @enum {string} */
          type: 'flag_schedule.cancelled';
          data: {
            scheduleId: string;
            /**
             * @description Flag key.
             * @example new-checkout
             */
            flagKey: string;
            scheduledAt: string;
            adminUserId: string;
            adminEmail: string | null;
            reason: string;
          };
        }
      | {
          /** @enum {string} */
          type: 'flag_schedule.applied';
          data: {
            scheduleId: string;
            /**
             * @description Flag key.
             * @example new-checkout
             */
            flagKey: string;
            updates: {
              enabled?: boolean;
              rolloutPercentage?: number;
            };
            appliedAt: string;
            flagState: {
              enabled: boolean;
              rolloutPercentage: number;
            };
          };
        }
      | {
          /** @enum {string} */
          type: 'flag_schedule.retrying';
          data: {
            scheduleId: string;
            /**
             * @description Flag key.
             * @example new-checkout
             */
            flagKey: string;
            retryCount: number;
            nextRetryAt: string;
            lastError: string;
          };
        }
      | {
          /** @enum {string} */
          type: 'flag_schedule.failed';
          data: {
            scheduleId: string;
            /**
             * @description Flag key.
             * @example new-checkout
             */
            flagKey: string;
            errorMessage: string;
            failedAt: string;
          };
        }
    );
    AuditVerification: {
      ok: boolean;
      /** @description Sealed events whose chain link was checked. */
      checked: number;
      firstBrokenId: string | null;
      /** @description Committed events the sealer has not chained yet. */
      unsealed?: number;
      /** @description The first problem found, in words; null when the chain is intact. */
      problem?: string | null;
      /** @description Signed checkpoints the chain was checked against. */
      checkpoints?: number;
    };
    Schedule: {
      /** Format: uuid */
      id: string;
      flagKey: string;
      /**
       * @description Environment key, e.g. "production".
       * @example production
       */
      environment: string;
      /**
       * Format: date-time
       * @description ISO 8601 timestamp (UTC).
       */
      scheduledAt: string;
      /** @enum {string} */
      status: 'pending' | 'applied' | 'failed' | 'cancelled';
      updates: {
        enabled?: boolean;
        rolloutPercentage?: number;
      };
      /**
       * Format: date-time
       * @description ISO 8601 timestamp (UTC).
       */
      appliedAt: string | null;
      errorMessage: string | null;
      retryCount: number;
      maxRetries: number;
      /**
       * Format: date-time
       * @description ISO 8601 timestamp (UTC).
       */
      nextRetryAt: string | null;
      lastError: string | null;
      createdBy: string | null;
      cancelledBy: string | null;
      /**
       * Format: date-time
       * @description ISO 8601 timestamp (UTC).
       */
      cancelledAt: string | null;
      /**
       * Format: date-time
       * @description ISO 8601 timestamp (UTC).
       */
      createdAt: string;
      /**
       * Format: date-time
       * @description ISO 8601 timestamp (UTC).
       */
      updatedAt: string;
    };
    CreateScheduleBody: {
      /**
       * Format: date-time
       * @description When to apply: in the future, at most SCHEDULE_MAX_HORIZON_DAYS ahead.
       */
      scheduledAt: string;
      updates: components['schemas']['ScheduleUpdates'];
      /** @description Retries after a failed attempt (default 3). */
      maxRetries?: number;
    };
    ScheduleUpdates: {
      enabled?: boolean;
      rolloutPercentage?: number;
    };
    SchedulePage: {
      items: components['schemas']['Schedule'][];
      nextCursor: string | null;
    };
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
            | 'flag_override.removed'
            | 'token.created'
            | 'token.revoked'
            | 'audit.checkpoint'
            | 'webhook.created'
            | 'webhook.deleted'
            | 'environment.created'
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
        | 'flag_override.removed'
        | 'token.created'
        | 'token.revoked'
        | 'audit.checkpoint'
        | 'webhook.created'
        | 'webhook.deleted'
        | 'environment.created'
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
            | 'flag_override.removed'
            | 'token.created'
            | 'token.revoked'
            | 'audit.checkpoint'
            | 'webhook.created'
            | 'webhook.deleted'
            | 'environment.created'
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
  };
  responses: never;
  parameters: never;
  requestBodies: never;
  headers: {
    /** @description The id of this request: echoed from the request when it sent a valid one, else generated. */
    'X-Request-Id': string;
    /** @description Seconds to wait before trying again. */
    'Retry-After': number;
    /** @description `Bearer realm="flagline"`, with `error="invalid_token"` when a token was sent and refused. */
    'WWW-Authenticate': string;
    /** @description The environment this write changed: `?environment=`, else FLAGLINE_DEFAULT_ENVIRONMENT (a client token’s own). */
    'Flagline-Environment': string;
  };
  pathItems: never;
}
export type webhooks = Record<string, never>;
export type $defs = Record<string, never>;
