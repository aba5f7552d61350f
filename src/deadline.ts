/**
 * Waiting with a deadline, for the close paths: the bus's `close({ timeoutMs })` and a bridge
 * whose server may be gone for good.
 */

/** Waits for `work` (nothing to wait for when undefined), but no longer than `ms`: true when it settled in time. Never rejects. */
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
