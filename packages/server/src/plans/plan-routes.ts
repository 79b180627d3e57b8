import {
  createPlanBodySchema,
  listPlansQuerySchema,
  type OnConflict,
  onConflictQuerySchema,
  planSchema,
  planWithConflictsSchema,
  planWriteQuerySchema,
} from '@flagline/core';
import { createRoute, z } from '@hono/zod-openapi';
import { changeOrRequest } from '../change-requests/change-request-service';
import type { ChangeContext } from '../db/unit-of-work';
import {
  type AppDeps,
  approvalDeps,
  CHANGED_ENVIRONMENT_HEADER,
  changeContext,
  resolveAdminEnvironment,
  resolveWriteEnvironment,
  unitOfWork,
} from '../http/deps';
import {
  bearerSecurity,
  changeRequestAccepted,
  commonErrors,
  createRouter,
  jsonBody,
  jsonContent,
  notFoundError,
  scheduleConflictError,
} from '../http/router';
import { getPlan, listPlans, type PlanAction, planAction } from './plan-service';

const tags = ['Rollout plans'];
const flagParams = z.object({ flagKey: z.string() });
const planParams = flagParams.extend({ planId: z.string() });

const createPlanRoute = createRoute({
  method: 'post',
  path: '/flags/{flagKey}/plans',
  operationId: 'createPlan',
  tags,
  summary: 'Create a rollout plan: ordered steps, each a schedule, all or none',
  description:
    'Creates the plan and every step in one transaction; one invalid step answers 400 naming `steps.N.field` and creates nothing. `conflicts` lists pending schedules of the flag environment the steps collide with; with `onConflict=reject` any conflict answers 409 SCHEDULE_CONFLICT instead.',
  security: bearerSecurity,
  request: { params: flagParams, query: planWriteQuerySchema, body: jsonBody(createPlanBodySchema) },
  responses: {
    201: jsonContent(planWithConflictsSchema, 'Created.'),
    ...changeRequestAccepted,
    ...commonErrors,
    ...notFoundError,
    ...scheduleConflictError,
  },
});

const listPlansRoute = createRoute({
  method: 'get',
  path: '/flags/{flagKey}/plans',
  operationId: 'listPlans',
  tags,
  summary: "A flag's rollout plans in an environment, newest first",
  security: bearerSecurity,
  request: { params: flagParams, query: listPlansQuerySchema },
  responses: { 200: jsonContent(z.array(planSchema), 'Plans.'), ...commonErrors, ...notFoundError },
});

const getPlanRoute = createRoute({
  method: 'get',
  path: '/flags/{flagKey}/plans/{planId}',
  operationId: 'getPlan',
  tags,
  summary: 'One rollout plan with its steps',
  security: bearerSecurity,
  request: { params: planParams },
  responses: { 200: jsonContent(planSchema, 'The plan.'), ...commonErrors, ...notFoundError },
});

const actionRoute = (action: PlanAction, method: 'post' | 'delete', path: string, summary: string) =>
  createRoute({
    method,
    path,
    operationId: `${action}Plan`,
    tags,
    summary,
    security: bearerSecurity,
    request: { params: planParams, query: onConflictQuerySchema },
    responses: {
      200: jsonContent(planWithConflictsSchema, 'The plan after the change.'),
      ...commonErrors,
      ...notFoundError,
      ...scheduleConflictError,
    },
  });

const pausePlanRoute = actionRoute('pause', 'post', '/flags/{flagKey}/plans/{planId}/pause', 'Pause a plan');
const resumePlanRoute = actionRoute(
  'resume',
  'post',
  '/flags/{flagKey}/plans/{planId}/resume',
  'Resume a paused plan (of the steps whose time passed meanwhile only the latest applies)',
);
const cancelPlanRoute = actionRoute(
  'cancel',
  'delete',
  '/flags/{flagKey}/plans/{planId}',
  'Cancel a plan: its pending steps are cancelled',
);

export function planRoutes(deps: AppDeps) {
  const uow = unitOfWork(deps);
  const approvals = approvalDeps(deps);
  const db = deps.database.db;
  const conflictWindowMinutes = deps.config.scheduler.conflictWindowMinutes;
  const act = (
    action: PlanAction,
    params: { flagKey: string; planId: string },
    onConflict: OnConflict,
    context: ChangeContext,
  ) => planAction(uow, context, { action, ...params, onConflict, conflictWindowMinutes });
  return createRouter()
    .openapi(createPlanRoute, async (c) => {
      const query = c.req.valid('query');
      const outcome = await changeOrRequest(
        { ...approvals, settings: { ...approvals.settings, onConflict: query.onConflict } },
        changeContext(c),
        {
          environment: resolveWriteEnvironment(c, deps.config, query.environment),
          flagKey: c.req.valid('param').flagKey,
        },
        { kind: 'plan.create', body: c.req.valid('json') },
      );
      if (outcome.changeRequest) return c.json({ changeRequest: outcome.changeRequest }, 202);
      c.header(CHANGED_ENVIRONMENT_HEADER, outcome.applied.plan.environment);
      return c.json(outcome.applied, 201);
    })
    .openapi(listPlansRoute, async (c) => {
      const query = c.req.valid('query');
      const plans = await listPlans(db, {
        flagKey: c.req.valid('param').flagKey,
        environment: resolveAdminEnvironment(c, deps.config, query.environment),
        status: query.status,
      });
      return c.json(plans, 200);
    })
    .openapi(getPlanRoute, async (c) => {
      const { flagKey, planId } = c.req.valid('param');
      return c.json(await getPlan(db, flagKey, planId), 200);
    })
    .openapi(pausePlanRoute, async (c) => {
      const result = await act('pause', c.req.valid('param'), c.req.valid('query').onConflict, changeContext(c));
      c.header(CHANGED_ENVIRONMENT_HEADER, result.plan.environment);
      return c.json(result, 200);
    })
    .openapi(resumePlanRoute, async (c) => {
      const result = await act('resume', c.req.valid('param'), c.req.valid('query').onConflict, changeContext(c));
      c.header(CHANGED_ENVIRONMENT_HEADER, result.plan.environment);
      return c.json(result, 200);
    })
    .openapi(cancelPlanRoute, async (c) => {
      const result = await act('cancel', c.req.valid('param'), c.req.valid('query').onConflict, changeContext(c));
      c.header(CHANGED_ENVIRONMENT_HEADER, result.plan.environment);
      return c.json(result, 200);
    });
}
