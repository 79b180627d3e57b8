import type { AuditEventType } from '@flagline/core';

/**
 * Every audit event type, for the filter. The list is checked against @flagline/core's union below, so adding an
 * event type there fails the type-check until it is listed here (the UI imports no Zod at run time).
 */
export const AUDIT_EVENT_TYPES = [
  'flag.created',
  'flag.updated',
  'flag.deleted',
  'flag_override.set',
  'flag_override.removed',
  'flag_schedule.created',
  'flag_schedule.cancelled',
  'flag_schedule.applied',
  'flag_schedule.retrying',
  'flag_schedule.failed',
  'token.created',
  'token.revoked',
  'webhook.created',
  'webhook.deleted',
  'environment.created',
  'audit.checkpoint',
] as const satisfies readonly AuditEventType[];

type Missing = Exclude<AuditEventType, (typeof AUDIT_EVENT_TYPES)[number]>;
const everyTypeListed: [Missing] extends [never] ? true : Missing = true;
void everyTypeListed;
