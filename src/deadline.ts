/**
 * Waiting with a deadline: a bridge whose server may be gone for good, and an offloaded handler's
 * `timeoutMs` in the worker (workers/dispatch.ts); the bus's `close({ timeoutMs })` cuts what runs
 * with a timer of its own (emit-books.ts: a later close() may bring an earlier deadline). The one race of
 * a promise against a timer: the timer is cleared as soon as the work settles, so it never keeps a
 * thread alive after that, and a rejection of the work is observed (never unhandled) even after the
 * deadline. A caller that needs the work's own outcome awaits it after a `true`.
 */

/**
 * The longest a Node.js timer waits: 2^31 - 1 ms (about 24.8 days). A longer delay is not refused
 * by Node: it fires after 1 ms, with a warning. Every option that ends up in a timer is checked
 * against it.
 */
export const MAX_TIMER_MS = 2_147_483_647;
/** The rule MAX_TIMER_MS sets, for option errors. */
export const MAX_TIMER_RULE = `at most ${MAX_TIMER_MS} ms (about 24.8 days, the longest a timer waits)`;

/**
 * Waits for `work` (nothing to wait for when undefined), but no longer than `ms`: true when it settled in
 * time. Never rejects.
 */
export async function within(work: Promise<unknown> | undefined, ms: number): Promise<boolean> {
  if (work === undefined) return true;
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<boolean>((resolve) => {
    timer = setTimeout(resolve, ms, false);
  });
  try {
    return await Promise.race([work.then(settledInTime, settledInTime), expired]);
  } finally {
    clearTimeout(timer);
  }
}

function settledInTime(): boolean {
  return true;
}
