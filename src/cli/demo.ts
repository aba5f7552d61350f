/**
 * `npm start`: the main job, a bounded demo of the bus under load (see demo-command.ts).
 */
import { demoMain } from "./demo-command.js";

process.exitCode = await demoMain(process.argv.slice(2));
