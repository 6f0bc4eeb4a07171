import { describe, expect, it } from "vitest";
import { lazy } from "./lazy";

describe("lazy", () => {
  it("imports once and hands every caller the module's default", async () => {
    let imports = 0;
    const load = lazy(async () => {
      imports += 1;
      return { default: "the screen" };
    });
    expect(imports).toBe(0);
    const [a, b] = await Promise.all([load(), load()]);
    expect([a, b, await load()]).toEqual(["the screen", "the screen", "the screen"]);
    expect(imports).toBe(1);
  });

  it("tries again after a failed import", async () => {
    let imports = 0;
    const load = lazy(async () => {
      imports += 1;
      if (imports === 1) throw new Error("chunk missing");
      return { default: "the screen" };
    });
    await expect(load()).rejects.toThrow("chunk missing");
    expect(await load()).toBe("the screen");
    expect(imports).toBe(2);
  });
});
