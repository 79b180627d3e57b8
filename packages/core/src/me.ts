import { z } from 'zod';
import { actorSchema } from './audit';
import { roleSchema } from './tokens';

/** Who the presented credentials authenticate as: what the admin UI needs to decide which controls to offer. */
export const principalSchema = z
  .object({
    role: roleSchema,
    environment: z.string().nullable().meta({ description: 'Set for client tokens: the one environment they read.' }),
    actor: actorSchema.meta({ description: 'How changes made with these credentials appear in the audit trail.' }),
  })
  .meta({ id: 'Principal' });
export type PrincipalView = z.infer<typeof principalSchema>;
