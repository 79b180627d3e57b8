/**
 * Generated — do not edit. Regenerate with `npm run openapi` (packages/sdk/scripts/api-types.ts, from
 * packages/server/openapi.json).
 */

/** Every route of the API: the per-tag files merged back into the shapes openapi-fetch takes. */
import type { operations as AuditOperations, paths as AuditPaths } from './audit';
import type { operations as ChangeRequestsOperations, paths as ChangeRequestsPaths } from './change-requests';
import type { operations as DeliveryOperations, paths as DeliveryPaths } from './delivery';
import type { operations as EnvironmentsOperations, paths as EnvironmentsPaths } from './environments';
import type { operations as EvaluationOperations, paths as EvaluationPaths } from './evaluation';
import type { operations as FlagsOperations, paths as FlagsPaths } from './flags';
import type { operations as ImportAndExportOperations, paths as ImportAndExportPaths } from './import-and-export';
import type { operations as OpenfeatureOfrepOperations, paths as OpenfeatureOfrepPaths } from './openfeature-ofrep';
import type { operations as OverridesOperations, paths as OverridesPaths } from './overrides';
import type { operations as RolloutPlansOperations, paths as RolloutPlansPaths } from './rollout-plans';
import type { operations as SchedulesOperations, paths as SchedulesPaths } from './schedules';
import type { operations as SegmentsOperations, paths as SegmentsPaths } from './segments';
import type { operations as TargetingOperations, paths as TargetingPaths } from './targeting';
import type { operations as TokensOperations, paths as TokensPaths } from './tokens';
import type { operations as WebhooksOperations, paths as WebhooksPaths } from './webhooks';

export type { $defs, components, webhooks } from './components';

export interface paths
  extends AuditPaths,
    ChangeRequestsPaths,
    DeliveryPaths,
    EnvironmentsPaths,
    EvaluationPaths,
    FlagsPaths,
    ImportAndExportPaths,
    OpenfeatureOfrepPaths,
    OverridesPaths,
    RolloutPlansPaths,
    SchedulesPaths,
    SegmentsPaths,
    TargetingPaths,
    TokensPaths,
    WebhooksPaths {}

export interface operations
  extends AuditOperations,
    ChangeRequestsOperations,
    DeliveryOperations,
    EnvironmentsOperations,
    EvaluationOperations,
    FlagsOperations,
    ImportAndExportOperations,
    OpenfeatureOfrepOperations,
    OverridesOperations,
    RolloutPlansOperations,
    SchedulesOperations,
    SegmentsOperations,
    TargetingOperations,
    TokensOperations,
    WebhooksOperations {}
