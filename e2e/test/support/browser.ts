import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { REPO_ROOT } from './paths';

/** Debian's Chromium (apt-get install chromium; .ci/run installs it). */
export const CHROMIUM = process.env['SEPP_CHROMIUM'] ?? '/usr/bin/chromium';
/** Where browser tests leave their screenshots (gitignored). */
export const ARTIFACTS_DIR = join(REPO_ROOT, 'e2e', 'artifacts');

/** Headless, as root, nothing that talks to the network on its own. */
const FLAGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** A CSP violation the page reported (a `securitypolicyviolation` event). */
export interface CspViolation {
  readonly page: string;
  readonly directive: string;
  readonly blocked: string;
}

/**
 * Chromium driven by playwright-core, on a fresh profile folder (removed by `close`). Every page it
 * opens records CSP violations, uncaught errors and console errors, so a test can say the page ran
 * under its policy without a single one.
 */
export class Browser {
  readonly violations: CspViolation[] = [];
  readonly errors: string[] = [];

  private constructor(
    readonly context: BrowserContext,
    private readonly profile: string,
  ) {}

  static async launch(): Promise<Browser> {
    const profile = mkdtempSync(join(tmpdir(), 'sepp-chromium-'));
    try {
      const context = await chromium.launchPersistentContext(profile, {
        executablePath: CHROMIUM,
        headless: true,
        // The profile folder is the fresh --user-data-dir (playwright passes it on).
        args: FLAGS,
        viewport: { width: 1440, height: 900 },
        colorScheme: 'light',
      });
      const browser = new Browser(context, profile);
      await context.addInitScript(() => {
        document.addEventListener('securitypolicyviolation', (event) => {
          const w = window as unknown as { __csp?: { directive: string; blocked: string }[] };
          (w.__csp ??= []).push({ directive: event.violatedDirective, blocked: event.blockedURI });
        });
      });
      return browser;
    } catch (error) {
      rmSync(profile, { recursive: true, force: true });
      throw error;
    }
  }

  /** A new tab on `url`, its errors recorded. */
  async open(url: string): Promise<Page> {
    const page = await this.context.newPage();
    page.on('pageerror', (error) => this.errors.push(`${url}: ${error.message}`));
    page.on('console', (message) => {
      if (message.type() === 'error') this.errors.push(`${url}: console: ${message.text()}`);
    });
    await page.goto(url);
    return page;
  }

  /** The CSP violations `page` reported so far (also kept in `violations`). */
  async cspViolations(page: Page): Promise<CspViolation[]> {
    const found = await page.evaluate(() => (window as unknown as { __csp?: { directive: string; blocked: string }[] }).__csp ?? []);
    const named = found.map((v) => ({ page: page.url(), ...v }));
    this.violations.push(...named);
    return named;
  }

  async close(): Promise<void> {
    try {
      await this.context.close();
    } finally {
      rmSync(this.profile, { recursive: true, force: true });
    }
  }
}

/** Saves a full-page screenshot as a test artifact: e2e/artifacts/<name>.png. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(ARTIFACTS_DIR, { recursive: true });
  const file = join(ARTIFACTS_DIR, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}
