import type { Client } from 'openapi-fetch';
import type { components, paths } from './api-types/index';
import { unwrap, unwrapApplied } from './client';

type Schemas = components['schemas'];
type Api = Client<paths>;
export type PlanAction = 'pause' | 'resume' | 'cancel';
export type CreatePlanOptions = { environment?: string; onConflict?: 'allow' | 'reject' };

/**
 * Creates a rollout plan (all steps or none). Answers the plan and the pending schedules it conflicts with; in a
 * protected environment throws ChangeRequestPending; with `onConflict: 'reject'` a conflict throws SCHEDULE_CONFLICT.
 */
export function createPlan(api: Api, key: string, body: Schemas['CreatePlanBody'], options: CreatePlanOptions = {}) {
  return unwrapApplied<Schemas['RolloutPlanWithConflicts']>(
    api.POST('/api/admin/flags/{flagKey}/plans', { body, params: { path: { flagKey: key }, query: options } }),
  );
}

export function listPlans(
  api: Api,
  key: string,
  query: NonNullable<paths['/api/admin/flags/{flagKey}/plans']['get']['parameters']['query']> = {},
) {
  return unwrap(api.GET('/api/admin/flags/{flagKey}/plans', { params: { path: { flagKey: key }, query } }));
}

export function getPlan(api: Api, key: string, planId: string) {
  return unwrap(api.GET('/api/admin/flags/{flagKey}/plans/{planId}', { params: { path: { flagKey: key, planId } } }));
}

/** Pauses, resumes or cancels a plan as a unit; answers the plan and (on resume) its conflicts. */
export function actOnPlan(api: Api, action: PlanAction, key: string, planId: string, onConflict?: 'allow' | 'reject') {
  const params = { path: { flagKey: key, planId }, query: { onConflict } };
  if (action === 'cancel') return unwrap(api.DELETE('/api/admin/flags/{flagKey}/plans/{planId}', { params }));
  const path = `/api/admin/flags/{flagKey}/plans/{planId}/${action}` as const;
  return unwrap(api.POST(path, { params }));
}
