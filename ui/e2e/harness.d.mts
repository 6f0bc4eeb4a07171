// Types for harness.mjs (plain JS so the benchmark can run it with node).
import type { Browser, BrowserContext, Page } from "playwright-core";

export const uiDir: string;
export const distDir: string;
export const screenshotDir: string;
/** Bundles the fake core (fake/backend.ts); returns the bundle's path. */
export function buildFake(): Promise<string>;
/** Serves ui/dist on 127.0.0.1. */
export function serveDist(): Promise<{ url: string; close: () => Promise<void> }>;
export function launch(): Promise<Browser>;
export function openApp(
  browser: Browser,
  options: {
    url: string;
    fakePath: string;
    seed?: object;
    viewport?: { width: number; height: number };
    path?: string;
    hash?: string;
    /** What `prefers-color-scheme` reports (default light). */
    colorScheme?: "light" | "dark";
    /** Runs on the new context before the first page opens (e.g. more init scripts). */
    setup?: (context: BrowserContext) => Promise<void>;
  },
): Promise<{ page: Page; context: BrowserContext; errors: string[] }>;
/** Another page of the same app in `context` (shares its web storage). */
export function openWindow(context: BrowserContext, address: string): Promise<{ page: Page; errors: string[] }>;
