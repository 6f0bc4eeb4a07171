// What every browser test file starts before its tests and closes after:
// the fake core bundled, the built app served with its CSP, Chromium
// launched (harness.mjs; kept out of it because the streaming benchmark runs
// that file with plain node, outside vitest).
import { mkdir } from "node:fs/promises";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll } from "vitest";
import { buildFake, launch, openApp, screenshotDir, serveDist } from "./harness.mjs";

type OpenOptions = Omit<Parameters<typeof openApp>[1], "url" | "fakePath">;

export interface BrowserSuite {
  /** Set once the file's tests start. */
  browser: Browser;
  server: { url: string; close: () => Promise<void> };
  fakePath: string;
  /** `openApp` on this suite's browser, server and fake core. */
  open(options?: OpenOptions): ReturnType<typeof openApp>;
}

/** Registers the file's set-up and tear-down; read the fields inside tests. */
export function browserSuite(): BrowserSuite {
  const suite = {
    open: (options: OpenOptions = {}) => openApp(suite.browser, { url: suite.server.url, fakePath: suite.fakePath, ...options }),
  } as BrowserSuite;
  beforeAll(async () => {
    await mkdir(screenshotDir, { recursive: true });
    suite.fakePath = await buildFake();
    suite.server = await serveDist();
    suite.browser = await launch();
  });
  afterAll(async () => {
    await suite.browser?.close();
    await suite.server?.close();
  });
  return suite;
}
