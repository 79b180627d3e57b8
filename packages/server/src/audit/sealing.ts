import type { Logger } from 'pino';
import { type Config, ConfigError } from '../config';
import type { Database } from '../db/client';
import { CheckpointError, loadSigningKey, PeriodicCheckpoints } from './checkpoint';
import { AuditSealer } from './sealer';

/**
 * Starts the sealer (every `serve` and `worker` runs one; one at a time seals) and, when a signing key is configured,
 * the periodic checkpoints. A key that cannot be read stops the start: running "signed" without signing would be a lie.
 */
export async function startAuditSealing(runtime: {
  database: Database;
  config: Config;
  logger: Logger;
}): Promise<AuditSealer> {
  const sealer = await createAuditSealer(runtime);
  await sealer.start();
  return sealer;
}

/** The sealer (and its checkpoints) configured but not started; a key that cannot be read is a ConfigError. */
export async function createAuditSealer(runtime: {
  database: Database;
  config: Config;
  logger: Logger;
}): Promise<AuditSealer> {
  const { database, config } = runtime;
  const logger = runtime.logger.child({ component: 'audit-sealer' });
  let checkpoints: PeriodicCheckpoints | undefined;
  if (config.audit.signingKeyFile) {
    try {
      const key = await loadSigningKey(config.audit.signingKeyFile);
      const witnesses = { db: database.db, logger, dir: config.audit.checkpointDir };
      checkpoints = new PeriodicCheckpoints(witnesses, key, config.audit.checkpointIntervalMs);
    } catch (error) {
      if (error instanceof CheckpointError) throw new ConfigError(`FLAGLINE_AUDIT_SIGNING_KEY_FILE: ${error.message}`);
      throw error;
    }
  }
  return new AuditSealer(database, logger, checkpoints ? (head) => checkpoints.afterSeal(head) : undefined);
}
