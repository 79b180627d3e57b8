import { z } from 'zod';
import { auditEventTypeSchema } from './audit';
import { timestampSchema } from './common';

export const webhookUrlSchema = z
  .url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' })
  .max(2000)
  .refine((value) => {
    // Zod runs this refinement even when the URL check above failed: an unparseable value is that check's to report.
    if (!URL.canParse(value)) return true;
    const url = new URL(value);
    return url.username === '' && url.password === '';
  }, 'must not contain credentials; the signature authenticates deliveries');

export const createWebhookBodySchema = z
  .strictObject({
    url: webhookUrlSchema,
    eventTypes: z
      .array(auditEventTypeSchema)
      .min(1)
      .optional()
      .meta({ description: 'Deliver only these event types (default: every type).' }),
    secret: z
      .string()
      .min(16)
      .max(200)
      .optional()
      .meta({ description: 'HMAC secret (generated when omitted); returned only in this response.' }),
    description: z.string().max(500).optional(),
  })
  .meta({ id: 'CreateWebhookBody' });
export type CreateWebhookBody = z.infer<typeof createWebhookBodySchema>;

export const webhookSchema = z
  .object({
    id: z.uuid(),
    url: z.string(),
    description: z.string(),
    eventTypes: z.array(auditEventTypeSchema).nullable(),
    createdBy: z.string().nullable(),
    createdAt: timestampSchema,
    deliveries: z.object({
      pending: z.number().int(),
      delivered: z.number().int(),
      failed: z.number().int(),
      lastDeliveredAt: timestampSchema.nullable(),
      lastError: z.string().nullable(),
    }),
  })
  .meta({ id: 'Webhook' });
export type Webhook = z.infer<typeof webhookSchema>;

export const createdWebhookSchema = webhookSchema.extend({ secret: z.string() }).meta({ id: 'CreatedWebhook' });
export type CreatedWebhook = z.infer<typeof createdWebhookSchema>;

export const webhookDeliverySchema = z
  .object({
    id: z.string(),
    eventId: z.string(),
    status: z.enum(['pending', 'delivered', 'failed']),
    attempts: z.number().int(),
    nextAttemptAt: timestampSchema.nullable(),
    lastStatusCode: z.number().int().nullable(),
    lastError: z.string().nullable(),
    deliveredAt: timestampSchema.nullable(),
    createdAt: timestampSchema,
  })
  .meta({ id: 'WebhookDelivery' });
export type WebhookDelivery = z.infer<typeof webhookDeliverySchema>;
