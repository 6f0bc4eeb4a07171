// The offline chip's state: the core's `server_reachable` changes, a call
// refused with `offline` (a window that opened while offline heard no
// change), and a sign-in change forgetting what was known.
import { beforeEach, describe, expect, it } from "vitest";
import type { ApiError } from "../bindings";
import { connection } from "./connection.svelte";

const refusal = (code: ApiError["code"]): ApiError => ({ code, message: "m" }) as ApiError;

describe("connection", () => {
  beforeEach(() => connection.reset());

  it("follows the core's reachability events", () => {
    connection.onEvent({ type: "server_reachable", reachable: false });
    expect(connection.offline).toBe(true);
    connection.onEvent({ type: "credits_changed", remaining: 3, total: 100 });
    expect(connection.offline).toBe(true);
    connection.onEvent({ type: "server_reachable", reachable: true });
    expect(connection.offline).toBe(false);
  });

  it("learns it is offline from a refused call, and only from `offline`", () => {
    connection.sawError(refusal("insufficient_credits"));
    connection.sawError(null);
    expect(connection.offline).toBe(false);
    connection.sawError(refusal("offline"));
    expect(connection.offline).toBe(true);
  });

  it("forgets on a sign-in change", () => {
    connection.sawError(refusal("offline"));
    connection.reset();
    expect(connection.offline).toBe(false);
  });
});
