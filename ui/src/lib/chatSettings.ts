// A chat's own settings (its system prompt in place of the app's, and the
// reasoning effort asked of an o-series model) as the chat screen edits
// them, and the personas a chat can start from. The rules (trimming, the
// longest prompt) are the core's; this only shapes drafts and labels.
import type { ChatSession, Persona, ReasoningEffort, SessionSettings_Deserialize } from "../bindings";

export const EFFORTS: readonly ReasoningEffort[] = ["low", "medium", "high"];

const EFFORT_LABELS: Record<ReasoningEffort, string> = { low: "Low", medium: "Medium", high: "High" };

export function effortLabel(effort: ReasoningEffort | null | undefined): string {
  return effort ? EFFORT_LABELS[effort] : "Model default";
}

/** What the settings dialog edits: "" means the app's prompt / the model's effort. */
export type SettingsDraft = { systemPrompt: string; effort: ReasoningEffort | "" };

export function draftOf(session: Pick<ChatSession, "systemPrompt" | "reasoningEffort"> | null): SettingsDraft {
  return { systemPrompt: session?.systemPrompt ?? "", effort: session?.reasoningEffort ?? "" };
}

/** A persona's prompt and effort as a draft (choosing it in the dialog). */
export function draftFromPersona(persona: Persona): SettingsDraft {
  return { systemPrompt: persona.prompt, effort: persona.reasoningEffort ?? "" };
}

/** The settings to save: a blank prompt is the app's own. */
export function settingsOf(draft: SettingsDraft): SessionSettings_Deserialize {
  const prompt = draft.systemPrompt.trim();
  return { systemPrompt: prompt === "" ? null : prompt, reasoningEffort: draft.effort === "" ? null : draft.effort };
}

/** The short note the chat header shows; null when the chat uses the defaults. */
export function settingsSummary(session: Pick<ChatSession, "systemPrompt" | "reasoningEffort"> | null): string | null {
  if (!session) return null;
  const parts: string[] = [];
  if (session.systemPrompt) parts.push("Own prompt");
  if (session.reasoningEffort) parts.push(`Effort: ${EFFORT_LABELS[session.reasoningEffort]}`);
  return parts.length ? parts.join(" · ") : null;
}
