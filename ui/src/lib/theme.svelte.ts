// The window's theme, kept current: the Settings choice (saved with the
// device preferences, mirrored in web storage for the next first paint and
// for the other window), else the system's light or dark, followed live.
import {
  applyTheme,
  DARK_QUERY,
  parseThemePreference,
  resolveTheme,
  THEME_CACHE_KEY,
  type Theme,
  type ThemePreference,
} from "./theme";

/** What the controller needs of the page (replaced in unit tests). */
export type ThemeHost = {
  root: HTMLElement;
  storage: Pick<Storage, "getItem" | "setItem"> | null;
  matchMedia: (query: string) => Pick<MediaQueryList, "matches" | "addEventListener" | "removeEventListener">;
  addEventListener: (type: "storage", listener: (event: StorageEvent) => void) => void;
  removeEventListener: (type: "storage", listener: (event: StorageEvent) => void) => void;
};

function browserHost(): ThemeHost {
  let storage: Storage | null = null;
  try {
    storage = window.localStorage;
  } catch {
    storage = null; // storage refused: the choice still applies for this run
  }
  return {
    root: document.documentElement,
    storage,
    matchMedia: (query) => window.matchMedia(query),
    addEventListener: (type, listener) => window.addEventListener(type, listener),
    removeEventListener: (type, listener) => window.removeEventListener(type, listener),
  };
}

export class ThemeController {
  preference = $state<ThemePreference>("system");
  systemDark = $state(false);
  readonly resolved: Theme = $derived(resolveTheme(this.preference, this.systemDark));
  private host: ThemeHost | null;

  constructor(host?: ThemeHost) {
    this.host = host ?? null;
  }

  private env(): ThemeHost {
    this.host ??= browserHost();
    return this.host;
  }

  /**
   * Reads the mirrored choice and the system's setting, applies them, and
   * follows both: the system's changes, and a choice made in another window.
   * Returns the function that stops following.
   */
  start(): () => void {
    const env = this.env();
    this.preference = parseThemePreference(this.readCache());
    const media = env.matchMedia(DARK_QUERY);
    this.systemDark = media.matches;
    this.apply();
    const onMedia = (event: MediaQueryListEvent) => {
      this.systemDark = event.matches;
      this.apply();
    };
    const onStorage = (event: StorageEvent) => {
      if (event.key !== THEME_CACHE_KEY) return;
      this.preference = parseThemePreference(event.newValue);
      this.apply();
    };
    media.addEventListener("change", onMedia);
    env.addEventListener("storage", onStorage);
    return () => {
      media.removeEventListener("change", onMedia);
      env.removeEventListener("storage", onStorage);
    };
  }

  /** The saved preference, once the preferences file is read (main window). */
  adopt(preference: ThemePreference): void {
    this.preference = preference;
    this.writeCache();
    this.apply();
  }

  /** The user's choice in Settings: applied now; `save` keeps it with the preferences. */
  choose(preference: ThemePreference, save: (preference: ThemePreference) => void): void {
    this.adopt(preference);
    save(preference);
  }

  private readCache(): string | null {
    try {
      return this.env().storage?.getItem(THEME_CACHE_KEY) ?? null;
    } catch {
      return null;
    }
  }

  private writeCache(): void {
    try {
      this.env().storage?.setItem(THEME_CACHE_KEY, this.preference);
    } catch (error) {
      console.warn("theme choice not mirrored for the next start", error);
    }
  }

  private apply(): void {
    applyTheme(this.env().root, this.resolved);
  }
}

export const theme = new ThemeController();
