// Every scenario, in the order a full run prints them. One import per scenario file.
import "./matcher.js";
import "./dispatch.js";
import "./offload.js";
import "./stats-cost.js";
import "./latency.js";
import "./memory.js";
