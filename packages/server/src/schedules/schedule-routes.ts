import {
  createScheduleBodySchema,
  listFlagSchedulesQuerySchema,
  listSchedulesQuerySchema,
  planWriteQuerySchema,
  recurrencePreviewBodySchema,
  recurrencePreviewSchema,
  scheduleCreatedSchema,
  schedulePageSchema,
  scheduleSchema,
} from '@flagline/core';
import { createRoute, z } from '@hono/zod-openapi';
import { changeOrRequest } from '../change-requests/change-request-service';
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
  conflictError,
  createRouter,
  jsonBody,
  jsonContent,
  notFoundError,
  scheduleConflictError,
} from '../http/router';
import { occurrencesFrom, startSeries } from './recurrence';
import { cancelSchedule, getFlagSchedule, listFlagSchedules, listSchedules } from './schedule-service';

const tags = ['Schedules'];
const flagParams = z.object({ flagKey: z.string() });
const scheduleParams = flagParams.extend({ scheduleId: z.string() });

const createScheduleRoute = createRoute({
  method: 'post',
  path: '/flags/{flagKey}/schedule',
  operationId: 'createSchedule',
  tags,
  summary: 'Schedule a change to a flag',
  description: 'Applied automatically at scheduledAt (retried on transient failure), with who scheduled it on record.',
  security: bearerSecurity,
  request: { params: flagParams, query: planWriteQuerySchema, body: jsonBody(createScheduleBodySchema) },
  responses: {
    201: jsonContent(scheduleCreatedSchema, 'Scheduled.'),
    ...changeRequestAccepted,
    ...commonErrors,
    ...notFoundError,
    ...scheduleConflictError,
  },
});

const listFlagRoute = createRoute({
  method: 'get',
  path: '/flags/{flagKey}/schedule',
  operationId: 'listFlagSchedules',
  tags,
  summary: "A flag's schedules in an environment, by scheduled time",
  security: bearerSecurity,
  request: { params: flagParams, query: listFlagSchedulesQuerySchema },
  responses: { 200: jsonContent(z.array(scheduleSchema), 'Schedules.'), ...commonErrors, ...notFoundError },
});

const getRoute = createRoute({
  method: 'get',
  path: '/flags/{flagKey}/schedule/{scheduleId}',
  operationId: 'getSchedule',
  tags,
  summary: 'One schedule',
  security: bearerSecurity,
  request: { params: scheduleParams },
  responses: { 200: jsonContent(scheduleSchema, 'The schedule.'), ...commonErrors, ...notFoundError },
});

const cancelRoute = createRoute({
  method: 'delete',
  path: '/flags/{flagKey}/schedule/{scheduleId}',
  operationId: 'cancelSchedule',
  tags,
  summary: 'Cancel a pending schedule',
  security: bearerSecurity,
  request: { params: scheduleParams },
  responses: {
    200: jsonContent(scheduleSchema, 'Cancelled.'),
    ...commonErrors,
    ...notFoundError,
    ...conflictError,
  },
});

const listAllRoute = createRoute({
  method: 'get',
  path: '/schedules',
  operationId: 'listSchedules',
  tags,
  summary: 'Schedules across flags, by scheduled time',
  security: bearerSecurity,
  request: { query: listSchedulesQuerySchema },
  responses: { 200: jsonContent(schedulePageSchema, 'A page of schedules.'), ...commonErrors },
});

const previewRoute = createRoute({
  method: 'post',
  path: '/schedules/preview',
  operationId: 'previewRecurrence',
  tags,
  summary: 'The next occurrences of a cron or window, before scheduling it',
  description:
    'Takes the `recurrence` or `window` of a schedule body and answers the next 10 occurrences in UTC and local time, checked as creation checks them (400 naming the field). Changes nothing.',
  security: bearerSecurity,
  request: { body: jsonBody(recurrencePreviewBodySchema) },
  responses: { 200: jsonContent(recurrencePreviewSchema, 'The occurrences.'), ...commonErrors },
});

export function scheduleRoutes(deps: AppDeps) {
  const uow = unitOfWork(deps);
  const approvals = approvalDeps(deps);
  const db = deps.database.db;
  return createRouter()
    .openapi(createScheduleRoute, async (c) => {
      const { environment, onConflict } = c.req.valid('query');
      const outcome = await changeOrRequest(
        { ...approvals, settings: { ...approvals.settings, onConflict } },
        changeContext(c),
        {
          environment: resolveWriteEnvironment(c, deps.config, environment),
          flagKey: c.req.valid('param').flagKey,
        },
        { kind: 'schedule.create', body: c.req.valid('json') },
      );
      if (outcome.changeRequest) return c.json({ changeRequest: outcome.changeRequest }, 202);
      return c.json(outcome.applied, 201);
    })
    .openapi(listFlagRoute, async (c) => {
      const query = c.req.valid('query');
      const schedules = await listFlagSchedules(db, {
        flagKey: c.req.valid('param').flagKey,
        environment: resolveAdminEnvironment(c, deps.config, query.environment),
        status: query.status,
      });
      return c.json(schedules, 200);
    })
    .openapi(getRoute, async (c) => {
      const { flagKey, scheduleId } = c.req.valid('param');
      return c.json(await getFlagSchedule(db, flagKey, scheduleId), 200);
    })
    .openapi(cancelRoute, async (c) => {
      const { flagKey, scheduleId } = c.req.valid('param');
      const cancelled = await cancelSchedule(uow, changeContext(c), flagKey, scheduleId);
      c.header(CHANGED_ENVIRONMENT_HEADER, cancelled.environment);
      return c.json(cancelled, 200);
    })
    .openapi(listAllRoute, async (c) => c.json(await listSchedules(db, c.req.valid('query')), 200))
    .openapi(previewRoute, (c) => {
      const { recurrence, first } = startSeries(c.req.valid('json'), deps.config.scheduler.maxHorizonDays, new Date());
      return c.json({ nextOccurrences: occurrencesFrom(recurrence, first) }, 200);
    });
}
