// The public face of threads: how many kernels may use. The pool itself lives with the core
// (src/core.ts starts workers on the first job that can use them; assembly/threads.ts splits jobs).
import { useThreads, threads as threadsNow } from './core.js';
import { integer } from './ops.js';

/**
 * How many threads kernels may use: 1 = the calling thread only. By default, the machine's cores
 * where workers can share the core's memory. More than the runtime can give is capped there (1 on
 * Cloudflare Workers and on pages that are not cross-origin isolated). Results are the same bits for
 * any number of threads.
 * @example
 * ```ts
 * import { setThreads, threads, randomNormal, matmul } from 'gradtape';
 *
 * const a = randomNormal([512, 512], { seed: 1 });
 * setThreads(1);
 * const one = matmul(a, a).data();
 * setThreads(3);
 * threads(); // → 3
 * const three = matmul(a, a).data(); // large: its blocks of rows go to the workers as they come up
 * one.every((v, i) => Object.is(v, three[i])); // → true
 * ```
 */
export function setThreads(n: number): void {
  useThreads(integer('setThreads', 'n', n, 1));
}

/**
 * Threads kernels use now: setThreads' number, by default the machine's cores
 * (`os.availableParallelism()`, `navigator.hardwareConcurrency`), where `SharedArrayBuffer` and
 * workers exist (Node, Deno, Bun, cross-origin-isolated pages); 1 elsewhere. Workers start on the
 * first kernel large enough to share; until they are up, the calling thread does all the work.
 */
export function threads(): number {
  return threadsNow();
}
