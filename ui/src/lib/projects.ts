// Pure helpers for the projects screens: labels, and what each failure of
// AI generation or page saving means to the user (the core's error codes).
import type { ApiError, Priority, TaskStatus } from "../bindings";

export const TASK_STATUSES: { value: TaskStatus; label: string }[] = [
  { value: "todo", label: "To do" },
  { value: "in_progress", label: "In progress" },
  { value: "done", label: "Done" },
];

export const PRIORITIES: { value: Priority; label: string }[] = [
  { value: "low", label: "Low" },
  { value: "medium", label: "Medium" },
  { value: "high", label: "High" },
  { value: "urgent", label: "Urgent" },
];

export function statusLabel(status: TaskStatus): string {
  return TASK_STATUSES.find((s) => s.value === status)?.label ?? status;
}

export function priorityLabel(priority: Priority): string {
  return PRIORITIES.find((p) => p.value === priority)?.label ?? priority;
}

/** "3 of 5 open" for a project's task counts. */
export function taskCountLabel(open: number, total: number): string {
  if (total === 0) return "No tasks";
  return `${open} of ${total} open`;
}

export const REFUNDED = "Your credits were refunded.";

/** What the user sees when an action is refused or fails. */
export type ActionError = { kind: "out-of-credits" } | { kind: "message"; text: string; refunded: boolean };

const GENERATION_TEXT: Record<string, string> = {
  invalid_model_output: "The AI answered with something that was not a usable project plan, so nothing was created.",
  model_output_truncated: "The AI's answer was cut off before the plan was complete, so nothing was created.",
};

const SCRAPE_TEXT: Record<string, string> = {
  bad_url: "That address cannot be saved. Use a web address starting with http:// or https://.",
  not_found: "The page was not found (404). Check the address.",
  http_error: "The website answered with an error, so the page could not be saved.",
  timeout: "The website took too long to answer.",
  too_large: "The page is too large to save (over 5 MB).",
  not_a_web_page: "That address is not a web page (for example a PDF or an image). Only HTML and plain text can be saved.",
  too_many_redirects: "The website redirected too many times.",
  network: "Could not reach the website. Check the address and your connection.",
  empty_page: "The page had no readable text to save.",
  redirect_to_private_address:
    "The website tried to send Banter to an address on your own computer or network, so the page was not saved.",
  page_too_complex: "The page is too complex to read (too deeply nested or too many elements).",
  extraction_timeout: "Reading the page's text took too long.",
};

/** Codes whose credits the core gives back. */
const GENERATION_REFUNDED = new Set(Object.keys(GENERATION_TEXT));
const SCRAPE_REFUNDED = new Set(Object.keys(SCRAPE_TEXT).filter((c) => c !== "bad_url"));

const COMMON_TEXT: Record<string, string> = {
  provider_not_configured: "No AI model is set up yet. Add one in Settings.",
  unauthorized: "The AI provider refused the API key. Check it in Settings.",
  rate_limited: "The AI provider is busy (rate limited). Try again in a moment.",
  validation: "Please check what you entered.",
};

function describe(error: ApiError, texts: Record<string, string>, refundedCodes: Set<string>): ActionError {
  if (error.code === "insufficient_credits") return { kind: "out-of-credits" };
  const refunded = refundedCodes.has(error.code);
  const base = texts[error.code] ?? COMMON_TEXT[error.code] ?? error.message;
  return { kind: "message", text: refunded ? `${base} ${REFUNDED}` : base, refunded };
}

export function generationError(error: ApiError): ActionError {
  return describe(error, GENERATION_TEXT, GENERATION_REFUNDED);
}

export function scrapeError(error: ApiError): ActionError {
  return describe(error, SCRAPE_TEXT, SCRAPE_REFUNDED);
}

export function createdToast(taskCount: number): string {
  return `Project created with ${taskCount} ${taskCount === 1 ? "task" : "tasks"}`;
}

/** The first `max` characters of a saved page's text, cut at a word. */
export function excerpt(text: string, max = 280): { text: string; more: boolean } {
  if (text.length <= max) return { text, more: false };
  const cut = text.slice(0, max);
  const space = cut.lastIndexOf(" ");
  return { text: `${(space > max / 2 ? cut.slice(0, space) : cut).trimEnd()}…`, more: true };
}
