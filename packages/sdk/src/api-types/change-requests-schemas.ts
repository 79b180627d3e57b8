/**
 * Generated — do not edit. Regenerate with `npm run openapi` (packages/sdk/scripts/api-types.ts, from
 * packages/server/openapi.json).
 */

/** The schemas of the "Change requests" routes. */
import type { components } from './components';

export interface ChangeRequestsSchemas {
  ChangeRequestPage: {
    items: components['schemas']['ChangeRequest'][];
    nextCursor: string | null;
  };
  DecideChangeRequestBody: {
    comment?: string;
  };
}
