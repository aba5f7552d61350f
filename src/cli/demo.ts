/**
 * `npm start`: the main job, a bounded demo of the bus under load (see demo-command.ts).
 */
import { endQuietlyOnClosedPipe } from "./closed-pipe.js";
import { demoMain } from "./demo-command.js";

endQuietlyOnClosedPipe();
process.exitCode = await demoMain(process.argv.slice(2));
