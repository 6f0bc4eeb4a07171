// The chat models as the picker and Settings show them. The core owns the
// list (which models exist, which is the default, whether one can answer);
// this only decides what a chat shows as its model and how each choice reads.
import type { ModelSummary } from "../bindings";

/** The default model: the one marked so, else the first (as the core falls back). */
export function defaultModel(models: readonly ModelSummary[]): ModelSummary | null {
  return models.find((m) => m.isDefault) ?? models[0] ?? null;
}

/** The name of the model a chat is answered by: its own, else the default's; null when there is none. */
export function chatModelName(models: readonly ModelSummary[], sessionModel: string | null | undefined): string | null {
  return sessionModel ?? defaultModel(models)?.name ?? null;
}

/** The model a chat is answered by; null when it names one that is not configured (or there is none). */
export function chatModel(models: readonly ModelSummary[], sessionModel: string | null | undefined): ModelSummary | null {
  const name = chatModelName(models, sessionModel);
  return name === null ? null : (models.find((m) => m.name === name) ?? null);
}

/** One choice of the picker. */
export type ModelOption = {
  value: string;
  text: string;
  /** A model that cannot answer now, or one that is not configured. */
  disabled: boolean;
  /** Why it is disabled, or what it is ("Azure OpenAI · o3-mini"). */
  hint: string | null;
};

/**
 * The picker's choices: every model (the default marked, one that cannot
 * answer disabled with the reason), and the chat's own model marked "(not
 * configured)" when it names one that is gone, so the chat shows why a
 * send fails instead of pretending to use another model.
 */
export function modelOptions(models: readonly ModelSummary[], sessionModel: string | null | undefined): ModelOption[] {
  const options: ModelOption[] = models.map((m) => ({
    value: m.name,
    text: `${m.name}${m.isDefault ? " (default)" : ""}${m.problem ? " (unavailable)" : ""}`,
    disabled: m.problem != null,
    hint: m.problem ?? m.label ?? null,
  }));
  if (sessionModel != null && !models.some((m) => m.name === sessionModel)) {
    options.push({
      value: sessionModel,
      text: `${sessionModel} (not configured)`,
      disabled: true,
      hint: `No model called "${sessionModel}" is configured any more: choose another model for this chat.`,
    });
  }
  return options;
}

/**
 * Whether the chat settings offer a reasoning effort: when the chat's model
 * takes one, or when that cannot be told (the list is not loaded, or the
 * chat names a model that is gone).
 */
export function offersEffort(models: readonly ModelSummary[], loaded: boolean, sessionModel: string | null | undefined): boolean {
  if (!loaded) return true;
  const model = chatModel(models, sessionModel);
  return model === null || model.reasons;
}
