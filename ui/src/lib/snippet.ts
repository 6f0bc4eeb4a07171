// Search snippets mark matches with U+0002 … U+0003. They are split into
// parts here and rendered as text nodes, so a snippet can never be HTML.
export type SnippetPart = { text: string; match: boolean };

export const MATCH_START = "\u0002";
export const MATCH_END = "\u0003";

export function snippetParts(snippet: string): SnippetPart[] {
  const parts: SnippetPart[] = [];
  let match = false;
  let text = "";
  const push = () => {
    if (text) parts.push({ text, match });
    text = "";
  };
  for (const ch of snippet) {
    if (ch === MATCH_START || ch === MATCH_END) {
      push();
      match = ch === MATCH_START;
    } else {
      text += ch;
    }
  }
  push();
  return parts;
}
