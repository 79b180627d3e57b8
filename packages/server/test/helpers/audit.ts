import { sealAll } from '../../src/audit/sealer';
import type { Database } from '../../src/db/client';

/**
 * Seals every committed audit event, as the sealer loop of a running server would within milliseconds: in-process
 * test apps run no background loops, so tests that read hashes or webhook deliveries seal first.
 */
export async function sealAudit(target: Database | { deps: { database: Database } }): Promise<number> {
  const database = 'deps' in target ? target.deps.database : target;
  return (await sealAll(database.db)).sealed;
}
