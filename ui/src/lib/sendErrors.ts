// What the user sees when a send is refused or a reply fails.
import type { ApiError } from "../bindings";

export type SendErrorAction = { kind: "out-of-credits" } | { kind: "fatal" } | { kind: "toast"; text: string };

export function sendErrorAction(error: ApiError): SendErrorAction {
  if (error.code === "insufficient_credits") return { kind: "out-of-credits" };
  if (error.code.startsWith("database")) return { kind: "fatal" };
  const text: Record<string, string> = {
    session_busy: "A reply is still being written in this chat. Stop it or wait for it to finish.",
    provider_not_configured: "No AI model is set up yet. Add one in Settings.",
    unauthorized: "The AI provider refused the API key. Check it in Settings.",
    deployment_not_found: "The AI provider does not know that deployment or model. Check Settings.",
    rate_limited: "The AI provider is busy (rate limited). Try again in a moment.",
    content_filtered: "The provider's content filter stopped this reply.",
    timeout: "The AI provider took too long to answer.",
    network: "Could not reach the AI provider. Check your connection.",
    provider_redirected:
      "The AI provider's endpoint answered with a redirect, which Banter does not follow. Check the endpoint in Settings.",
    insecure_endpoint: "That endpoint uses plain http to another computer. Use https (plain http is allowed only for this computer).",
    keyring_unavailable: "The system keyring is not available, so the API key could not be read.",
  };
  return { kind: "toast", text: text[error.code] ?? error.message };
}
