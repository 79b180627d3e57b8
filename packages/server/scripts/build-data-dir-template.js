// Part of the build (after tsc): packs a migrated embedded database for first starts; skipped when it is current.
import { buildDataDirTemplate } from '../dist/db/build-data-dir-template.js';

const started = Date.now();
if ((await buildDataDirTemplate()) === 'built') {
  process.stdout.write(`built the embedded database template in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
}
