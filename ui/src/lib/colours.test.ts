// Every colour is a theme variable: a colour written into a component, a
// screen or a style sheet would stay light in the dark theme (or the other
// way round). theme.css is the one file that names colours.
/// <reference types="node" />
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";

const UI = join(import.meta.dirname, "../..");
const THEME_FILE = "src/theme.css";

/** Every source that can carry a colour (tests and the generated bindings aside), by path from ui/. */
function sources(): Record<string, string> {
  const files: Record<string, string> = {};
  for (const name of readdirSync(join(UI, "src"), { recursive: true, encoding: "utf8" })) {
    const path = relative(UI, join(UI, "src", name));
    if (!/\.(svelte|css|ts)$/.test(path) || path.endsWith(".test.ts") || path === "src/bindings.ts") continue;
    files[path] = readFileSync(join(UI, path), "utf8");
  }
  return files;
}

/** `#fff`, `#1d4ed8`, `#00000080` — not `#/chat` or `#main`. */
const HEX = /#[0-9a-f]{3,8}\b/gi;
/** Colour functions: rgb(), hsl(), oklch() and friends. */
const FUNCTION = /\b(?:rgba?|hsla?|hwb|lab|lch|oklab|oklch|color)\(/gi;
/** A named colour as the value of a colour property (in CSS only). */
const NAMED =
  /\b(?:color|background(?:-color)?|border(?:-[a-z]+)*|outline(?:-color)?|fill|stroke|box-shadow|text-decoration-color|caret-color|accent-color)\s*:[^;}]*?(?<![-\w])(white|black|gr[ae]y|silver|red|blue|green|yellow|orange|purple|pink|navy|teal)(?![-\w])/gi;

/** The CSS of a file with where it starts: all of a .css file, each <style> block of a .svelte file. */
function cssBlocks(path: string, text: string): { at: number; css: string }[] {
  if (path.endsWith(".css")) return [{ at: 0, css: text }];
  return [...text.matchAll(/(<style[^>]*>)([\s\S]*?)<\/style>/g)].map((m) => ({ at: (m.index ?? 0) + m[1].length, css: m[2] }));
}

/** `path:line: what` for each colour written outside the theme file. */
function colourFindings(files: Record<string, string>): string[] {
  const found: string[] = [];
  for (const [path, text] of Object.entries(files)) {
    if (path === THEME_FILE) continue;
    const hits: { at: number; what: string }[] = [];
    const scan = (source: string, at: number, pattern: RegExp) => {
      for (const match of source.matchAll(pattern)) hits.push({ at: at + (match.index ?? 0), what: match[0] });
    };
    scan(text, 0, HEX);
    scan(text, 0, FUNCTION);
    for (const block of cssBlocks(path, text)) scan(block.css, block.at, NAMED);
    hits.sort((a, b) => a.at - b.at);
    for (const hit of hits) found.push(`${path}:${text.slice(0, hit.at).split("\n").length}: ${hit.what}`);
  }
  return found;
}

describe("colours", () => {
  it("come from theme variables everywhere but theme.css", () => {
    const files = sources();
    for (const path of ["src/components/chat/MessageBubble.svelte", "src/routes/Settings.svelte", "src/app.css", "src/lib/theme.ts"]) {
      expect(Object.keys(files)).toContain(path);
    }
    expect(files[THEME_FILE]).toContain("--text: #111827;");
    expect(colourFindings(files)).toEqual([]);
  });

  it("catches each way of writing one", () => {
    const findings = colourFindings({
      "src/components/A.svelte": '<a href="#/chat">x</a>\n<style>\n  .a { color: #1d4ed8; }\n  .b { box-shadow: 0 0 4px rgb(0 0 0 / 0.2); }\n</style>',
      "src/routes/B.svelte": '<div style="background: #fff"></div>\n<style>.c { background: white; white-space: nowrap; }</style>',
      "src/c.css": ".d { border: 1px solid gray; color: var(--red); }",
      "src/lib/d.ts": 'el.style.color = "hsl(0 0% 0%)";',
      [THEME_FILE]: ":root { --text: #111827; }",
    });
    expect(findings).toEqual([
      "src/components/A.svelte:3: #1d4ed8",
      "src/components/A.svelte:4: rgb(",
      "src/routes/B.svelte:1: #fff",
      "src/routes/B.svelte:2: background: white",
      "src/c.css:1: border: 1px solid gray",
      "src/lib/d.ts:1: hsl(",
    ]);
  });
});
