// Markdown → safe HTML for one block. Code is highlighted here and the
// result always goes through the sanitizer, so nothing the model writes can
// bypass it. Copy buttons are added after sanitizing (they are ours).
import { Marked, type Tokens } from "marked";
import { highlight } from "./highlight";
import { sanitize } from "./sanitize";

const marked = new Marked({
  gfm: true,
  breaks: false,
  async: false,
  renderer: {
    code({ text, lang }: Tokens.Code) {
      const { html, language } = highlight(text, lang);
      const cls = language ? ` class="hljs language-${language.replace(/[^\w-]/g, "")}"` : ` class="hljs"`;
      return `<pre><code${cls}>${html}</code></pre>\n`;
    },
  },
});

const COPY_BUTTON =
  '<div class="code-block"><button type="button" class="copy-code" data-copy-code aria-label="Copy code">Copy</button><pre>';

export function renderMarkdown(source: string): string {
  const html = marked.parse(source, { async: false }) as string;
  return sanitize(html).replaceAll("<pre>", COPY_BUTTON).replaceAll("</pre>", "</pre></div>");
}
