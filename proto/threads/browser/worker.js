// Prototype only: a page's pool worker (here Atomics.wait is allowed).
onmessage = ({ data: { module, memory, control } }) => {
  const kernels = new WebAssembly.Instance(module, { env: { memory, o() {}, c() {}, r() {}, x() {} } }).exports;
  Atomics.store(control, 15, 1);
  let seen = 0;
  for (;;) {
    Atomics.wait(control, 0, seen);
    seen = Atomics.load(control, 0);
    const j = 2;
    kernels.gemmStrided(control[j], control[j + 1], control[j + 2], control[j + 3], control[j + 4], control[j + 5], control[j + 6], control[j + 7], control[j + 8], control[j + 9], control[j + 10]);
    Atomics.store(control, 1, seen);
  }
};
