import { z } from 'zod';
import { actorSchema } from './audit';
import { roleSchema } from './tokens';

/** Who the presented credentials authenticate as: what the admin UI needs to decide which controls to offer. */
export const principalSchema = z
  .object({
    role: roleSchema,
    environment: z.string().nullable().meta({ description: 'Set for client tokens: the one environment they read.' }),
    actor: actorSchema.meta({ description: 'How changes made with these credentials appear in the audit trail.' }),
    approver: z
      .boolean()
      .optional()
      .meta({ description: 'In an approver group (AUTH_APPROVER_GROUPS): may decide change requests.' }),
  })
  .meta({ id: 'Principal' });
export type PrincipalView = z.infer<typeof principalSchema>;

/**
 * What a credential may do on the evaluation routes (GET /api/config/principal): how a relay, which has no token
 * table, learns it from its upstream.
 */
export const evaluationPrincipalSchema = principalSchema
  .extend({
    allowedOrigins: z
      .array(z.string())
      .optional()
      .meta({ description: 'Frontend tokens: the origins browsers may call from.' }),
    expiresAt: z
      .number()
      .int()
      .optional()
      .meta({ description: 'Access tokens: when the credential expires (milliseconds since the epoch).' }),
  })
  .meta({ id: 'EvaluationPrincipal' });
export type EvaluationPrincipal = z.infer<typeof evaluationPrincipalSchema>;
