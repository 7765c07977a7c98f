/*
 * ek_size.h: reference kernels compiled for size on aarch64.
 *
 * On aarch64 several __ref kernels are also the kernel the op ships with (elementwise and
 * unary ops, average pooling, mean, softmax, copies, requantization set-up): no NEON twin
 * exists. LTO inlines most of them into the Swift dispatch, and at -O2 their vectorized and
 * unrolled loops were about 9 KB of the static edgerun. A file brackets those kernels with
 * EK_SIZE_BEGIN / EK_SIZE_END, which gives every function in between clang's `minsize`
 * attribute (the -Oz pipeline for that function only) on aarch64. Kernels that run on every
 * inference of common models (the quantize/dequantize conversions) stay outside.
 *
 * The attribute is in the source, so `make kernel-test` (host and aarch64 under qemu)
 * compiles and tests exactly the code that ships. Results do not change: these files do
 * not contract floating-point operations, and no optimization level reorders them.
 * The cost is speed on these ops only (scalar loops instead of unrolled vector ones); the
 * convolution, fully connected, depthwise and sparse kernels, where the time goes, keep
 * -O2 and their NEON versions. See toolchains/README.md for the measurements.
 *
 * The NEON softmax kernels (neon/ek_softmax__neon.c) are bracketed too: they run once per
 * inference on rows of a few classes, where their intrinsics pay and unrolled loops do not.
 *
 * The same bracket marks the __ref twins that no aarch64 level selects and no NEON kernel falls
 * back to (int8 and block-sparse fully connected, sparse 1x1 conv, the packed x86 layouts):
 * on a board they run only under EDGE_KERNELS=ref, so their size matters and their speed not.
 *
 * The dynamic-range (hybrid) convolution is bracketed as well, though it is the only kernel of
 * that mode (edgepack --dynamic): 3 % more instructions on a dynamic-range digits_cnn for about
 * 0.6 KB. The hybrid fully connected kernel is not: its vectorized dot product is where a
 * dynamic-range MLP spends its time (ad01 ran 5.7x the instructions under `minsize`).
 */
#ifndef EK_SIZE_H
#define EK_SIZE_H

#if defined(__clang__) && defined(__aarch64__)
#define EK_SIZE_BEGIN _Pragma("clang attribute push(__attribute__((minsize)), apply_to = function)")
#define EK_SIZE_END _Pragma("clang attribute pop")
#else
#define EK_SIZE_BEGIN
#define EK_SIZE_END
#endif

#endif
