/*
 * ek_kbench: throughput of the convolution kernels on the Conv2D / DepthwiseConv2D shapes of
 * firmware-models/digits_cnn and the MLPerf Tiny models (DS-CNN, MobileNetV1 0.25 VWW,
 * ResNet-8) and of a 256x256x256 int8 GEMM (a 1x1 conv over 256 pixels, and the fully
 * connected kernels with batch 256), __ref and SIMD side by side in one run; then the softmax
 * kernels (ek_kbench_softmax.inc, nanoseconds per call).
 *
 * Usage: ek_kbench [--min-seconds S] [--only MODEL]   (default 0.2 s per measurement; single
 * thread; --only keeps the rows whose model name contains MODEL)
 *
 * GOPS = 2 * multiply-accumulates / thread CPU seconds (best of 3 timed batches). x86 also prints the
 * int8 peak of one core, measured by timing independent vpmaddubsw / vpmaddwd chains, the
 * rate of the accumulate steps the tiles are built from (vpmaddwd + vpaddd for 4x16c2,
 * vpmaddubsw + vpmaddwd + vpaddd for 4x16c4), the 256^3 GEMM as a share of those, and a
 * "packed" column: the AVX2 4x16c2 tile over weights packed beforehand (ek_pconv.h, as
 * edgepack writes them), with "pk gain" = unpacked avx2 time / packed time, and for the
 * convolutions the 4x16c4 tile reads in place (1x1, ek_qs8_pconv2d_c4_fits) an "l3" column:
 * that tile over layout-3 weights (oc16_k4_sm8, read as stored, no per-call repack), with
 * "l3 gain" = the faster of the unpacked and layout-2 times / the layout-3 time (what edgepack
 * wrote before layout 3 against what it writes now).
 *
 * peak GOPS = 2 * MACs per instruction * instructions per second.
 */
#define _POSIX_C_SOURCE 199309L
#include "CEdgeKernels.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

typedef void (*qs8_conv_fn)(const ek_conv2d_shape *, const ek_qs8_requant_params *,
                            const int8_t *, const int8_t *, const int32_t *, int8_t *);
typedef void (*qs8_fc_fn)(const ek_fc_shape *, const ek_qs8_fc_params *, const int8_t *,
                          const int8_t *, const int32_t *, int8_t *);

typedef struct impl {
  const char *name;
  uint32_t level;
  qs8_conv_fn conv, dwconv;
  qs8_fc_fn fc;
} impl;

static const impl kImpls[] = {
    {"ref", 0, ek_qs8_conv2d_minmax_1x1__ref, ek_qs8_dwconv2d_minmax_1x1__ref,
     ek_qs8_fc_minmax_1x1__ref},
#if defined(__x86_64__)
    {"avx2", EK_CPU_LEVEL_AVX2, ek_qs8_conv2d_minmax_4x16c2__avx2,
     ek_qs8_dwconv2d_minmax_1x16__avx2, ek_qs8_fc_minmax_1x8c16__avx2},
#endif
#if defined(__aarch64__)
    {"neon", EK_CPU_LEVEL_NEON, ek_qs8_conv2d_minmax_2x4c16__neon,
     ek_qs8_dwconv2d_minmax_1x16__neon, ek_qs8_fc_minmax_1x4c16__neon},
    {"neondot", EK_CPU_LEVEL_NEONDOT, ek_qs8_conv2d_minmax_4x4c16__neondot,
     ek_qs8_dwconv2d_minmax_1x16__neon, ek_qs8_fc_minmax_1x4c16__neondot},
    {"neoni8mm", EK_CPU_LEVEL_NEONI8MM, ek_qs8_conv2d_minmax_4x8c16__neoni8mm,
     ek_qs8_dwconv2d_minmax_1x16__neon, ek_qs8_fc_minmax_2x4c16__neoni8mm},
#endif
};
enum { IMPLS = sizeof(kImpls) / sizeof(kImpls[0]) };

typedef struct bench_shape {
  const char *model, *layer;
  int depthwise;
  int in_h, in_w, in_c, out_c, kh, kw, stride, pt, pl, pb, pr;
} bench_shape;

/* TensorFlow SAME padding spelled out (stride 2 pads bottom/right only where needed). */
static const bench_shape kShapes[] = {
    {"digits_cnn", "conv1 3x3 1->8", 0, 8, 8, 1, 8, 3, 3, 1, 1, 1, 1, 1},
    {"digits_cnn", "dw1 3x3 x8", 1, 8, 8, 8, 8, 3, 3, 1, 1, 1, 1, 1},
    {"digits_cnn", "pw1 1x1 8->16", 0, 8, 8, 8, 16, 1, 1, 1, 0, 0, 0, 0},
    {"digits_cnn", "conv2 3x3 16->16", 0, 4, 4, 16, 16, 3, 3, 1, 1, 1, 1, 1},
    {"ds-cnn", "conv1 10x4/2 1->64", 0, 49, 10, 1, 64, 10, 4, 2, 4, 1, 5, 1},
    {"ds-cnn", "dw 3x3 x64", 1, 25, 5, 64, 64, 3, 3, 1, 1, 1, 1, 1},
    {"ds-cnn", "pw 1x1 64->64", 0, 25, 5, 64, 64, 1, 1, 1, 0, 0, 0, 0},
    {"mobilenet-vww", "conv1 3x3/2 3->8", 0, 96, 96, 3, 8, 3, 3, 2, 0, 0, 1, 1},
    {"mobilenet-vww", "dw 3x3 x8 @48", 1, 48, 48, 8, 8, 3, 3, 1, 1, 1, 1, 1},
    {"mobilenet-vww", "pw 1x1 8->16 @48", 0, 48, 48, 8, 16, 1, 1, 1, 0, 0, 0, 0},
    {"mobilenet-vww", "dw 3x3/2 x16 @48", 1, 48, 48, 16, 16, 3, 3, 2, 0, 0, 1, 1},
    {"mobilenet-vww", "pw 1x1 16->32 @24", 0, 24, 24, 16, 32, 1, 1, 1, 0, 0, 0, 0},
    {"mobilenet-vww", "pw 1x1 32->32 @24", 0, 24, 24, 32, 32, 1, 1, 1, 0, 0, 0, 0},
    {"mobilenet-vww", "pw 1x1 32->64 @12", 0, 12, 12, 32, 64, 1, 1, 1, 0, 0, 0, 0},
    {"mobilenet-vww", "pw 1x1 64->64 @12", 0, 12, 12, 64, 64, 1, 1, 1, 0, 0, 0, 0},
    {"mobilenet-vww", "dw 3x3 x64 @12", 1, 12, 12, 64, 64, 3, 3, 1, 1, 1, 1, 1},
    {"mobilenet-vww", "pw 1x1 128->128 @6", 0, 6, 6, 128, 128, 1, 1, 1, 0, 0, 0, 0},
    {"mobilenet-vww", "pw 1x1 64->128 @6", 0, 6, 6, 64, 128, 1, 1, 1, 0, 0, 0, 0},
    {"mobilenet-vww", "pw 1x1 128->256 @3", 0, 3, 3, 128, 256, 1, 1, 1, 0, 0, 0, 0},
    {"mobilenet-vww", "pw 1x1 256->256 @3", 0, 3, 3, 256, 256, 1, 1, 1, 0, 0, 0, 0},
    {"str_ww", "dw 3x1 x40 @30", 1, 30, 1, 40, 40, 3, 1, 1, 0, 0, 0, 0},
    {"str_ww", "pw 1x1 40->128 @28", 0, 28, 1, 40, 128, 1, 1, 1, 0, 0, 0, 0},
    {"str_ww", "dw 5x1 x128 @28", 1, 28, 1, 128, 128, 5, 1, 1, 0, 0, 0, 0},
    {"str_ww", "pw 1x1 128->128 @24", 0, 24, 1, 128, 128, 1, 1, 1, 0, 0, 0, 0},
    {"str_ww", "dw 10x1 x128 @24", 1, 24, 1, 128, 128, 10, 1, 1, 0, 0, 0, 0},
    {"str_ww", "pw 1x1 128->128 @15", 0, 15, 1, 128, 128, 1, 1, 1, 0, 0, 0, 0},
    {"str_ww", "dw 15x1 x128 @15", 1, 15, 1, 128, 128, 15, 1, 1, 0, 0, 0, 0},
    {"str_ww", "pw 1x1 128->32 @1", 0, 1, 1, 128, 32, 1, 1, 1, 0, 0, 0, 0},
    {"resnet-8", "conv 3x3 3->16 @32", 0, 32, 32, 3, 16, 3, 3, 1, 1, 1, 1, 1},
    {"resnet-8", "conv 3x3 16->16 @32", 0, 32, 32, 16, 16, 3, 3, 1, 1, 1, 1, 1},
    {"resnet-8", "conv 3x3/2 16->32 @32", 0, 32, 32, 16, 32, 3, 3, 2, 0, 0, 1, 1},
    {"resnet-8", "shortcut 1x1/2 16->32 @32", 0, 32, 32, 16, 32, 1, 1, 2, 0, 0, 0, 0},
    {"resnet-8", "conv 3x3 32->32 @16", 0, 16, 16, 32, 32, 3, 3, 1, 1, 1, 1, 1},
    {"resnet-8", "shortcut 1x1/2 32->64 @16", 0, 16, 16, 32, 64, 1, 1, 2, 0, 0, 0, 0},
    {"resnet-8", "conv 3x3 64->64 @8", 0, 8, 8, 64, 64, 3, 3, 1, 1, 1, 1, 1},
    {"gemm", "256x256x256 as 1x1 conv", 0, 16, 16, 256, 256, 1, 1, 1, 0, 0, 0, 0},
};

/* This thread's CPU time, not wall time: the machine may be shared, and time spent
 * descheduled must not count against a kernel. */
static double now_s(void) {
  struct timespec t;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static double min_seconds = 0.2;
/* --only: the rows of the models whose name contains this text (NULL: all). */
static const char *only = NULL;

static int wanted(const char *model) { return only == NULL || strstr(model, only) != NULL; }

/* Seconds per call: best of 3 batches, each at least min_seconds / 3 long. */
#define TIME_CALLS(seconds, call)                                        \
  do {                                                                   \
    long reps = 1;                                                       \
    for (;;) {                                                           \
      const double t0 = now_s();                                         \
      for (long r_ = 0; r_ < reps; ++r_) { call; }                       \
      if (now_s() - t0 >= min_seconds / 3 || reps > (1L << 40)) break;   \
      reps *= 2;                                                         \
    }                                                                    \
    double best_ = 1e30;                                                 \
    for (int b_ = 0; b_ < 3; ++b_) {                                     \
      const double t0 = now_s();                                         \
      for (long r_ = 0; r_ < reps; ++r_) { call; }                       \
      const double dt = (now_s() - t0) / (double)reps;                   \
      best_ = dt < best_ ? dt : best_;                                   \
    }                                                                    \
    (seconds) = best_;                                                   \
  } while (0)

static void *filled(size_t bytes, unsigned seed) {
  uint8_t *p = aligned_alloc(64, (bytes + EK_EXTRA_BYTES + 63) / 64 * 64);
  if (p == NULL) {
    perror("ek_kbench");
    exit(2);
  }
  for (size_t i = 0; i < bytes + EK_EXTRA_BYTES; ++i) {
    seed = seed * 1103515245u + 12345u;
    p[i] = (uint8_t)(seed >> 16);
  }
  return p;
}

#if defined(__x86_64__)
/* Updates per second of `chains` independent chains x[i] = update, i < chains, over twelve
 * registers x[0..12) that start at init (i in scope) and that the empty asm keeps opaque, so
 * nothing is hoisted. b = 1 bytes, ones = 1 words. */
#define CHAIN_LOOP(name, chains, init, update)                                                \
  EK_TARGET("avx2") static double name(void) {                                                \
    __m256i x[12];                                                                            \
    for (int i = 0; i < 12; ++i) x[i] = (init);                                               \
    const __m256i b = _mm256_set1_epi8(1), ones = _mm256_set1_epi16(1);                       \
    const long iters = 20000000;                                                              \
    const double t0 = now_s();                                                                \
    for (long n = 0; n < iters; ++n) {                                                        \
      for (int i = 0; i < (chains); ++i) x[i] = (update);                                     \
      __asm__ volatile("" : "+x"(x[0]), "+x"(x[1]), "+x"(x[2]), "+x"(x[3]), "+x"(x[4]),        \
                       "+x"(x[5]), "+x"(x[6]), "+x"(x[7]), "+x"(x[8]), "+x"(x[9]), "+x"(x[10]), \
                       "+x"(x[11]));                                                          \
    }                                                                                         \
    const double dt = now_s() - t0;                                                           \
    (void)b, (void)ones;                                                                      \
    return (double)(chains) * (double)iters / dt;                                             \
  }

/* Instructions per second of 12 independent chains of one instruction (throughput bound). */
CHAIN_LOOP(maddubs_per_second, 12, _mm256_set1_epi8((char)(i + 1)), _mm256_maddubs_epi16(x[i], b))
CHAIN_LOOP(maddwd_per_second, 12, _mm256_set1_epi8((char)(i + 1)), _mm256_madd_epi16(x[i], b))

/* Accumulate steps per second of 6 independent chains x[i] += step(x[i + 6]) (the operand
 * varies per chain and iteration, so nothing is hoisted): the 4x16c2 step is vpmaddwd +
 * vpaddd (16 MACs), the 4x16c4 step vpmaddubsw + vpmaddwd with ones + vpaddd (32 MACs). On
 * cores whose vpaddd competes with the multipliers for issue ports these run below the
 * single-instruction peaks. */
#define STEP_INIT (i < 6 ? _mm256_setzero_si256() : _mm256_set1_epi8((char)(3 * (i - 6) + 1)))
CHAIN_LOOP(c2_steps_per_second, 6, STEP_INIT, _mm256_add_epi32(x[i], _mm256_madd_epi16(x[i + 6], b)))
CHAIN_LOOP(c4_steps_per_second, 6, STEP_INIT,
           _mm256_add_epi32(x[i], _mm256_madd_epi16(_mm256_maddubs_epi16(x[i + 6], b), ones)))
#endif

#include "ek_kbench_softmax.inc"

int main(int argc, char **argv) {
  double gemm_conv = 0, gemm_fc = 0, gemm_l3 = 0; /* SIMD GOPS of the 256^3 GEMM rows */
  for (int i = 1; i < argc; ++i) {
    if (strcmp(argv[i], "--min-seconds") == 0 && i + 1 < argc) {
      min_seconds = atof(argv[++i]);
    } else if (strcmp(argv[i], "--only") == 0 && i + 1 < argc) {
      only = argv[++i];
    } else {
      fprintf(stderr, "usage: %s [--min-seconds S] [--only MODEL]\n", argv[0]);
      return 2;
    }
  }
  const uint32_t features = ek_cpu_features();
  printf("int8 kernels, one thread, GOPS = 2 x MACs / s (best of 3); ratio = ref time / SIMD time\n");
  printf("%-14s %-26s %9s", "model", "layer", "MMAC");
  for (int i = 0; i < IMPLS; ++i) {
    if ((features & kImpls[i].level) == kImpls[i].level) printf(" %9s", kImpls[i].name);
  }
  printf(" %7s", "ratio");
#if defined(__x86_64__)
  if (features & EK_CPU_LEVEL_AVX2) {
    printf(" %9s %7s %11s %9s %7s", "packed", "pk gain", "packed time", "l3", "l3 gain");
  }
#endif
  printf("\n");
  for (size_t si = 0; si < sizeof(kShapes) / sizeof(kShapes[0]); ++si) {
    const bench_shape *b = &kShapes[si];
    if (!wanted(b->model)) continue;
    const int eh = b->kh, ew = b->kw;
    ek_conv2d_shape s = {1, b->in_h, b->in_w, b->in_c,
                         (b->in_h + b->pt + b->pb - eh) / b->stride + 1,
                         (b->in_w + b->pl + b->pr - ew) / b->stride + 1, b->out_c, b->kh, b->kw,
                         b->stride, b->stride, 1, 1, b->pt, b->pl, 1};
    const size_t per_oc = (size_t)b->kh * b->kw * (b->depthwise ? 1 : (size_t)b->in_c);
    const double macs = (double)s.out_h * s.out_w * s.out_c * (double)per_oc;
    int8_t *x = filled((size_t)s.in_h * s.in_w * s.in_c, 1);
    int8_t *w = filled((size_t)s.out_c * per_oc, 2);
    int32_t *bias = filled((size_t)s.out_c * 4, 3);
    int32_t *mult = malloc((size_t)s.out_c * 4), *shift = malloc((size_t)s.out_c * 4);
    for (int c = 0; c < s.out_c; ++c) {
      bias[c] %= 1 << 16;
      ek_quantize_multiplier(1.0 / (double)(per_oc * 64 + c), &mult[c], &shift[c]);
    }
    int8_t *y = filled((size_t)s.out_h * s.out_w * s.out_c, 4);
    ek_qs8_requant_params p = {3, -5, -128, 127, mult, shift};
    printf("%-14s %-26s %9.3f", b->model, b->layer, macs * 1e-6);
    double ref_s = 0, last_s = 0;
    for (int i = 0; i < IMPLS; ++i) {
      const impl *im = &kImpls[i];
      if ((features & im->level) != im->level) continue;
      const qs8_conv_fn f = b->depthwise ? im->dwconv : im->conv;
      double sec;
      TIME_CALLS(sec, f(&s, &p, x, w, bias, y));
      if (i == 0) ref_s = sec;
      last_s = sec;
      printf(" %9.2f", 2.0 * macs / sec * 1e-9);
    }
    if (strcmp(b->model, "gemm") == 0) gemm_conv = 2.0 * macs / last_s * 1e-9;
    printf(" %6.1fx", ref_s / last_s);
#if defined(__x86_64__)
    if ((features & EK_CPU_LEVEL_AVX2) && !b->depthwise) {
      const size_t k = per_oc, n = (size_t)s.out_c;
      int8_t *packed = filled(ek_qs8_pconv2d_packed_bytes(n, k), 9);
      ek_qs8_pconv2d_pack(n, k, w, bias, p.input_zero_point, packed);
      const int32_t *folded = (const int32_t *)(void *)(packed + ek_qs8_pconv2d_bias_offset(n, k));
      double sec;
      TIME_CALLS(sec, ek_qs8_pconv2d_minmax_4x16c2__avx2(&s, &p, x, packed, folded, y));
      printf(" %9.2f %6.2fx %8.3f us", 2.0 * macs / sec * 1e-9, last_s / sec, sec * 1e6);
      free(packed);
      if (ek_qs8_pconv2d_c4_fits(&s)) {
        const double before = sec < last_s ? sec : last_s;
        int8_t *l3 = filled(ek_qs8_pconv2d_c4_packed_bytes(n, k), 10);
        ek_qs8_pconv2d_c4_pack(n, k, w, bias, p.input_zero_point, l3);
        const int32_t *l3_bias = (const int32_t *)(void *)(l3 + ek_qs8_pconv2d_c4_bias_offset(n, k));
        TIME_CALLS(sec, ek_qs8_pconv2d_minmax_4x16c4__avx2(&s, &p, x, l3, l3_bias, y));
        printf(" %9.2f %6.2fx", 2.0 * macs / sec * 1e-9, before / sec);
        if (strcmp(b->model, "gemm") == 0) gemm_l3 = 2.0 * macs / sec * 1e-9;
        free(l3);
      }
    }
#endif
    printf("\n");
    free(x), free(w), free(bias), free(mult), free(shift), free(y);
  }
  /* The same GEMM through the fully connected kernels: batch 256 x 256 features -> 256. */
  if (wanted("gemm")) {
    const ek_fc_shape s = {256, 256, 256};
    int8_t *x = filled(256 * 256, 5), *w = filled(256 * 256, 6), *y = filled(256 * 256, 7);
    int32_t *bias = filled(256 * 4, 8);
    double scale[256];
    for (int c = 0; c < 256; ++c) scale[c] = 1.0 / (256.0 * 64.0);
    const ek_qs8_fc_params p = {3, -5, -128, 127, scale};
    const double macs = 256.0 * 256.0 * 256.0;
    printf("%-14s %-26s %9.3f", "gemm", "256x256x256 as fc", macs * 1e-6);
    double ref_s = 0, last_s = 0;
    for (int i = 0; i < IMPLS; ++i) {
      const impl *im = &kImpls[i];
      if ((features & im->level) != im->level) continue;
      double sec;
      TIME_CALLS(sec, im->fc(&s, &p, x, w, bias, y));
      if (i == 0) ref_s = sec;
      last_s = sec;
      printf(" %9.2f", 2.0 * macs / sec * 1e-9);
    }
    gemm_fc = 2.0 * macs / last_s * 1e-9;
    printf(" %6.1fx\n", ref_s / last_s);
    free(x), free(w), free(y), free(bias);
  }
  /* Batch-1 fully connected layers of the MLPerf Tiny anomaly-detection autoencoder (ad01). */
  static const int kFC[][2] = {{640, 128}, {128, 128}, {128, 8}, {8, 128}, {128, 640}};
  for (size_t fi = 0; wanted("ad01") && fi < sizeof(kFC) / sizeof(kFC[0]); ++fi) {
    const ek_fc_shape s = {1, kFC[fi][0], kFC[fi][1]};
    int8_t *x = filled((size_t)s.in_features, 5), *y = filled((size_t)s.out_features, 7);
    int8_t *w = filled((size_t)s.in_features * (size_t)s.out_features, 6);
    int32_t *bias = filled((size_t)s.out_features * 4, 8);
    double *scale = malloc((size_t)s.out_features * sizeof(double));
    for (int c = 0; c < s.out_features; ++c) scale[c] = 1.0 / ((double)s.in_features * 64.0);
    const ek_qs8_fc_params p = {3, -5, -128, 127, scale};
    const double macs = (double)s.in_features * s.out_features;
    char layer[32];
    snprintf(layer, sizeof(layer), "fc %d->%d batch 1", s.in_features, s.out_features);
    printf("%-14s %-26s %9.3f", "ad01", layer, macs * 1e-6);
    double ref_s = 0, last_s = 0;
    for (int i = 0; i < IMPLS; ++i) {
      const impl *im = &kImpls[i];
      if ((features & im->level) != im->level) continue;
      double sec;
      TIME_CALLS(sec, im->fc(&s, &p, x, w, bias, y));
      if (i == 0) ref_s = sec;
      last_s = sec;
      printf(" %9.2f", 2.0 * macs / sec * 1e-9);
    }
    printf(" %6.1fx %8.3f us\n", ref_s / last_s, last_s * 1e6);
    free(x), free(w), free(y), free(bias), free(scale);
  }
  bench_softmax(features);
#if defined(__x86_64__)
  if ((features & EK_CPU_LEVEL_AVX2) && only == NULL) {
    const double ubs = maddubs_per_second(), wd = maddwd_per_second();
    printf("\nAVX2 int8 peak of one core, measured (independent chains, no loads):\n");
    printf("  vpmaddubsw (u8 x s8, 32 MACs/instr): %.2f G instr/s -> peak = 2 x 32 x %.2f G = %.1f GOPS\n",
           ubs * 1e-9, ubs * 1e-9, 64.0 * ubs * 1e-9);
    printf("  vpmaddwd  (s16 x s16, 16 MACs/instr): %.2f G instr/s -> peak = 2 x 16 x %.2f G = %.1f GOPS\n",
           wd * 1e-9, wd * 1e-9, 32.0 * wd * 1e-9);
    const double c2 = c2_steps_per_second(), c4 = c4_steps_per_second();
    printf("Accumulate steps of the tiles, measured the same way:\n");
    printf("  4x16c2 (vpmaddwd + vpaddd, 16 MACs): %.2f G/s = %.1f GOPS (%.0f%% of the vpmaddwd peak)\n",
           c2 * 1e-9, 32.0 * c2 * 1e-9, 100.0 * c2 / wd);
    printf("  4x16c4 (vpmaddubsw + vpmaddwd + vpaddd, 32 MACs; 1x1 conv without padding, fc batch >= 16): "
           "%.2f G/s = %.1f GOPS\n", c4 * 1e-9, 64.0 * c4 * 1e-9);
    if (gemm_conv > 0 && gemm_fc > 0) {
      printf("256x256x256 GEMM (4x16c4 tile): as 1x1 conv %.1f GOPS = %.0f%% of the vpmaddwd peak (%.0f%% of "
             "vpmaddubsw); as fc %.1f GOPS = %.0f%% (%.0f%%)\n",
             gemm_conv, 100.0 * gemm_conv / (32.0 * wd * 1e-9), 100.0 * gemm_conv / (64.0 * ubs * 1e-9),
             gemm_fc, 100.0 * gemm_fc / (32.0 * wd * 1e-9), 100.0 * gemm_fc / (64.0 * ubs * 1e-9));
    }
    if (gemm_l3 > 0) {
      printf("256x256x256 GEMM as 1x1 conv over layout 3 (4x16c4, no repack): %.1f GOPS = %.0f%% of the "
             "vpmaddwd peak (%.0f%% of vpmaddubsw)\n",
             gemm_l3, 100.0 * gemm_l3 / (32.0 * wd * 1e-9), 100.0 * gemm_l3 / (64.0 * ubs * 1e-9));
    }
  }
#endif
  return 0;
}
