import { z } from 'zod';
import { environmentKeySchema, timestampSchema } from './common';

export const environmentSchema = z
  .object({
    key: environmentKeySchema,
    name: z.string(),
    createdAt: timestampSchema,
    protected: z.boolean().meta({
      description:
        'Four-eyes: every change to a protected environment (direct, scheduled) becomes a change request another admin approves.',
    }),
  })
  .meta({ id: 'Environment' });
export type Environment = z.infer<typeof environmentSchema>;

export const createEnvironmentBodySchema = z
  .strictObject({ key: environmentKeySchema, name: z.string().min(1).max(100).optional() })
  .meta({ id: 'CreateEnvironmentBody' });
export type CreateEnvironmentBody = z.infer<typeof createEnvironmentBodySchema>;

export const environmentListSchema = z.object({ items: z.array(environmentSchema) });

export const updateEnvironmentBodySchema = z
  .strictObject({
    name: z.string().min(1).max(100).optional(),
    protected: z
      .boolean()
      .optional()
      .meta({ description: 'Turning protection off is itself a change request, approved by another admin.' }),
  })
  .refine((body) => Object.keys(body).length > 0, { message: 'give at least one of name, protected' })
  .meta({ id: 'UpdateEnvironmentBody' });
export type UpdateEnvironmentBody = z.infer<typeof updateEnvironmentBodySchema>;
