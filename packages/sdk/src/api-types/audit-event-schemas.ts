/**
 * Generated — do not edit. Regenerate with `npm run openapi` (packages/sdk/scripts/api-types.ts, from
 * packages/server/openapi.json).
 */

/** The AuditEvent schema ("Audit" routes). */
import type { components } from './components';

export interface AuditEventSchemas {
  AuditEvent: components['schemas']['AuditEventEnvelope'] &
    (
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
            /**
             * @description Variant name, e.g. "blue".
             * @example blue
             */
            variant?: string;
          };
        }
      | {
          /** @enum {string} */
          type: 'flag.targeting_updated';
          data: {
            /**
             * @description Flag key.
             * @example new-checkout
             */
            flagKey: string;
            changedFields: string[];
            diff: components['schemas']['TargetingDiff'];
          };
        }
      | {
          /** @enum {string} */
          type: 'flag.variants_updated';
          data: {
            /**
             * @description Flag key.
             * @example new-checkout
             */
            flagKey: string;
            added: string[];
            removed: string[];
            changed: string[];
          };
        }
      | {
          /** @enum {string} */
          type: 'segment.created';
          data: {
            /**
             * @description Segment key.
             * @example beta-testers
             */
            segmentKey: string;
            name: string;
          };
        }
      | {
          /** @enum {string} */
          type: 'segment.updated';
          data: {
            /**
             * @description Segment key.
             * @example beta-testers
             */
            segmentKey: string;
            changedFields: string[];
            usedBy: {
              /**
               * @description Flag key.
               * @example new-checkout
               */
              flagKey: string;
              /**
               * @description Environment key, e.g. "production".
               * @example production
               */
              environment: string;
            }[];
          };
        }
      | {
          /** @enum {string} */
          type: 'segment.deleted';
          data: {
            /**
             * @description Segment key.
             * @example beta-testers
             */
            segmentKey: string;
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
            role: 'admin' | 'viewer' | 'client' | 'server' | 'frontend';
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
            role: 'admin' | 'viewer' | 'client' | 'server' | 'frontend';
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
          type: 'config.imported';
          data: {
            /** @enum {string} */
            source: 'unleash' | 'flagline';
            flags: {
              /**
               * @description Flag key.
               * @example new-checkout
               */
              key: string;
              /** @enum {string} */
              action: 'create' | 'replace' | 'unchanged';
            }[];
            segments: {
              /**
               * @description Flag key.
               * @example new-checkout
               */
              key: string;
              /** @enum {string} */
              action: 'create' | 'replace' | 'unchanged';
            }[];
            unsupported: {
              path: string;
              reason: string;
            }[];
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
          type: 'environment.updated';
          data: {
            /**
             * @description Environment key, e.g. "production".
             * @example production
             */
            key: string;
            changedFields: string[];
          };
        }
      | {
          /** @enum {string} */
          type: 'change_request.requested';
          data: components['schemas']['ChangeRequestEventData'];
        }
      | {
          /** @enum {string} */
          type: 'change_request.approved';
          data: components['schemas']['ChangeRequestEventData'];
        }
      | {
          /** @enum {string} */
          type: 'change_request.rejected';
          data: components['schemas']['ChangeRequestEventData'];
        }
      | {
          /** @enum {string} */
          type: 'change_request.applied';
          data: components['schemas']['ChangeRequestEventData'];
        }
      | {
          /** @enum {string} */
          type: 'change_request.failed';
          data: components['schemas']['ChangeRequestEventData'];
        }
      | {
          /** @enum {string} */
          type: 'change_request.expired';
          data: components['schemas']['ChangeRequestEventData'];
        }
      | {
          /** @enum {string} */
          type: 'plan.created';
          data: components['schemas']['PlanEventData'];
        }
      | {
          /** @enum {string} */
          type: 'plan.paused';
          data: components['schemas']['PlanEventData'];
        }
      | {
          /** @enum {string} */
          type: 'plan.resumed';
          data: components['schemas']['PlanEventData'];
        }
      | {
          /** @enum {string} */
          type: 'plan.cancelled';
          data: components['schemas']['PlanEventData'];
        }
      | {
          /** @enum {string} */
          type: 'plan.completed';
          data: components['schemas']['PlanEventData'];
        }
      | {
          /** @enum {string} */
          type: 'flag_schedule.created';
          data: components['schemas']['ScheduleCreatedEventData'];
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
          data: components['schemas']['ScheduleAppliedEventData'];
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
}
