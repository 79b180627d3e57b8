import { z } from 'zod';
import { environmentKeySchema, timestampSchema } from './common';

export const environmentSchema = z
  .object({ key: environmentKeySchema, name: z.string(), createdAt: timestampSchema })
  .meta({ id: 'Environment' });
export type Environment = z.infer<typeof environmentSchema>;

export const createEnvironmentBodySchema = z
  .strictObject({ key: environmentKeySchema, name: z.string().min(1).max(100).optional() })
  .meta({ id: 'CreateEnvironmentBody' });
export type CreateEnvironmentBody = z.infer<typeof createEnvironmentBodySchema>;

export const environmentListSchema = z.object({ items: z.array(environmentSchema) });
