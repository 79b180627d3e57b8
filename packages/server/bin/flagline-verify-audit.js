#!/usr/bin/env node
// A standalone verifier for auditors: it needs only a full NDJSON export (`flagline audit export --out trail.ndjson`),
// a directory of signed checkpoints and the Ed25519 public key — no database, no server code. It follows
// docs/audit.md to the letter and shares nothing with the server's own verifier, so the two check each other.
//
//   flagline-verify-audit --export trail.ndjson --checkpoints ./checkpoints --public-key audit-public.pem
//
// Exit 0: every link hashes as specified and the chain reaches every checkpoint with the signed hash.
// Exit 1: the first problem, named on stderr. Exit 2: usage error.
import { createHash, createPublicKey, verify } from 'node:crypto';
import { createReadStream, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import canonicalize from 'canonicalize';

const CHECKPOINT_FORMAT = 'flagline-audit-checkpoint/1';

function fail(message, code = 1) {
  process.stderr.write(`flagline-verify-audit: ${message}\n`);
  process.exit(code);
}

let options;
try {
  options = parseArgs({
    options: {
      export: { type: 'string' },
      checkpoints: { type: 'string' },
      'public-key': { type: 'string' },
    },
  }).values;
} catch (error) {
  fail(error.message, 2);
}
if (!options.export || !options.checkpoints || !options['public-key']) {
  fail('usage: flagline-verify-audit --export FILE.ndjson --checkpoints DIR --public-key KEY.pem', 2);
}

const sha256 = (data) => createHash('sha256').update(data).digest('hex');

const publicKey = createPublicKey(readFileSync(options['public-key'], 'utf8'));
if (publicKey.asymmetricKeyType !== 'ed25519') fail('the public key is not an Ed25519 key', 2);
const keyId = sha256(publicKey.export({ type: 'spki', format: 'der' }));

// Checkpoints: each signed by this key over the canonical JSON of everything but its signature.
const checkpoints = new Map();
let furthest = null;
for (const name of readdirSync(options.checkpoints)
  .filter((n) => n.endsWith('.json'))
  .sort()) {
  const file = path.join(options.checkpoints, name);
  const checkpoint = JSON.parse(readFileSync(file, 'utf8'));
  const { format, position, hash, createdAt, signature } = checkpoint;
  if (format !== CHECKPOINT_FORMAT) fail(`${file} is not a ${CHECKPOINT_FORMAT} checkpoint`);
  if (checkpoint.keyId !== keyId) fail(`${file} was signed by another key (${checkpoint.keyId})`);
  const payload = Buffer.from(canonicalize({ format, position, hash, createdAt, keyId: checkpoint.keyId }), 'utf8');
  if (!verify(null, payload, publicKey, Buffer.from(signature, 'base64'))) fail(`${file} has an invalid signature`);
  const list = checkpoints.get(position) ?? [];
  list.push({ file, checkpoint });
  checkpoints.set(position, list);
  if (!furthest || position > furthest.checkpoint.position) furthest = { file, checkpoint };
}

// The export, link by link, in position order.
let position = 0;
let prevHash = null;
const lines = createInterface({ input: createReadStream(options.export, 'utf8'), crlfDelay: Number.POSITIVE_INFINITY });
for await (const line of lines) {
  if (line.trim() === '') continue;
  const event = JSON.parse(line);
  position++;
  if (event.position !== position) {
    fail(`line ${position}: expected position ${position}, found ${event.position} (events missing or reordered)`);
  }
  if (event.prevHash !== prevHash)
    fail(`position ${position} (event ${event.id}) does not link to position ${position - 1}`);
  const link = {
    position,
    prevHash,
    event: {
      id: event.id,
      type: event.type,
      occurredAt: event.occurredAt,
      actor: { type: event.actor.type, id: event.actor.id, email: event.actor.email },
      environment: event.environment,
      flagKey: event.flagKey,
      scheduleId: event.scheduleId,
      requestId: event.requestId,
      data: event.data,
      before: event.before,
      after: event.after,
    },
  };
  if (sha256(Buffer.from(canonicalize(link), 'utf8')) !== event.hash) {
    fail(`event ${event.id} at position ${position} was altered (its hash does not match)`);
  }
  for (const { file, checkpoint } of checkpoints.get(position) ?? []) {
    if (checkpoint.hash !== event.hash) {
      fail(`position ${position} differs from the signed checkpoint ${file}: the history up to it was rewritten`);
    }
  }
  prevHash = event.hash;
}
if (furthest && furthest.checkpoint.position > position) {
  fail(
    `the export ends at position ${position} but the signed checkpoint ${furthest.file} covers ${furthest.checkpoint.position}: sealed events were deleted (or the export is filtered)`,
  );
}
process.stdout.write(
  `${JSON.stringify({ ok: true, checked: position, checkpoints: [...checkpoints.values()].flat().length })}\n`,
);
