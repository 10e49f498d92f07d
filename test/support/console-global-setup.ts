import { requireChromium, requireConsoleBuild } from './console-browser.ts';

/**
 * Before any console browser test: a missing chromium or an unbuilt console fails the run once,
 * with a sentence naming it, instead of once per file (and never skips).
 */
export default async function setup(): Promise<void> {
  await requireChromium('The console tests');
  await requireConsoleBuild();
}
