/**
 * Waiting with a deadline: the bus's `close({ timeoutMs })`, a bridge whose server may be gone for
 * good, and an offloaded handler's `timeoutMs` in the worker (workers/dispatch.ts). The one race of
 * a promise against a timer: the timer is cleared as soon as the work settles, so it never keeps a
 * thread alive after that, and a rejection of the work is observed (never unhandled) even after the
 * deadline. A caller that needs the work's own outcome awaits it after a `true`.
 */

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
