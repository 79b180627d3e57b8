import { benchAudit } from './audit/index';
import { benchDelivery } from './delivery';
import { benchEvaluate } from './evaluate';
import { benchPeers } from './peers';
import { benchRelay } from './peers/relay';
import { benchScheduleKinds } from './schedule-kinds';
import { benchSchedules } from './schedules';
import { benchStartup } from './startup';
import { benchTargeting } from './targeting';
import { benchTransports } from './transports';

const benchmarks: Record<string, () => Promise<void>> = {
  evaluate: benchEvaluate,
  schedules: benchSchedules,
  'schedule-kinds': benchScheduleKinds,
  delivery: benchDelivery,
  audit: benchAudit,
  peers: benchPeers,
  relay: benchRelay,
  startup: benchStartup,
  targeting: benchTargeting,
  transports: benchTransports,
};

const requested = process.argv.slice(2);
const names = requested.length > 0 ? requested : Object.keys(benchmarks);
for (const name of names) {
  const bench = benchmarks[name];
  if (!bench) {
    process.stderr.write(`Unknown benchmark "${name}". Available: ${Object.keys(benchmarks).join(', ')}\n`);
    process.exit(2);
  }
  process.stdout.write(`── ${name} ──\n`);
  await bench();
}
