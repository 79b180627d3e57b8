import { principalSchema } from '@flagline/core';
import { createRoute } from '@hono/zod-openapi';
import { bearerSecurity, commonErrors, createRouter, jsonContent } from '../http/router';

const meRoute = createRoute({
  method: 'get',
  path: '/me',
  operationId: 'getMe',
  tags: ['Tokens'],
  summary: 'Who these credentials are',
  description:
    'The role, bound environment and audit actor of the presented token, without changing anything; the admin UI uses it to hide write controls from viewers.',
  security: bearerSecurity,
  responses: { 200: jsonContent(principalSchema, 'The authenticated principal.'), ...commonErrors },
});

export function meRoutes() {
  return createRouter().openapi(meRoute, (c) => {
    const { role, environment, actor, approver } = c.get('principal');
    return c.json({ role, environment, actor, ...(approver ? { approver } : {}) }, 200);
  });
}
