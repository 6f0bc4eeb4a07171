// Light or dark: the rule, with no state. The Settings choice wins; "system"
// follows the OS (`prefers-color-scheme`). public/theme-boot.js applies the
// same rule before the first paint (theme.test.ts checks they agree).
export type ThemePreference = "system" | "light" | "dark";
export type Theme = "light" | "dark";

/** The choices, in the order Settings lists them. */
export const THEME_PREFERENCES: readonly ThemePreference[] = ["system", "light", "dark"];

/**
 * Where the choice is mirrored for the next start's first paint, in web
 * storage (which both windows share and can read before any IPC is up). The
 * saved preference itself is `theme` in preferences.svelte.ts.
 */
export const THEME_CACHE_KEY = "banter.theme";

export const DARK_QUERY = "(prefers-color-scheme: dark)";

export function isThemePreference(value: unknown): value is ThemePreference {
  return typeof value === "string" && (THEME_PREFERENCES as readonly string[]).includes(value);
}

/** A stored value as a preference; anything unknown is "system". */
export function parseThemePreference(value: unknown): ThemePreference {
  return isThemePreference(value) ? value : "system";
}

export function resolveTheme(preference: ThemePreference, systemDark: boolean): Theme {
  if (preference === "system") return systemDark ? "dark" : "light";
  return preference;
}

/** theme.css picks its colours by `<html data-theme>`. */
export function applyTheme(root: HTMLElement, theme: Theme): void {
  if (root.dataset.theme !== theme) root.dataset.theme = theme;
}
