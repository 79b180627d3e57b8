import { createHash, createPrivateKey, createPublicKey, type KeyObject, sign, verify } from 'node:crypto';
import { mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import canonicalize from 'canonicalize';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { Db } from '../db/client';
import { runChange } from '../db/unit-of-work';
import type { ChainHead } from './sealer';

export const CHECKPOINT_FORMAT = 'flagline-audit-checkpoint/1';

/**
 * A signed statement "the sealed chain had `position` events and ended in `hash` at `createdAt`". The signature is
 * Ed25519 over the RFC 8785 canonical JSON of every other field (docs/audit.md).
 */
export const checkpointSchema = z.strictObject({
  format: z.literal(CHECKPOINT_FORMAT),
  position: z.number().int().min(0),
  hash: z
    .string()
    .regex(/^[0-9a-f]{64}$/)
    .nullable(),
  createdAt: z.iso.datetime(),
  keyId: z.string().regex(/^[0-9a-f]{64}$/),
  signature: z.string().min(1),
});
export type Checkpoint = z.infer<typeof checkpointSchema>;

/** A checkpoint read from a witness, with where it came from (the verifier names it). */
export interface WitnessedCheckpoint {
  checkpoint: Checkpoint;
  source: string;
}

export class CheckpointError extends Error {}

/** The bytes that are signed: the checkpoint without its signature, as canonical JSON. */
export function checkpointPayload(checkpoint: Omit<Checkpoint, 'signature'>): Buffer {
  const { format, position, hash, createdAt, keyId } = checkpoint;
  return Buffer.from(canonicalize({ format, position, hash, createdAt, keyId }) ?? '', 'utf8');
}

/** SHA-256 (hex) of the public key's SPKI DER encoding: names the key without trusting anything in the checkpoint. */
export function keyIdOf(publicKey: KeyObject): string {
  return createHash('sha256')
    .update(publicKey.export({ type: 'spki', format: 'der' }))
    .digest('hex');
}

function requireEd25519(key: KeyObject, file: string): KeyObject {
  if (key.asymmetricKeyType !== 'ed25519') {
    throw new CheckpointError(`${file} holds a ${key.asymmetricKeyType ?? 'symmetric'} key; an Ed25519 key is needed`);
  }
  return key;
}

/** The signing key from a PKCS#8 PEM file (FLAGLINE_AUDIT_SIGNING_KEY_FILE). */
export async function loadSigningKey(file: string): Promise<KeyObject> {
  try {
    return requireEd25519(createPrivateKey(await readFile(file, 'utf8')), file);
  } catch (error) {
    if (error instanceof CheckpointError) throw error;
    throw new CheckpointError(`cannot read an Ed25519 private key from ${file}: ${(error as Error).message}`);
  }
}

/** A public key from a PEM file: an SPKI public key, or the private key itself (its public half is used). */
export async function loadPublicKey(file: string): Promise<KeyObject> {
  try {
    return requireEd25519(createPublicKey(await readFile(file, 'utf8')), file);
  } catch (error) {
    if (error instanceof CheckpointError) throw error;
    throw new CheckpointError(`cannot read an Ed25519 public key from ${file}: ${(error as Error).message}`);
  }
}

export function signCheckpoint(head: ChainHead, privateKey: KeyObject, at = new Date()): Checkpoint {
  const unsigned = {
    format: CHECKPOINT_FORMAT,
    position: head.position,
    hash: head.hash,
    createdAt: at.toISOString(),
    keyId: keyIdOf(createPublicKey(privateKey)),
  } as const;
  return { ...unsigned, signature: sign(null, checkpointPayload(unsigned), privateKey).toString('base64') };
}

export function checkpointSignatureValid(checkpoint: Checkpoint, publicKey: KeyObject): boolean {
  return verify(null, checkpointPayload(checkpoint), publicKey, Buffer.from(checkpoint.signature, 'base64'));
}

const fileName = (checkpoint: Checkpoint) =>
  `checkpoint-${String(checkpoint.position).padStart(12, '0')}-${checkpoint.createdAt.replace(/[:.]/g, '')}.json`;

/** Written whole or not at all (temporary file, then rename), one file per checkpoint, never overwritten. */
export async function writeCheckpoint(dir: string, checkpoint: Checkpoint): Promise<string> {
  await mkdir(dir, { recursive: true });
  const target = path.join(dir, fileName(checkpoint));
  const temporary = `${target}.${process.pid}.tmp`;
  await writeFile(temporary, `${JSON.stringify(checkpoint, null, 2)}\n`, { mode: 0o644 });
  await rename(temporary, target);
  return target;
}

/**
 * Every checkpoint in a directory, oldest position first, each checked against the public key. A file that is not a
 * checkpoint, is signed by another key or has a bad signature is an error naming the file: a witness holding a
 * forged checkpoint is itself a finding.
 */
export async function readCheckpoints(dir: string, publicKey: KeyObject): Promise<WitnessedCheckpoint[]> {
  const keyId = keyIdOf(publicKey);
  const names = (await readdir(dir)).filter((name) => name.endsWith('.json')).sort();
  const checkpoints: WitnessedCheckpoint[] = [];
  for (const name of names) {
    const source = path.join(dir, name);
    let parsed: unknown;
    try {
      parsed = JSON.parse(await readFile(source, 'utf8'));
    } catch (error) {
      throw new CheckpointError(`checkpoint ${source} is not JSON: ${(error as Error).message}`);
    }
    const result = checkpointSchema.safeParse(parsed);
    if (!result.success) throw new CheckpointError(`checkpoint ${source} is not a ${CHECKPOINT_FORMAT} checkpoint`);
    const checkpoint = result.data;
    if (checkpoint.keyId !== keyId) {
      throw new CheckpointError(`checkpoint ${source} was signed by key ${checkpoint.keyId}, not by the given key`);
    }
    if (!checkpointSignatureValid(checkpoint, publicKey)) {
      throw new CheckpointError(`checkpoint ${source} has an invalid signature`);
    }
    checkpoints.push({ checkpoint, source });
  }
  return checkpoints.sort((a, b) => a.checkpoint.position - b.checkpoint.position);
}

export interface CheckpointWitnesses {
  db: Db;
  logger: Logger;
  /** FLAGLINE_AUDIT_CHECKPOINT_DIR, when set. */
  dir: string | undefined;
}

/**
 * Signs the chain head and hands the checkpoint to every witness: the directory, the log stream (one info line), and
 * webhooks (as an `audit.checkpoint` event, which itself joins the chain after the head it signs).
 */
export async function publishCheckpoint(
  witnesses: CheckpointWitnesses,
  privateKey: KeyObject,
  head: ChainHead,
): Promise<{ checkpoint: Checkpoint; file: string | null }> {
  const checkpoint = signCheckpoint(head, privateKey);
  const file = witnesses.dir ? await writeCheckpoint(witnesses.dir, checkpoint) : null;
  witnesses.logger.info({ auditCheckpoint: checkpoint, file }, 'audit checkpoint');
  await runChange(
    { db: witnesses.db, logger: witnesses.logger },
    { actor: { type: 'system', id: 'audit-checkpoint', email: null }, requestId: null },
    ({ audit }) => audit.record({ type: 'audit.checkpoint', data: checkpoint }),
  );
  return { checkpoint, file };
}

/**
 * Publishes a checkpoint at most every `intervalMs`, and only when the chain has grown by more than the previous
 * checkpoint's own event (otherwise each checkpoint would call for the next).
 */
export class PeriodicCheckpoints {
  private lastAt = 0;
  private lastPosition = -1;

  constructor(
    private readonly witnesses: CheckpointWitnesses,
    private readonly privateKey: KeyObject,
    private readonly intervalMs: number,
  ) {}

  async afterSeal(head: ChainHead): Promise<void> {
    if (Date.now() - this.lastAt < this.intervalMs || head.position <= this.lastPosition + 1) return;
    this.lastAt = Date.now();
    this.lastPosition = head.position;
    await publishCheckpoint(this.witnesses, this.privateKey, head);
  }
}
