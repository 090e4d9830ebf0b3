import { constants, PerformanceObserver, type PerformanceEntry } from 'node:perf_hooks';

/** What this thread's garbage collector did during a phase: its pauses, and how the heap grew. */
export interface GcUsage {
  /** Scavenges of the young generation. */
  minor: number;
  /** Mark-compact collections of the whole heap, and steps of its incremental marking. */
  major: number;
  /** Time this thread was paused for both, in ms (the collector's helper threads not included). */
  pausedMs: number;
  heapBeforeMb: number;
  heapAfterMb: number;
}

/**
 * Starts watching this thread's collections; the answer says what happened since. A phase whose
 * objects outlive a few scavenges promotes them, and the heap grows until a mark-compact, which
 * can land in a later phase: that is what the heap figures show.
 */
export function watchGc(): () => GcUsage {
  const entries: PerformanceEntry[] = [];
  const observer = new PerformanceObserver((list) => entries.push(...list.getEntries()));
  observer.observe({ entryTypes: ['gc'] });
  const heapBeforeMb = process.memoryUsage().heapUsed / 1e6;
  return () => {
    entries.push(...observer.takeRecords());
    observer.disconnect();
    const kind = (e: PerformanceEntry) => (e as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind ?? 0;
    const major = constants.NODE_PERFORMANCE_GC_MAJOR | constants.NODE_PERFORMANCE_GC_INCREMENTAL;
    return {
      minor: entries.filter((e) => kind(e) === constants.NODE_PERFORMANCE_GC_MINOR).length,
      major: entries.filter((e) => (kind(e) & major) !== 0).length,
      pausedMs: entries.reduce((ms, e) => ms + e.duration, 0),
      heapBeforeMb,
      heapAfterMb: process.memoryUsage().heapUsed / 1e6,
    };
  };
}
