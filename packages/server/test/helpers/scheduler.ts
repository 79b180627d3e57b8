import type { RunDueSummary } from '@flagline/core';
import type { ChangeNotice } from '../../src/db/unit-of-work';
import { runDuePass } from '../../src/schedules/apply';
import type { TestApp } from './app';

/** One worker pass over what is due now, as `flagline schedules run-due` runs it (retries 1 s apart, no jitter). */
export function runDueNow(t: TestApp): Promise<RunDueSummary> {
  return runDuePass(
    {
      db: t.deps.database.db,
      logger: t.deps.logger,
      afterCommit: (notice: ChangeNotice) => t.deps.snapshot.receive(notice),
    },
    { batchSize: 100, retryBaseMs: 1000, retryJitterMs: 0 },
  );
}
