import { countUnsealed, sealAll } from '../../src/audit/sealer';
import type { Database } from '../../src/db/client';

/**
 * Seals every committed audit event, as the sealer loop of a running server would within milliseconds: in-process
 * test apps run no background loops, so tests that read hashes or webhook deliveries seal first. When a running
 * sealer holds the lock, this waits for it to finish instead.
 */
export async function sealAudit(target: Database | { deps: { database: Database } }): Promise<number> {
  const database = 'deps' in target ? target.deps.database : target;
  let sealed = 0;
  const deadline = Date.now() + 30_000;
  do {
    sealed += (await sealAll(database.db)).sealed;
    if ((await countUnsealed(database.db)) === 0) return sealed;
    await new Promise((resolve) => setTimeout(resolve, 10));
  } while (Date.now() < deadline);
  throw new Error('audit events stayed unsealed for 30 s');
}
