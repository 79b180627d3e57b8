#!/usr/bin/env node
// Runs the built JavaScript, bundled (scripts/bundle-cli.js): `npm install` builds it (the root's prepare script),
// `npm run build` rebuilds it.
import { existsSync } from 'node:fs';

const entry = new URL('../dist/bundle/cli.js', import.meta.url);
if (!existsSync(entry)) {
  process.stderr.write('flagline: the server is not built; run `npm run build` (npm install runs it).\n');
  process.exit(1);
}
const { main } = await import(entry.href);
await main(process.argv.slice(2));
