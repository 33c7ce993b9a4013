// The parts of the Emscripten module of @echogarden/pffft-wasm that dsp/fft32.ts uses.
declare module '@echogarden/pffft-wasm/simd' {
  export interface PffftModule {
    HEAPF32: Float32Array;
    _pffft_new_setup(n: number, transform: number): number;
    _pffft_transform_ordered(setup: number, input: number, output: number, work: number, direction: number): void;
    _pffft_aligned_malloc(bytes: number): number;
  }
  const create: () => Promise<PffftModule>;
  export default create;
}
