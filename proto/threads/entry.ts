// Prototype only (issue 25 facts): the core's exports plus the gemm kernel itself, so that worker
// threads instantiating this same module can each run gemmStrided on a band of output rows.
export * from "../../build/generated/core";
export { gemmStrided, gemmScratchBytes } from "../../assembly/kernels/gemm";
