/**
 * Time for the schedule engine, injectable so tests run on fake time. `setTimer` returns a
 * cancel function. The engine never trusts one long timer: it caps every wait and re-plans
 * from `now()` on each wake, so a wall-clock jump (NTP step, suspend) costs at most one cap.
 */
export interface Clock {
  now(): number;
  setTimer(fn: () => void, ms: number): () => void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimer(fn, ms) {
    const timer = setTimeout(fn, ms);
    return () => clearTimeout(timer);
  },
};
