// Model output is untrusted HTML once markdown is rendered. DOMPurify keeps
// the formatting and drops anything that runs code, loads remote content or
// navigates: scripts, handlers, frames, forms, and links other than
// http/https/mailto. The CSP would block most of it too; this is the first wall.
import DOMPurify from "dompurify";

const FORBID_TAGS = [
  "style", "iframe", "frame", "frameset", "object", "embed", "form", "input",
  "textarea", "select", "option", "link", "meta", "base", "svg", "math", "video", "audio", "source",
];
// "button" is not in FORBID_TAGS: a hook keeps only our own copy buttons.
const LOCAL_IMAGE = /^data:image\/(png|gif|jpe?g|webp);base64,/i;

let purifier: ReturnType<typeof DOMPurify> | null = null;

function instance() {
  if (purifier) return purifier;
  purifier = DOMPurify(window);
  purifier.addHook("afterSanitizeAttributes", (node) => {
    if (node.nodeName === "BUTTON") node.setAttribute(COPY_ATTR, "");
    if (node.nodeName === "A") {
      // Links open through the core (see links.ts); never in a new webview.
      node.removeAttribute("target");
      node.setAttribute("rel", "noopener noreferrer");
    }
  });
  purifier.addHook("uponSanitizeElement", (node, data) => {
    // Remote images would be blocked by the CSP and leak that a reply was read.
    if (data.tagName === "img" && !LOCAL_IMAGE.test((node as Element).getAttribute("src") ?? "")) {
      node.parentNode?.removeChild(node);
    }
  });
  purifier.addHook("uponSanitizeElement", (node, data) => {
    // Our copy buttons carry this render's nonce (see render.ts); any other
    // button — one the model wrote — is removed with its text.
    const mark = (node as Element).getAttribute?.(COPY_ATTR);
    if (data.tagName === "button" && (copyNonce === null || mark !== copyNonce)) {
      node.parentNode?.removeChild(node);
    }
  });
  return purifier;
}

/** The attribute that marks our copy buttons (Markdown.svelte listens for it). */
export const COPY_ATTR = "data-copy-code";
let copyNonce: string | null = null;

/**
 * Sanitizes `html`, letting through only the copy buttons marked with
 * `nonce` (an unguessable value made for this render), whose mark is then
 * cleared. The result is final: nothing edits it afterwards.
 */
export function sanitizeWithCopyButtons(html: string, nonce: string): string {
  copyNonce = nonce;
  try {
    return sanitize(html);
  } finally {
    copyNonce = null;
  }
}

export function sanitize(html: string): string {
  return instance().sanitize(html, {
    FORBID_TAGS,
    FORBID_ATTR: ["style", "srcset", "action", "formaction", "target"],
    ALLOWED_URI_REGEXP: /^(?:https?:|mailto:|#)/i,
    ALLOW_DATA_ATTR: false,
    ADD_ATTR: [COPY_ATTR],
  });
}
