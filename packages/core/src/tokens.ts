import { z } from 'zod';
import { environmentKeySchema, timestampSchema } from './common';

export const roleSchema = z.enum(['admin', 'viewer', 'client']);
export type Role = z.infer<typeof roleSchema>;

export const tokenSchema = z
  .object({
    id: z.uuid(),
    name: z.string(),
    role: roleSchema,
    environment: environmentKeySchema.nullable(),
    createdBy: z.string().nullable(),
    createdAt: timestampSchema,
    lastUsedAt: timestampSchema.nullable(),
    revokedAt: timestampSchema.nullable(),
  })
  .meta({ id: 'Token' });
export type Token = z.infer<typeof tokenSchema>;

export const createTokenBodySchema = z
  .strictObject({ name: z.string().min(1).max(100), role: roleSchema, environment: environmentKeySchema.optional() })
  .superRefine((body, ctx) => {
    if (body.role === 'client' && body.environment === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['environment'],
        message: 'a client token must be bound to an environment',
      });
    }
    if (body.role !== 'client' && body.environment !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['environment'],
        message: 'only client tokens are bound to an environment',
      });
    }
  })
  .meta({ id: 'CreateTokenBody' });
export type CreateTokenBody = z.infer<typeof createTokenBodySchema>;

export const createdTokenSchema = tokenSchema
  .extend({ secret: z.string().meta({ description: 'Shown once; only its hash is stored.' }) })
  .meta({ id: 'CreatedToken' });
export type CreatedToken = z.infer<typeof createdTokenSchema>;

export const tokenListSchema = z.object({ items: z.array(tokenSchema) });
