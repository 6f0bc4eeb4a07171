// Markdown → safe HTML for one block. Code is highlighted here and the
// result always goes through the sanitizer, so nothing the model writes can
// bypass it. The sanitizer's output is final, never edited afterwards: our
// copy buttons are written here, before sanitizing, marked with a nonce made
// for this render, and the sanitizer keeps only buttons with that mark.
import { Marked, type Tokens } from "marked";
import { highlight } from "./highlight";
import { COPY_ATTR, sanitizeWithCopyButtons } from "./sanitize";

/** The nonce of the render in progress (rendering is synchronous). */
let nonce = "";

const marked = new Marked({
  gfm: true,
  breaks: false,
  async: false,
  renderer: {
    code({ text, lang }: Tokens.Code) {
      const { html, language } = highlight(text, lang);
      const cls = language ? ` class="hljs language-${language.replace(/[^\w-]/g, "")}"` : ` class="hljs"`;
      const button = `<button type="button" class="copy-code" ${COPY_ATTR}="${nonce}" aria-label="Copy code">Copy</button>`;
      return `<div class="code-block">${button}<pre><code${cls}>${html}</code></pre></div>\n`;
    },
  },
});

export function renderMarkdown(source: string): string {
  nonce = crypto.randomUUID();
  const html = marked.parse(source, { async: false }) as string;
  return sanitizeWithCopyButtons(html, nonce);
}
