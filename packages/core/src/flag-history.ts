import type { z } from 'zod';
import { cursorSchema, environmentQuerySchema, queryInt } from './common';

/**
 * `GET /api/admin/flags/:flagKey/history`: the flag's own audit events in one environment (its creation, edits,
 * overrides and schedule events), newest first, paged with the audit trail's cursor. The answer is an `AuditPage`.
 */
export const flagHistoryQuerySchema = environmentQuerySchema.extend({
  limit: queryInt(1, 500, 100),
  cursor: cursorSchema,
});
export type FlagHistoryQuery = z.infer<typeof flagHistoryQuerySchema>;
