// Streaming replies re-render on every frame. Splitting the text into
// top-level markdown blocks lets finished blocks render once (memoised by
// their source) while only the growing tail is parsed and rendered again.
import { Lexer } from "marked";
import { renderMarkdown } from "./render";

export type Block = { key: string; source: string; html: string };

/** Top-level block sources; they concatenate back to `text`. */
export function splitBlocks(text: string): string[] {
  const out: string[] = [];
  for (const token of Lexer.lex(text, { gfm: true })) {
    // Blank lines belong to the block before them so keys stay stable.
    if (token.type === "space" && out.length > 0) out[out.length - 1] += token.raw;
    else out.push(token.raw);
  }
  return out;
}

/**
 * Keeps rendered blocks across calls. `stable` is the prefix whose blocks can
 * no longer change (the tail may still turn a paragraph into a heading or
 * join a list), so a growing text is only re-lexed from there.
 */
export class BlockRenderer {
  private cache = new Map<string, string>();
  private stableSource = "";
  private stableBlocks: Block[] = [];
  renders = 0;

  constructor(private readonly render: (source: string) => string = renderMarkdown) {}

  private html(source: string): string {
    let html = this.cache.get(source);
    if (html === undefined) {
      html = this.renderOnce(source);
      this.cache.set(source, html);
    }
    return html;
  }

  private renderOnce(source: string): string {
    this.renders += 1;
    return this.render(source);
  }

  update(text: string): Block[] {
    if (!text.startsWith(this.stableSource)) {
      this.stableSource = "";
      this.stableBlocks = [];
    }
    const rest = splitBlocks(text.slice(this.stableSource.length));
    // All but the last two blocks of the rest are settled for good.
    const settle = Math.max(0, rest.length - 2);
    let offset = this.stableSource.length;
    const fresh: Block[] = [];
    rest.forEach((source, i) => {
      const block = { key: `${offset}`, source, html: "" };
      offset += source.length;
      if (i < settle) {
        block.html = this.html(source);
        this.stableBlocks.push(block);
        this.stableSource += source;
      } else {
        fresh.push(block);
      }
    });
    // The tail is rendered every time but only the settled blocks are cached.
    for (const block of fresh) block.html = this.cache.get(block.source) ?? this.renderOnce(block.source);
    return [...this.stableBlocks, ...fresh];
  }
}
