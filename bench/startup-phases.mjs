// Spawned by bench/startup.ts on an existing data directory: the steps `flagline serve` takes to /readyz, in its order,
// on the built JavaScript, each with its wall time, CPU time and the memory it touched (minor page faults).
import { createServer } from 'node:http';

const dataDir = process.argv[2];
const server = new URL('../packages/server/dist/', import.meta.url);
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
mark('node starts');
const { loadConfig } = await import(new URL('config.js', server).href);
const { createLogger } = await import(new URL('logger.js', server).href);
await import(new URL('cli/commands.js', server).href); // what `serve` imports: the whole server
mark('import the server');
const config = loadConfig({ FLAGLINE_DATA_DIR: dataDir, LOG_LEVEL: 'warn', PORT: '0' });
const logger = createLogger('warn');
const { openDatabase } = await import(new URL('db/client.js', server).href);
const { runMigrations } = await import(new URL('db/migrate.js', server).href);
const { composeRuntime } = await import(new URL('runtime.js', server).href);
const { createApp } = await import(new URL('app.js', server).href);
const { startBackgroundJobs } = await import(new URL('background/jobs.js', server).href);
const database = await openDatabase({ dataDir: config.dataDir });
mark('open PGlite');
await runMigrations(database);
mark('check migrations');
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
