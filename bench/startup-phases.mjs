// Spawned by bench/startup.ts on an existing data directory: the steps `flagline serve` takes to /readyz, in its order,
// on the built JavaScript (opening the database while the server's modules load, as `serve` does), each with its wall
// time, CPU time and the memory it touched (minor page faults). bench/startup.ts bundles it first, as the build bundles
// the bin (packages/server/scripts/bundle-cli.js), so the modules load as they do in `flagline serve`.
import { createServer } from 'node:http';

const dataDir = process.argv[2];
const phases = [];
let last = { at: 0, usage: { userCPUTime: 0, systemCPUTime: 0, minorPageFault: 0 } };
const mark = (name) => {
  const at = performance.now();
  const usage = process.resourceUsage();
  phases.push({
    name,
    ms: Math.round(at - last.at),
    cpuMs: Math.round(
      (usage.userCPUTime + usage.systemCPUTime - last.usage.userCPUTime - last.usage.systemCPUTime) / 1000,
    ),
    touchedMiB: Math.round(((usage.minorPageFault - last.usage.minorPageFault) * 4) / 1024),
  });
  last = { at, usage };
};
// As the bin does: the event loop is held busy, or Node waits in DrainTasks for V8's background recompilation of the
// database's WebAssembly before it polls again (see holdEventLoop in src/cli.ts).
const hold = setInterval(() => {}, 2 ** 30);
mark('node starts');
const { loadConfig } = await import('../packages/server/dist/config.js');
const { createLogger } = await import('../packages/server/dist/logger.js');
const { openMigratedDatabase } = await import('../packages/server/dist/db/open-migrated.js');
mark('import config, logger and the database modules');
const config = loadConfig({ FLAGLINE_DATA_DIR: dataDir, LOG_LEVEL: 'warn', PORT: '0' });
const logger = createLogger('warn');
// As `serve` does (src/cli/serve.ts): PGlite opens (its WebAssembly compiling off the main thread) and migrations are
// checked while the rest of the server is imported.
const opening = openMigratedDatabase(config);
await import('../packages/server/dist/server.js');
const { composeRuntime } = await import('../packages/server/dist/runtime.js');
const { createApp } = await import('../packages/server/dist/app.js');
const { startBackgroundJobs } = await import('../packages/server/dist/background/jobs.js');
mark('import the server (while PGlite opens)');
const database = await opening;
mark('finish opening PGlite and checking migrations');
const runtime = await composeRuntime(database, config, logger);
mark('load the snapshot');
const app = createApp(runtime);
const listening = createServer();
await new Promise((resolve) => listening.listen(0, '127.0.0.1', resolve));
const response = await app.request('/readyz');
if (response.status !== 200) throw new Error(`/readyz answered ${response.status}`);
mark('build the app, listen, /readyz 200');
const jobs = await startBackgroundJobs(runtime, runtime.snapshot);
mark('start the scheduler and webhooks (after ready)');
process.stdout.write(`${JSON.stringify({ phases, rssMiB: Math.round(process.memoryUsage().rss / 1048576) })}\n`);
await jobs.stop();
listening.close();
await runtime.stop();
await database.close();
clearInterval(hold);
