// The extra module's side of threaded jobs (assembly/threads.ts): the core's job loop hands a task
// whose kind is EXTRA_KINDS or more to `task` on the thread that claimed it, through JS.
import { Spatial, spatialTask } from "./spatial-jobs";

/** Runs task `t` of a job of `kind` with the per-thread scratch of `slot`. */
export function task(kind: i32, t: i32, slot: i32): void {
  if (kind < Spatial.End) { spatialTask(kind, t, slot); return; }
  unreachable(); // (no other extra kind yet)
}
