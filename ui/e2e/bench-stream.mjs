// Frame-time benchmark (not a test): Chromium, the built UI and the fake
// core; a session with 1,000 messages loaded (all pages, by scrolling up),
// then a ~2,000-token reply (~8,000 chars) streamed in ~10-token deltas
// every 50 ms. Frame times are requestAnimationFrame deltas while it streams.
import { buildFake, launch, openApp, serveDist } from "./harness.mjs";

const PAIRS = 500;
const para = (i) =>
  `Point ${i}: the borrow checker makes sure references never outlive their data, and **lifetimes** name those spans.`;
const history = [];
for (let i = 0; i < PAIRS; i++) {
  history.push({ role: "user", content: `Question ${i}: how does ownership interact with closures?` });
  history.push({
    role: "assistant",
    content: `${para(i)}\n\n- moves\n- borrows\n\n\`\`\`rust\nlet s = String::from("x${i}");\nlet f = move || s.len();\n\`\`\``,
  });
}

function reply() {
  const parts = [];
  let n = 0;
  while (parts.join("").length < 8000) {
    n += 1;
    parts.push(`## Section ${n}\n\n${para(n)} ${para(n + 1)}\n\n`);
    parts.push(`1. first step of ${n}\n2. second step with \`code\`\n3. third step\n\n`);
    if (n % 3 === 0) parts.push("```ts\nfunction add(a: number, b: number): number {\n  return a + b;\n}\n```\n\n");
  }
  return parts.join("").slice(0, 8000);
}

const pct = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

const fakePath = await buildFake();
const server = await serveDist();
const browser = await launch();
try {
  const text = reply();
  const { page } = await openApp(browser, {
    url: server.url, fakePath, hash: "#/chat/1",
    seed: { sessions: [{ title: "Long conversation", messages: history }], chunk: 40, delayMs: 50, firstDelayMs: 100 },
  });
  await page.locator("[data-message-id]").first().waitFor();
  // Load every page by scrolling to the top, as a reader would.
  const loadStart = Date.now();
  for (let i = 0; i < 40; i++) {
    const count = await page.locator('[data-testid="message"]').count();
    if (count >= PAIRS * 2) break;
    await page.getByTestId("message-list").evaluate((el) => (el.scrollTop = 0));
    await page.waitForFunction((c) => document.querySelectorAll('[data-testid="message"]').length > c, count);
  }
  const loaded = await page.locator('[data-testid="message"]').count();
  const loadMs = Date.now() - loadStart;
  await page.getByTestId("message-list").evaluate((el) => (el.scrollTop = el.scrollHeight));

  await page.evaluate((t) => window.__fake.queueReply(t), text);
  await page.evaluate(() => {
    const rec = { deltas: [], last: 0, on: true, loaf: [] };
    window.__bench = rec;
    const tick = (t) => {
      if (rec.last) rec.deltas.push(t - rec.last);
      rec.last = t;
      if (rec.on) requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
    try {
      new PerformanceObserver((list) => {
        for (const e of list.getEntries()) rec.loaf.push(e.duration);
      }).observe({ type: "long-animation-frame", buffered: false });
    } catch {
      /* not supported */
    }
  });
  const started = Date.now();
  await page.getByTestId("composer-input").fill("Write a long explanation");
  await page.getByTestId("composer-input").press("Enter");
  await page.getByTestId("typing-indicator").waitFor();
  await page.getByTestId("typing-indicator").waitFor({ state: "detached", timeout: 120_000 });
  const totalMs = Date.now() - started;
  const rec = await page.evaluate(() => {
    window.__bench.on = false;
    return window.__bench;
  });
  const shown = await page.locator('[data-testid="message"].assistant').last().textContent();
  const frames = [...rec.deltas].sort((a, b) => a - b);
  const f = (x) => x.toFixed(1);
  console.log("bench:stream — Chromium (headless), built UI, fake core over mocked IPC");
  console.log(`messages loaded: ${loaded} (${PAIRS * 2} seeded; paging by scroll took ${loadMs} ms)`);
  console.log(`reply: ${text.length} chars in ${Math.ceil(text.length / 40)} deltas of 40 chars every 50 ms; shown ${shown?.length ?? 0} chars`);
  console.log(`frames: ${frames.length}; frame time p50 ${f(pct(frames, 50))} ms, p95 ${f(pct(frames, 95))} ms, max ${f(frames.at(-1))} ms`);
  console.log(`frames over 50 ms: ${frames.filter((x) => x > 50).length}; long animation frames: ${rec.loaf.length}${rec.loaf.length ? ` (max ${f(Math.max(...rec.loaf))} ms)` : ""}`);
  console.log(`total: ${totalMs} ms from Enter to the finished reply`);
} finally {
  await browser.close();
  await server.close();
}
