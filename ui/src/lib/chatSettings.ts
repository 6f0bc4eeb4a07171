// A chat's own settings (its system prompt in place of the app's, the
// reasoning effort asked of an o-series model, and the model that answers
// it) as the chat screen edits them, and the personas a chat can start
// from. The rules (trimming, the longest prompt, which models exist) are
// the core's; this only shapes drafts and labels.
//
// The core replaces all of a chat's settings at once, so whatever edits one
// of them carries the others through as the chat has them.
import type { ChatSession, Persona, ReasoningEffort, SessionSettings_Deserialize } from "../bindings";

export const EFFORTS: readonly ReasoningEffort[] = ["low", "medium", "high"];

const EFFORT_LABELS: Record<ReasoningEffort, string> = { low: "Low", medium: "Medium", high: "High" };

export function effortLabel(effort: ReasoningEffort | null | undefined): string {
  return effort ? EFFORT_LABELS[effort] : "Model default";
}

/**
 * What the settings dialog edits: "" means the app's prompt / the model's
 * effort. `model` is not edited there (the composer's picker chooses it),
 * only carried through: null is the default model.
 */
export type SettingsDraft = { systemPrompt: string; effort: ReasoningEffort | ""; model: string | null };

type SessionSettingsOf = Pick<ChatSession, "systemPrompt" | "reasoningEffort"> & { model?: string | null };

export function draftOf(session: SessionSettingsOf | null): SettingsDraft {
  return { systemPrompt: session?.systemPrompt ?? "", effort: session?.reasoningEffort ?? "", model: session?.model ?? null };
}

/**
 * A persona's prompt and effort as a draft (choosing it in the dialog); a
 * persona has no model, so the chat keeps `model` (the picker's choice).
 */
export function draftFromPersona(persona: Persona, model: string | null): SettingsDraft {
  return { systemPrompt: persona.prompt, effort: persona.reasoningEffort ?? "", model };
}

/** The settings to save: a blank prompt is the app's own. */
export function settingsOf(draft: SettingsDraft): SessionSettings_Deserialize {
  const prompt = draft.systemPrompt.trim();
  return { systemPrompt: prompt === "" ? null : prompt, reasoningEffort: draft.effort === "" ? null : draft.effort, model: draft.model };
}

/** A chat's settings (as read just now; null for a new chat) with another model. */
export function settingsWithModel(session: SessionSettingsOf | null, model: string | null): SessionSettings_Deserialize {
  return { systemPrompt: session?.systemPrompt ?? null, reasoningEffort: session?.reasoningEffort ?? null, model };
}

/** The short note the chat header shows; null when the chat uses the defaults. */
export function settingsSummary(session: Pick<ChatSession, "systemPrompt" | "reasoningEffort"> | null): string | null {
  if (!session) return null;
  const parts: string[] = [];
  if (session.systemPrompt) parts.push("Own prompt");
  if (session.reasoningEffort) parts.push(`Effort: ${EFFORT_LABELS[session.reasoningEffort]}`);
  return parts.length ? parts.join(" · ") : null;
}
