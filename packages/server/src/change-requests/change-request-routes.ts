import {
  changeRequestPageSchema,
  changeRequestSchema,
  decideChangeRequestBodySchema,
  listChangeRequestsQuerySchema,
} from '@flagline/core';
import { createRoute, z } from '@hono/zod-openapi';
import { type AppDeps, approvalDeps, changeContext, unitOfWork } from '../http/deps';
import {
  bearerSecurity,
  commonErrors,
  conflictError,
  createRouter,
  jsonBody,
  jsonContent,
  notFoundError,
} from '../http/router';
import {
  approveChangeRequest,
  getChangeRequest,
  listChangeRequests,
  rejectChangeRequest,
} from './change-request-service';

const tags = ['Change requests'];
const params = z.object({ id: z.uuid().meta({ description: 'Change request id.' }) });
const decisionBody = { body: { ...jsonBody(decideChangeRequestBodySchema), required: false } };

const listRoute = createRoute({
  method: 'get',
  path: '/change-requests',
  operationId: 'listChangeRequests',
  tags,
  summary: 'Change requests, oldest first (the approval inbox: ?status=pending)',
  security: bearerSecurity,
  request: { query: listChangeRequestsQuerySchema },
  responses: { 200: jsonContent(changeRequestPageSchema, 'A page of change requests.'), ...commonErrors },
});

const getRoute = createRoute({
  method: 'get',
  path: '/change-requests/{id}',
  operationId: 'getChangeRequest',
  tags,
  summary: 'One change request, with the diff it would record',
  security: bearerSecurity,
  request: { params },
  responses: { 200: jsonContent(changeRequestSchema, 'The change request.'), ...commonErrors, ...notFoundError },
});

const approveRoute = createRoute({
  method: 'post',
  path: '/change-requests/{id}/approve',
  operationId: 'approveChangeRequest',
  tags,
  summary: 'Approve a change request: the change is made now (a schedule is armed)',
  description:
    'Only someone other than the requester may approve (403 otherwise). If the change no longer applies — the flag changed since the request, or a schedule’s time passed — nothing changes, the request becomes failed or expired, and the answer is 409 with the request in details.changeRequest.',
  security: bearerSecurity,
  request: { params, ...decisionBody },
  responses: {
    200: jsonContent(changeRequestSchema, 'Approved and applied.'),
    ...commonErrors,
    ...notFoundError,
    ...conflictError,
  },
});

const rejectRoute = createRoute({
  method: 'post',
  path: '/change-requests/{id}/reject',
  operationId: 'rejectChangeRequest',
  tags,
  summary: 'Reject a change request (its requester may withdraw it this way); nothing changes',
  security: bearerSecurity,
  request: { params, ...decisionBody },
  responses: {
    200: jsonContent(changeRequestSchema, 'Rejected.'),
    ...commonErrors,
    ...notFoundError,
    ...conflictError,
  },
});

export function changeRequestRoutes(deps: AppDeps) {
  const approvals = approvalDeps(deps);
  const uow = unitOfWork(deps);
  const db = deps.database.db;
  return createRouter()
    .openapi(listRoute, async (c) => c.json(await listChangeRequests(db, c.req.valid('query')), 200))
    .openapi(getRoute, async (c) => c.json(await getChangeRequest(db, c.req.valid('param').id), 200))
    .openapi(approveRoute, async (c) => {
      const decision = c.req.valid('json') ?? {};
      return c.json(await approveChangeRequest(approvals, changeContext(c), c.req.valid('param').id, decision), 200);
    })
    .openapi(rejectRoute, async (c) => {
      const decision = c.req.valid('json') ?? {};
      return c.json(await rejectChangeRequest(uow, changeContext(c), c.req.valid('param').id, decision), 200);
    });
}
