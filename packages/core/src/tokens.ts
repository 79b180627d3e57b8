import { z } from 'zod';
import { environmentKeySchema, timestampSchema } from './common';

/**
 * `server`: local evaluation in backends (the ruleset and its stream); `client` is its older name, still accepted
 * and kept as stored. `frontend`: browsers and mobile apps, which send a context and receive evaluated values only.
 */
export const roleSchema = z.enum(['admin', 'viewer', 'client', 'server', 'frontend']);
export type Role = z.infer<typeof roleSchema>;

/** The roles bound to one environment, which evaluate flags and never reach the admin API. */
export const ENVIRONMENT_ROLES: readonly Role[] = ['client', 'server', 'frontend'];
export const isEnvironmentRole = (role: Role): boolean => role === 'client' || role === 'server' || role === 'frontend';
/** Local-evaluation tokens: `server`, and `client` by its older name. */
export const isServerRole = (role: Role): boolean => role === 'client' || role === 'server';

/**
 * An origin a browser sends: scheme and host, and a port when not the default, nothing more (no path, no trailing
 * slash); or `*` for any origin, which has to be written out.
 */
export const allowedOriginSchema = z
  .string()
  .max(255)
  .refine(
    (origin) => {
      if (origin === '*') return true;
      let url: URL;
      try {
        url = new URL(origin);
      } catch {
        return false;
      }
      return (url.protocol === 'https:' || url.protocol === 'http:') && url.origin === origin;
    },
    { message: 'must be an origin such as https://app.example.com or http://localhost:5173 (no path), or "*"' },
  );

export const tokenSchema = z
  .object({
    id: z.uuid(),
    name: z.string(),
    role: roleSchema,
    environment: environmentKeySchema.nullable(),
    allowedOrigins: z
      .array(z.string())
      .nullable()
      .meta({ description: 'The origins a frontend token answers browsers from (CORS); null for other roles.' }),
    createdBy: z.string().nullable(),
    createdAt: timestampSchema,
    lastUsedAt: timestampSchema.nullable(),
    revokedAt: timestampSchema.nullable(),
  })
  .meta({ id: 'Token' });
export type Token = z.infer<typeof tokenSchema>;

export const createTokenBodySchema = z
  .strictObject({
    name: z.string().min(1).max(100),
    role: roleSchema,
    environment: environmentKeySchema.optional(),
    allowedOrigins: z.array(allowedOriginSchema).min(1).max(100).optional().meta({
      description:
        'Frontend tokens only, and required for them: the origins browsers may call from (CORS). "*" allows any origin.',
    }),
  })
  .superRefine((body, ctx) => {
    const bound = isEnvironmentRole(body.role);
    if (bound && body.environment === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['environment'],
        message: `a ${body.role} token must be bound to an environment`,
      });
    }
    if (!bound && body.environment !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['environment'],
        message: 'only server, client and frontend tokens are bound to an environment',
      });
    }
    if (body.role === 'frontend' && body.allowedOrigins === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['allowedOrigins'],
        message: 'a frontend token needs its allowed origins (["*"] for any)',
      });
    }
    if (body.role !== 'frontend' && body.allowedOrigins !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['allowedOrigins'], message: 'only frontend tokens have allowed origins' });
    }
  })
  .meta({ id: 'CreateTokenBody' });
export type CreateTokenBody = z.infer<typeof createTokenBodySchema>;

export const createdTokenSchema = tokenSchema
  .extend({ secret: z.string().meta({ description: 'Shown once; only its hash is stored.' }) })
  .meta({ id: 'CreatedToken' });
export type CreatedToken = z.infer<typeof createdTokenSchema>;

export const tokenListSchema = z.object({ items: z.array(tokenSchema) });
