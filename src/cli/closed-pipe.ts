/**
 * A reader that stops early (`neurobus bench | head`, `npm start | true`) closes the pipe under
 * stdout, and the next write fails with EPIPE: the command then ends quietly, with the status it
 * had so far, as Unix tools do, instead of dying on an unhandled 'error' with a stack trace.
 */
export function endQuietlyOnClosedPipe(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on("error", (err: NodeJS.ErrnoException) => {
      if (err.code !== "EPIPE") throw err;
      process.exit();
    });
  }
}
