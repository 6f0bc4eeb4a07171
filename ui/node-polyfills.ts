// Vitest 5's reporter calls Map.groupBy (Node 21+) when it prints a failure;
// on Node 20 the failure report itself crashes. Loaded by the config files
// (Node side only, never bundled into the app).
const MapCtor = Map as unknown as { groupBy?: unknown };
if (typeof MapCtor.groupBy !== "function") {
  MapCtor.groupBy = <K, V>(items: Iterable<V>, key: (item: V, index: number) => K): Map<K, V[]> => {
    const groups = new Map<K, V[]>();
    let i = 0;
    for (const item of items) {
      const k = key(item, i++);
      const group = groups.get(k);
      if (group) group.push(item);
      else groups.set(k, [item]);
    }
    return groups;
  };
}
export {};
