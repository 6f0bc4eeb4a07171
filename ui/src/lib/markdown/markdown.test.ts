// @vitest-environment jsdom
import { describe, expect, it } from "vitest";
import { BlockRenderer, splitBlocks } from "./blocks";
import { renderMarkdown } from "./render";
import { sanitize } from "./sanitize";

describe("sanitizer", () => {
  it("drops event handlers and remote images", () => {
    const out = sanitize('<p>hi</p><img src=x onerror=alert(1)><img src="https://evil.test/a.png">');
    expect(out).toBe("<p>hi</p>");
  });

  it("keeps inline data images without handlers", () => {
    const out = sanitize('<img src="data:image/png;base64,AAAA" onload="x()">');
    expect(out).toContain('src="data:image/png;base64,AAAA"');
    expect(out).not.toContain("onload");
  });

  it("removes scripts, iframes and forms", () => {
    const out = sanitize('<script>alert(1)</script><iframe src="https://x.test"></iframe><form action="https://x.test"><input></form><b>ok</b>');
    expect(out).toBe("<b>ok</b>");
  });

  it("strips javascript: and data: links but keeps the text", () => {
    const js = renderMarkdown("[x](javascript:alert(1))");
    expect(js).not.toMatch(/javascript:/i);
    expect(js).toContain(">x</a>");
    const data = renderMarkdown("[y](data:text/html;base64,PHNjcmlwdD4=)");
    expect(data).not.toMatch(/data:/i);
    const raw = sanitize('<a href="JaVaScRiPt:alert(1)">z</a><a href="vbscript:x">w</a>');
    expect(raw).not.toMatch(/script:/i);
  });

  it("keeps http, https and mailto links without a target", () => {
    const out = renderMarkdown("[a](https://example.com) [b](mailto:me@example.com) <a href='http://x.test' target=_blank>c</a>");
    expect(out).toContain('href="https://example.com"');
    expect(out).toContain('href="mailto:me@example.com"');
    expect(out).toContain('href="http://x.test"');
    expect(out).not.toContain("target");
  });
});

describe("markdown rendering", () => {
  it("keeps headings, lists and emphasis", () => {
    const out = renderMarkdown("# Title\n\n- **bold** item\n- `code`");
    expect(out).toContain("<h1>Title</h1>");
    expect(out).toContain("<strong>bold</strong>");
    expect(out).toContain("<code>code</code>");
  });

  it("highlights fenced code and adds one copy button per block", () => {
    const out = renderMarkdown("```js\nconst a = 1;\n```\n\n```\nplain <b>\n```");
    expect(out).toContain('class="hljs language-js"');
    expect(out).toContain('<span class="hljs-keyword">const</span>');
    expect(out).toContain("plain &lt;b&gt;");
    expect(out.match(/data-copy-code/g)).toHaveLength(2);
  });

  it("wraps each code block with the copy button inside the sanitizer's pass", () => {
    const out = renderMarkdown("```\nx\n```");
    const block = new DOMParser().parseFromString(out, "text/html").querySelector("div.code-block");
    expect(block?.children[0]?.outerHTML).toMatch(/^<button [^>]*data-copy-code=""[^>]*>Copy<\/button>$/);
    expect(block?.children[1]?.tagName).toBe("PRE");
    // A button the model writes, even one copying ours, is removed.
    const forged = renderMarkdown('<button type="button" class="copy-code" data-copy-code="">Copy</button>');
    expect(forged).not.toContain("<button");
    expect(sanitize("<button data-copy-code>b</button><button>c</button>")).not.toContain("<button");
  });

  it("keeps hostile markdown and HTML inert", () => {
    const hostile = [
      "<button data-copy-code onclick=alert(1)>Claim credits</button>",
      '<svg><script>alert(1)</script></svg><math><mi xlink:href="javascript:x">m</mi></math>',
      "<style>body{display:none}</style><form><input name=p></form>",
      '<iframe srcdoc="<script>x</script>"></iframe><object data="x"></object>',
      '<img src=x onerror="alert(1)"><a href="javascript:alert(1)">j</a>',
      '<a href="data:text/html,<script>x</script>">d</a><div style="position:fixed">s</div>',
      "[link](  javascript:alert(1) ) ![img](https://evil.test/pixel.png)",
    ].join("\n\n");
    const out = renderMarkdown(hostile);
    for (const bad of [/<script/i, /<svg/i, /<math/i, /<style/i, /<form/i, /<input/i, /<iframe/i, /<object/i,
      /onerror|onclick/i, /javascript:/i, /data:text/i, /style=/i, /evil\.test/, /<button/i]) {
      expect(out).not.toMatch(bad);
    }
  });

  it("renders raw HTML in code as text", () => {
    const out = renderMarkdown("```html\n<script>alert(1)</script>\n```");
    expect(out).not.toContain("<script>");
    expect(out).toContain("&lt;");
  });
});

describe("block splitting", () => {
  it("splits top-level blocks that join back to the text", () => {
    const text = "# A\n\npara one\n\n```\ncode\n```\n\n- x\n- y\n";
    const blocks = splitBlocks(text);
    expect(blocks.join("")).toBe(text);
    expect(blocks).toHaveLength(4);
    expect(blocks[0]).toMatch(/^# A/);
  });

  it("renders settled blocks once while the tail grows", () => {
    const renderer = new BlockRenderer((s) => `<p>${s.trim()}</p>`);
    const parts = ["one\n\n", "two\n\n", "three\n\n", "four\n\n", "five"];
    let text = "";
    let last: ReturnType<BlockRenderer["update"]> = [];
    for (const part of parts) {
      // Several frames per part: a growing tail must not re-render old blocks.
      for (const ch of part) {
        text += ch;
        last = renderer.update(text);
      }
    }
    expect(last.map((b) => b.html)).toEqual(["<p>one</p>", "<p>two</p>", "<p>three</p>", "<p>four</p>", "<p>five</p>"]);
    const before = renderer.renders;
    const again = renderer.update(text + "!");
    // Only the last two (unsettled) blocks were rendered again.
    expect(renderer.renders - before).toBe(2);
    expect(again[0]).toBe(last[0]);
    expect(again[2]).toBe(last[2]);
  });

  it("starts over when the text is replaced", () => {
    const renderer = new BlockRenderer((s) => s.trim());
    renderer.update("a\n\nb\n\nc\n\nd");
    expect(renderer.update("x\n\ny").map((b) => b.html)).toEqual(["x", "y"]);
  });

  it("joins a list that grows across a blank line", () => {
    const renderer = new BlockRenderer(renderMarkdown);
    renderer.update("- a\n\n");
    const blocks = renderer.update("- a\n\n- b\n");
    expect(blocks).toHaveLength(1);
    expect(blocks[0].html).toContain("<li>");
  });
});
