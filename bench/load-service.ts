/**
 * The service under `npm run bench -- load`, in its own process as `npm start` runs it
 * (local/main.ts's startLocalService, DATA_DIR and AWS_* from the environment), so the clients'
 * and the instant AWS's CPU is not counted as the service's. One difference: this machine's host
 * responder answers file-quarantine at once with a valid report (the figure is the path through
 * the service, not a file moved). Prints `listening on <url>`; SIGTERM closes it (a --cpu-prof
 * profile is then written).
 */
import { startLocalService } from '#local/service.ts';
import { quarantineReport } from '#test/support/responder-harness.ts';

const loadHostName = process.env['LOAD_HOST_NAME'] ?? 'bench-load-host';

const dataDir = process.env['DATA_DIR'];
if (dataDir === undefined) throw new Error('bench/load-service.ts needs DATA_DIR');
const service = await startLocalService({
  dataDir,
  port: 0,
  env: process.env,
  console: false,
  hostResponder: {
    name: loadHostName,
    actions: [{ type: 'file-quarantine', execute: (context) => Promise.resolve(quarantineReport(String(context.work.inputs['path.absolute']), context.work.actionId)) }],
  },
});
console.log(`listening on ${service.url}`);
process.once('SIGTERM', () => {
  service.close().then(
    () => process.exit(0),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
});
