/**
 * The console tests' browser and service: Debian's chromium driven by playwright-core (no browser
 * download), the local service as `npm start` runs it (console included) against moto_server, and
 * sign-in through the `Sign in locally` page as a person would. Every page's console errors, page
 * errors and Content-Security-Policy violations are collected, so a test can say there were none.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { inject, vi } from 'vitest';
import { personScopes } from '#functions/auth/person-groups.ts';
import { seedDemoAccount, type DemoAccount } from '#local/sandbox-seed.ts';
import { startLocalService, type LocalService, type LocalServiceOptions } from '#local/service.ts';
import { chromiumFlags, chromiumPath, consoleDist, requireChromium, requireConsoleBuild } from '#test/support/console-browser.ts';

/** Screenshots of each view, kept as test artefacts (git-ignored). */
export const artefactDir = fileURLToPath(new URL('../../../test-results/console/', import.meta.url));

/** Launches Debian's chromium; a missing browser or unbuilt console fails with a sentence naming it. */
export async function launchChromium(): Promise<Browser> {
  await requireChromium('The console tests');
  await requireConsoleBuild();
  return chromium.launch({ executablePath: chromiumPath, args: [...chromiumFlags] });
}

export interface ConsolePage {
  readonly page: Page;
  readonly context: BrowserContext;
  /** Console errors, uncaught page errors and CSP violations seen so far. */
  readonly problems: string[];
  readonly close: () => Promise<void>;
}

/** A fresh browser context (no storage shared with other tests) at 1280×720, collecting problems. */
export async function openConsolePage(browser: Browser, options: { readonly colorScheme?: 'light' | 'dark' } = {}): Promise<ConsolePage> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 720 }, colorScheme: options.colorScheme ?? 'light' });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console error: ${message.text()} (${message.location().url})`);
  });
  page.on('pageerror', (error) => {
    problems.push(`page error: ${error.message}`);
  });
  // Runs in the page (a string: this file is compiled without the DOM's types).
  await page.addInitScript(
    "document.addEventListener('securitypolicyviolation', (e) => console.error('CSP violation: ' + e.violatedDirective + ' blocked ' + e.blockedURI));",
  );
  return {
    page,
    context,
    problems,
    close: () => context.close(),
  };
}

/** On the sign-in page: ticks exactly `scopes`, names the person `sub`, clicks `Sign in locally`. */
export async function signInLocally(page: Page, options: { readonly scopes?: readonly string[]; readonly sub?: string } = {}): Promise<void> {
  const scopes = new Set<string>(options.scopes ?? personScopes);
  await page.getByRole('button', { name: 'Sign in locally' }).waitFor();
  for (const scope of personScopes) {
    const box = page.getByRole('checkbox', { name: scope });
    if ((await box.isChecked()) !== scopes.has(scope)) await box.click();
  }
  if (options.sub !== undefined) await page.getByRole('textbox', { name: 'Name' }).fill(options.sub);
  await page.getByRole('button', { name: 'Sign in locally' }).click();
  await page.waitForURL((url) => !url.pathname.startsWith('/sign-in'));
}

/** Saves a screenshot of the page as a test artefact: test-results/console/<name>.png. */
export async function saveScreenshot(page: Page, name: string): Promise<string> {
  await mkdir(artefactDir, { recursive: true });
  const path = join(artefactDir, `${name}.png`);
  await page.screenshot({ path, fullPage: false });
  return path;
}

export interface ConsoleService {
  readonly service: LocalService;
  readonly demo: DemoAccount;
  readonly moto: string;
  readonly close: () => Promise<void>;
}

/**
 * `npm start`'s service on a free port and a temporary DATA_DIR, its cloud actions against
 * moto_server with a seeded demo account (a user, a role, an instance, a bucket, a database).
 * Call from beforeAll: it stubs the AWS environment as `npm run sandbox` sets it.
 */
export async function startConsoleService(
  options: Partial<Omit<LocalServiceOptions, 'port' | 'dataDir'>> & {
    /** Automation rules (YAML), written to a file of the run's own that AUTOMATION_RULES names. */
    readonly rules?: string;
  } = {},
): Promise<ConsoleService> {
  const moto = inject('motoEndpoint');
  vi.stubEnv('AWS_ENDPOINT_URL', moto);
  vi.stubEnv('AWS_ACCESS_KEY_ID', 'testing');
  vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'testing');
  vi.stubEnv('AWS_REGION', 'us-east-1');
  const externalId = 'e2e-console-external-id';
  const dataDir = await mkdtemp(join(tmpdir(), 'e2e-console-'));
  const rulesDir = await mkdtemp(join(tmpdir(), 'e2e-console-rules-'));
  const { rules, ...serviceOptions } = options;
  const rulesEnv: Record<string, string> = {};
  if (rules !== undefined) {
    rulesEnv['AUTOMATION_RULES'] = join(rulesDir, 'rules.yaml');
    await writeFile(rulesEnv['AUTOMATION_RULES'], rules);
  }
  const demo = await seedDemoAccount({ endpoint: moto, memberRoleName: 'ResponseActionsMember', externalId, suffix: `-${randomUUID().slice(0, 8)}` });
  const service = await startLocalService({
    hostResponder: false,
    playbookRunner: { waitTimeOverrides: { WaitForStep: 100 } },
    console: { dir: consoleDist },
    ...serviceOptions,
    env: { TARGET_ACCOUNTS: demo.accountId, MEMBER_ROLE_EXTERNAL_ID: externalId, ...rulesEnv, ...serviceOptions.env },
    dataDir,
    port: 0,
  });
  return {
    service,
    demo,
    moto,
    close: async () => {
      await service.close();
      vi.unstubAllEnvs();
      await rm(dataDir, { recursive: true, force: true });
      await rm(rulesDir, { recursive: true, force: true });
    },
  };
}
