/**
 * `npm run conformance`: every scenario under conformance/scenarios/ run end to end against
 * moto_server and this machine (the service in process, as `npm start` runs it, with its host
 * responder), printing one table row per scenario. Exits 1 naming every difference, 2 when a
 * scenario file is invalid or moto_server is missing.
 */
import { startMotoServer } from '#local/moto-server.ts';
import { prepareWorld, runScenario, type ScenarioOutcome } from './conformance/run-scenario.ts';
import { loadScenarios, type Scenario } from './conformance/scenario.ts';
import { formatTable } from './conformance/table.ts';

let scenarios: Scenario[];
try {
  const only = process.argv.slice(2);
  scenarios = (await loadScenarios()).filter((scenario) => only.length === 0 || only.some((name) => scenario.file.includes(name)));
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exit(2);
}

const moto = await startMotoServer().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(2);
});
const outcomes: ScenarioOutcome[] = [];
const failures: string[] = [];
try {
  const world = await prepareWorld(moto.endpoint);
  for (const scenario of scenarios) {
    console.error(`running ${scenario.file} ...`);
    const outcome = await runScenario(world, scenario).catch((error: unknown) => ({
      row: { scenario: scenario.name, findingType: '?', decision: '?', action: '?', endState: '?', undo: '?', backToOriginal: '✘' as const },
      mismatches: [`the run failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`],
    }));
    outcomes.push(outcome);
    for (const mismatch of outcome.mismatches) failures.push(`${scenario.file}: ${mismatch}`);
  }
} finally {
  await moto.stop();
}

console.log(formatTable(outcomes));
if (failures.length > 0) {
  console.log(`\n${failures.length} difference${failures.length === 1 ? '' : 's'} from the corpus:`);
  for (const failure of failures) console.log(`  ✘ ${failure}`);
  process.exit(1);
}
console.log(`\nall ${outcomes.length} scenarios conform`);
