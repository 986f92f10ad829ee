// Launches Debian's chromium headless through playwright-core, which never downloads a browser:
// the system binary, pinned flags, and a new empty profile that is removed on close.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

export const CHROMIUM_PATH = process.env.TOKENHOUSE_CHROMIUM || '/usr/bin/chromium';

// Headless, no sandbox (CI runs as root), and nothing that phones home or updates itself.
export const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export const launch = async ({ viewport = { width: 1280, height: 800 } } = {}) => {
  const profile = await mkdtemp(join(tmpdir(), 'tokenhouse-chromium-'));
  try {
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM_PATH,
      headless: true,
      args: CHROMIUM_FLAGS,
      viewport,
    });
    return {
      context,
      close: async () => {
        await context.close();
        await rm(profile, { recursive: true, force: true });
      },
    };
  } catch (e) {
    await rm(profile, { recursive: true, force: true });
    throw e;
  }
};
