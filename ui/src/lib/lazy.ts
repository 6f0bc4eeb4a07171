/**
 * A module loaded on first use, so the first screen's chunk does not carry
 * it (see "App start-up" in docs/benchmarks.md). The import runs once; every
 * later call gets the same promise. A failed import is not kept: the next
 * call tries again.
 */
export function lazy<T>(load: () => Promise<{ default: T }>): () => Promise<T> {
  let loaded: Promise<T> | undefined;
  return () =>
    (loaded ??= load().then(
      (module) => module.default,
      (error: unknown) => {
        loaded = undefined;
        throw error;
      },
    ));
}
