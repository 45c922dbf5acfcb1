import { constants, PerformanceObserver, type PerformanceEntry } from 'node:perf_hooks';

/** What `watchMajorGcs` saw: V8's full collections and the ms of the event loop they took. */
export interface MajorGcs {
  count: number;
  ms: number;
}

/**
 * Counts V8's full (mark-compact) collections in this process from now until `stop()`. The
 * daemon in a storm of them (every 200–300 ms, 40–60 ms each) holds its frames and answers
 * late; a window's figures say whether it was in one.
 */
export function watchMajorGcs(): { stop(): Promise<MajorGcs> } {
  const seen: MajorGcs = { count: 0, ms: 0 };
  const add = (entries: PerformanceEntry[]) => {
    for (const entry of entries) {
      if ((entry as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind !== constants.NODE_PERFORMANCE_GC_MAJOR) continue;
      seen.count += 1;
      seen.ms += entry.duration;
    }
  };
  const observer = new PerformanceObserver((list) => add(list.getEntries()));
  observer.observe({ entryTypes: ['gc'] });
  return {
    stop: async () => {
      // Node reports a collection from a task after it; entries not yet delivered count too.
      await new Promise((resolve) => setImmediate(resolve));
      add(observer.takeRecords());
      observer.disconnect();
      return { count: seen.count, ms: Math.round(seen.ms) };
    },
  };
}
