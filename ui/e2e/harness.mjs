// Shared by the browser tests and the streaming benchmark: bundle the fake
// core, serve the built app (dist/) on 127.0.0.1 at a free port, and drive
// the system Chromium through playwright-core (no browser download).
import { createServer } from "node:http";
import { readFile, stat } from "node:fs/promises";
import { extname, join, normalize, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "vite";
import { chromium } from "playwright-core";

const here = fileURLToPath(new URL(".", import.meta.url));
export const uiDir = resolve(here, "..");
export const distDir = join(uiDir, "dist");
export const screenshotDir = resolve(uiDir, "../target/screenshots");
const fakeOut = join(here, ".out");

/** The fake core as one IIFE script for page.addInitScript. */
export async function buildFake() {
  await build({
    configFile: false,
    logLevel: "warn",
    build: {
      outDir: fakeOut,
      emptyOutDir: true,
      minify: false,
      lib: { entry: join(here, "fake/backend.ts"), formats: ["iife"], name: "BanterFake", fileName: () => "fake.js" },
    },
  });
  return join(fakeOut, "fake.js");
}

const TYPES = { ".html": "text/html", ".js": "text/javascript", ".css": "text/css", ".svg": "image/svg+xml", ".png": "image/png", ".json": "application/json" };

/** A static server for dist/ with the app's CSP, so the tests see what Tauri enforces. */
export async function serveDist() {
  await stat(join(distDir, "index.html"));
  const csp = [
    "default-src 'self'", "script-src 'self'", "style-src 'self' 'unsafe-inline'", "img-src 'self' blob: data:",
    "font-src 'self'", "connect-src 'self'", "object-src 'none'", "base-uri 'none'", "form-action 'none'", "frame-ancestors 'none'",
  ].join("; ");
  const server = createServer(async (req, res) => {
    const path = normalize(decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname)).replace(/^(\.\.[/\\])+/, "");
    const file = join(distDir, path === "/" ? "index.html" : path);
    try {
      const body = await readFile(file);
      res.writeHead(200, { "content-type": TYPES[extname(file)] ?? "application/octet-stream", "content-security-policy": csp });
      res.end(body);
    } catch {
      res.writeHead(404).end("not found");
    }
  });
  await new Promise((ok) => server.listen(0, "127.0.0.1", ok));
  const { port } = server.address();
  return { url: `http://127.0.0.1:${port}`, close: () => new Promise((ok) => server.close(ok)) };
}

export function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu"],
  });
}

/**
 * A page with the fake core installed before the app's scripts run. The
 * fake is installed on the context, so `openWindow` can add a second window
 * (the quick chat) that shares the first one's web storage.
 */
export async function openApp(browser, { url, fakePath, seed = {}, viewport = { width: 1280, height: 800 }, path = "/", hash = "#/", colorScheme = "light", setup }) {
  const context = await browser.newContext({ viewport, colorScheme });
  await context.addInitScript((s) => {
    window.__FAKE_SEED__ = s;
  }, seed);
  await context.addInitScript({ path: fakePath });
  if (setup) await setup(context);
  const { page, errors } = await openWindow(context, `${url}${path}${hash}`);
  return { page, context, errors };
}

/** Another page of the same app in `context`, collecting its errors. */
export async function openWindow(context, address) {
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  page.on("console", (m) => {
    if (m.type() === "error") errors.push(m.text());
  });
  await page.goto(address);
  return { page, errors };
}
