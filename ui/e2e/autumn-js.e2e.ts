// The mock Autumn server checked by a real client: the official `autumn-js`
// SDK (pinned to 0.1.85, whose server client speaks the legacy REST routes
// with `x-api-version: 1.2`) talks to `target/debug/mock-autumn`.
// Build the mock first: `cargo build -p banter-mocks`.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { Autumn } from "autumn-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const here = fileURLToPath(new URL(".", import.meta.url));
// Where the Makefile's build put it: cargo's CARGO_TARGET_DIR, else target/.
const binary = resolve(process.env.CARGO_TARGET_DIR ?? resolve(here, "../../target"), "debug/mock-autumn");
const SECRET = "am_sk_test_sdk_check";

let child: ChildProcess | undefined;
let base = "";

/** Starts the mock on a free port and resolves with its base URL. */
function startMock(): Promise<string> {
  if (!existsSync(binary)) {
    throw new Error(`mock Autumn binary missing at ${binary}; build it with \`cargo build -p banter-mocks\``);
  }
  const proc = spawn(binary, ["--port", "0", "--secret-key", SECRET], { stdio: ["ignore", "pipe", "inherit"] });
  child = proc;
  return new Promise((ok, fail) => {
    const timer = setTimeout(() => fail(new Error("mock-autumn did not print its address within 10 s")), 10_000);
    proc.once("error", (e) => fail(e));
    proc.once("exit", (code) => fail(new Error(`mock-autumn exited early (code ${code})`)));
    createInterface({ input: proc.stdout! }).on("line", (line) => {
      const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(line);
      if (m) {
        clearTimeout(timer);
        ok(m[1]);
      }
    });
  });
}

function client(secretKey = SECRET) {
  // autumn-js logs every error response; keep the test output quiet.
  return new Autumn({ secretKey, url: `${base}/v1`, logLevel: "fatal" });
}

async function setPro(customerId: string, active: boolean) {
  const res = await fetch(`${base}/__mock/pro`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ customer_id: customerId, active }),
  });
  expect(res.ok).toBe(true);
}

beforeAll(async () => {
  base = await startMock();
});

afterAll(() => {
  child?.kill();
});

describe("autumn-js 0.1.85 against mock-autumn", () => {
  it("gets or creates a customer, idempotently", async () => {
    const autumn = client();
    const first = await autumn.customers.create({ id: "user_sdk_1", name: "Ada", email: "ada@example.com" });
    expect(first.error).toBeNull();
    expect(first.data).toMatchObject({ id: "user_sdk_1", name: "Ada", email: "ada@example.com", env: "sandbox", products: [] });
    const again = await autumn.customers.create({ id: "user_sdk_1" });
    expect(again.error).toBeNull();
    expect(again.data?.created_at).toBe(first.data?.created_at);
    const got = await autumn.customers.get("user_sdk_1");
    expect(got.error).toBeNull();
    expect(got.data?.id).toBe("user_sdk_1");
  });

  it("checks out credits_500, pays, and sees the paid invoice", async () => {
    const autumn = client();
    await autumn.customers.create({ id: "user_sdk_2" });
    const co = await autumn.checkout({
      customer_id: "user_sdk_2",
      product_id: "credits_500",
      success_url: "banter://purchase/complete",
    });
    expect(co.error).toBeNull();
    const url = co.data?.url ?? "";
    expect(url.startsWith(`${base}/pay/`)).toBe(true);

    const page = await fetch(url);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain("500 credits");
    const paid = await fetch(url, { method: "POST", redirect: "manual" });
    expect(paid.status).toBeGreaterThanOrEqual(300);
    expect(paid.status).toBeLessThan(400);
    expect(paid.headers.get("location")).toBe("banter://purchase/complete");

    // The mock runs with no payment lag by default, but the invoice is
    // recorded on a task: poll briefly.
    let invoices: Array<{ stripe_id: string; status: string; product_ids: string[] }> = [];
    for (let i = 0; i < 50 && invoices.length === 0; i++) {
      const customer = await autumn.customers.get("user_sdk_2", { expand: ["invoices"] });
      expect(customer.error).toBeNull();
      invoices = (customer.data?.invoices ?? []) as typeof invoices;
      if (invoices.length === 0) await new Promise((r) => setTimeout(r, 50));
    }
    expect(invoices).toHaveLength(1);
    expect(invoices[0]).toMatchObject({ status: "paid", product_ids: ["credits_500"] });
    expect(invoices[0].stripe_id).toMatch(/^in_/);

    // Without expand, no invoices.
    const plain = await autumn.customers.get("user_sdk_2");
    expect((plain.data as { invoices?: unknown } | null)?.invoices).toBeUndefined();
  });

  it("check: Pro is not allowed until the subscription is active", async () => {
    const autumn = client();
    await autumn.customers.create({ id: "user_sdk_3" });
    const before = await autumn.check({ customer_id: "user_sdk_3", product_id: "pro" });
    expect(before.error).toBeNull();
    expect(before.data).toMatchObject({ allowed: false, customer_id: "user_sdk_3", product_id: "pro" });
    const creditsBefore = await autumn.check({ customer_id: "user_sdk_3", feature_id: "credits" });
    expect(creditsBefore.error).toBeNull();
    expect(creditsBefore.data).toMatchObject({ customer_id: "user_sdk_3", feature_id: "credits", unlimited: false });

    await setPro("user_sdk_3", true);
    const after = await autumn.check({ customer_id: "user_sdk_3", product_id: "pro" });
    expect(after.error).toBeNull();
    expect(after.data).toMatchObject({ allowed: true, customer_id: "user_sdk_3", product_id: "pro", status: "active" });
    const credits = await autumn.check({ customer_id: "user_sdk_3", feature_id: "credits" });
    expect(credits.data).toMatchObject({ allowed: true, feature_id: "credits", unlimited: true });

    await setPro("user_sdk_3", false);
    const lapsed = await autumn.check({ customer_id: "user_sdk_3", product_id: "pro" });
    expect(lapsed.data?.allowed).toBe(false);
  });

  it("errors come back as AutumnError with Autumn's codes", async () => {
    const wrongKey = await client("am_sk_test_wrong").customers.get("user_sdk_1");
    expect(wrongKey.data).toBeNull();
    expect(wrongKey.error?.code).toBe("invalid_secret_key");
    expect(wrongKey.statusCode).toBe(401);

    const missing = await client().customers.get("nobody");
    expect(missing.error?.code).toBe("customer_not_found");
    expect(missing.statusCode).toBe(404);

    const noProduct = await client().checkout({ customer_id: "user_sdk_1", product_id: "gold_bars" });
    expect(noProduct.error?.code).toBe("product_not_found");

    const badVersion = await new Autumn({ secretKey: SECRET, url: `${base}/v1`, version: "2.3.0", logLevel: "fatal" }).customers.get(
      "user_sdk_1",
    );
    expect(badVersion.error?.code).toBe("invalid_api_version");

    // A route the mock does not serve still answers Autumn's JSON error body
    // (autumn-js parses every error body as JSON and threw on an empty 404).
    const unserved = await client().track({ customer_id: "user_sdk_1", feature_id: "credits" });
    expect(unserved.statusCode).toBe(404);
    expect(unserved.error?.code).toBe("not_found");
  });
});
