/**
 * Writes the committed OpenAPI document (packages/server/openapi.json) from the routes, or with `--check` fails when the
 * committed one differs from what the routes produce. The SDK's types are generated from the committed file
 * (`npm run api-types -w @flagline/sdk`), so a route change reaches the SDK only through a reviewed diff of it.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { createApp } from '../src/app';
import { loadConfig } from '../src/config';
import { startRuntime } from '../src/runtime';

export const OPENAPI_FILE = fileURLToPath(new URL('../openapi.json', import.meta.url));

/** The document exactly as the file holds it: two-space JSON and a final newline. */
export const formatDocument = (document: unknown) => `${JSON.stringify(document, null, 2)}\n`;

async function servedDocument(): Promise<string> {
  const config = loadConfig({ FLAGLINE_DATA_DIR: 'memory:', LOG_LEVEL: 'silent', SCHEDULER_ENABLED: 'false' });
  const runtime = await startRuntime(config, pino({ level: 'silent' }));
  try {
    const response = await createApp(runtime).request('/openapi.json');
    if (response.status !== 200) throw new Error(`/openapi.json answered ${response.status}`);
    return formatDocument(await response.json());
  } finally {
    await runtime.stop();
  }
}

const served = await servedDocument();
if (process.argv.includes('--check')) {
  const committed = await readFile(OPENAPI_FILE, 'utf8').catch(() => '');
  if (committed !== served) {
    console.error(
      `${OPENAPI_FILE} is stale: the routes produce a different document. Run \`npm run openapi\` and commit it.`,
    );
    process.exit(1);
  }
  console.log('openapi.json matches the routes.');
} else {
  await writeFile(OPENAPI_FILE, served);
  console.log(`wrote ${OPENAPI_FILE}`);
}
