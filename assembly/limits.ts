// Sizes both wasm modules and the kernels agree on.

/** Tensors have at most this many axes (shapes live in the tensor table's fixed-size entries). */
export const MAX_RANK = 8;
