// Per-device UI preferences: how this machine's window was left (the
// composer's "Include my projects & tasks" toggle, the last screen, light or
// dark). They are not account data, so they live in a small JSON file of
// tauri-plugin-store beside the app's data instead of in the core's
// database, and losing them costs nothing: every key has a default here.
import { LazyStore } from "@tauri-apps/plugin-store";
import { isThemePreference, type ThemePreference } from "./theme";

export type Preferences = {
  /** The chat composer's "Include my projects & tasks" toggle. */
  includeContext: boolean;
  /** The screen the window was last on (see `screenHref`); "" for none yet. */
  lastScreen: string;
  /** Light, dark, or as the system is (see theme.svelte.ts). */
  theme: ThemePreference;
};

export const PREFERENCE_DEFAULTS: Readonly<Preferences> = { includeContext: false, lastScreen: "", theme: "system" };

/** Keys whose values are a closed set, not just a type. */
const VALID: { [K in keyof Preferences]?: (value: unknown) => boolean } = { theme: isThemePreference };

/** The store file, in the app's data folder. */
export const PREFERENCES_FILE = "preferences.json";

/** The part of the plugin's store these preferences use (replaced in unit tests). */
export type KeyValueStore = {
  get(key: string): Promise<unknown>;
  set(key: string, value: unknown): Promise<void>;
};

export class PreferencesStore {
  values = $state<Preferences>({ ...PREFERENCE_DEFAULTS });
  private backend: KeyValueStore | null;

  constructor(backend?: KeyValueStore) {
    this.backend = backend ?? null;
  }

  private store(): KeyValueStore {
    // Saved 100 ms after a change (the plugin's auto-save).
    this.backend ??= new LazyStore(PREFERENCES_FILE, { autoSave: 100 });
    return this.backend;
  }

  /** Reads every key; a missing, mistyped or unknown value keeps its default. */
  async load(): Promise<void> {
    for (const key of Object.keys(PREFERENCE_DEFAULTS) as (keyof Preferences)[]) {
      try {
        await this.loadKey(key);
      } catch (error) {
        console.warn(`preference ${key} unreadable; using the default`, error);
      }
    }
  }

  private async loadKey<K extends keyof Preferences>(key: K): Promise<void> {
    const saved = await this.store().get(key);
    const valid = VALID[key] ?? ((value: unknown) => typeof value === typeof PREFERENCE_DEFAULTS[key]);
    if (valid(saved)) this.values[key] = saved as Preferences[K];
  }

  get<K extends keyof Preferences>(key: K): Preferences[K] {
    return this.values[key];
  }

  /** Changes a preference now and saves it in the background. */
  set<K extends keyof Preferences>(key: K, value: Preferences[K]): void {
    this.values[key] = value;
    this.store()
      .set(key, value)
      .catch((error: unknown) => console.warn(`preference ${key} not saved`, error));
  }
}

export const preferences = new PreferencesStore();
