/*
 * ek_difftest: every optimized kernel against its __ref twin.
 *
 * Usage: ek_difftest [--seed N] [--expect-run LEVEL]... [--expect-skip LEVEL]...
 *   --expect-run/--expect-skip  fail unless ek_cpu_features() does (not) support LEVEL
 *                               (used under qemu, whose CPU models are known).
 *
 * Each kernel registered in kKernels (one line per kernel; the tile is read from its name)
 * is swept around its tile edges: batch 1..4 (1..2*MR+1 for MR >= 4), in_features 1..2*KR+1
 * (and 15..17, 31..33 for MR >= 4) and 1023, out_features
 * 1..NR+1 and 67, each size with random, extreme and "exact" data (DATA_*). int8
 * outputs must equal the reference's; float outputs must lie within the rounding bound
 * documented in ek_conv.h. Inputs end EK_EXTRA_BYTES before a PROT_NONE page (the padding
 * holds junk, NaN patterns included) and outputs end right at one, so an over-read beyond
 * the contract or any over-write crashes the test. A kernel the CPU cannot run is reported
 * "SKIP <name>: cpu lacks <level>". Exit status 1 on any failure; a crash is a failure too.
 */
#define _DEFAULT_SOURCE
#include "CEdgeKernels.h"
#include "ek_test_support.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* ---- registry: one line per optimized kernel ---- */

typedef void (*ek_qs8_fc_fn)(const ek_fc_shape *, const ek_qs8_fc_params *, const int8_t *,
                             const int8_t *, const int32_t *, int8_t *);
typedef void (*ek_f32_fc_fn)(const ek_fc_shape *, const float *, const float *, const float *,
                             float *, float, float);

typedef enum { KIND_QS8_FC, KIND_F32_FC, KIND_QS8_PFC } kernel_kind;

typedef struct kernel_entry {
  const char *name;
  kernel_kind kind;
  uint32_t level;
  void (*opt)(void);
  void (*ref)(void);
} kernel_entry;

#define QS8_FC(fn, level) \
  {#fn, KIND_QS8_FC, level, (void (*)(void))fn, (void (*)(void))ek_qs8_fc_minmax_1x1__ref}
/* Layout 6 (ek_pfc.h): the kernel reads the weights packed with ek_qs8_pfc_pack and must equal
 * the reference on the canonical weights. */
#define QS8_PFC(fn, level) \
  {#fn, KIND_QS8_PFC, level, (void (*)(void))fn, (void (*)(void))ek_qs8_fc_minmax_1x1__ref}
#define F32_FC(fn, level) \
  {#fn, KIND_F32_FC, level, (void (*)(void))fn, (void (*)(void))ek_f32_fc_minmax_1x1__ref}

static const kernel_entry kKernels[] = {
    QS8_PFC(ek_qs8_pfc_minmax_1x4c16__ref, 0),
#if defined(__x86_64__)
    QS8_FC(ek_qs8_fc_minmax_1x4c16__avx2, EK_CPU_LEVEL_AVX2),
    QS8_FC(ek_qs8_fc_minmax_1x8c16__avx2, EK_CPU_LEVEL_AVX2),
    QS8_FC(ek_qs8_fc_minmax_4x16c4__avx2, EK_CPU_LEVEL_AVX2),
    QS8_FC(ek_qs8_fc_minmax_1x4c64__avx512vnni, EK_CPU_LEVEL_AVX512VNNI),
    F32_FC(ek_f32_fc_minmax_1x4c8__avx2, EK_CPU_LEVEL_AVX2),
    F32_FC(ek_f32_fc_minmax_1x4c16__avx512vnni, EK_CPU_LEVEL_AVX512VNNI),
#endif
#if defined(__aarch64__)
    QS8_FC(ek_qs8_fc_minmax_1x4c16__neon, EK_CPU_LEVEL_NEON),
    QS8_FC(ek_qs8_fc_minmax_1x4c16__neondot, EK_CPU_LEVEL_NEONDOT),
    QS8_FC(ek_qs8_fc_minmax_2x4c16__neoni8mm, EK_CPU_LEVEL_NEONI8MM),
    QS8_PFC(ek_qs8_pfc_minmax_1x4c16__neon, EK_CPU_LEVEL_NEON),
    QS8_PFC(ek_qs8_pfc_minmax_1x4c16__neondot, EK_CPU_LEVEL_NEONDOT),
    F32_FC(ek_f32_fc_minmax_1x4c4__neon, EK_CPU_LEVEL_NEON),
#endif
};

static const struct {
  const char *name;
  uint32_t mask;
} kLevels[] = {
    {"avx2", EK_CPU_LEVEL_AVX2},
    {"avx512vnni", EK_CPU_LEVEL_AVX512VNNI},
    {"neon", EK_CPU_LEVEL_NEON},
    {"neondot", EK_CPU_LEVEL_NEONDOT},
    {"neoni8mm", EK_CPU_LEVEL_NEONI8MM},
};

/* ---- guarded buffers: `bytes` end `slack` bytes before the guard page; everything from
 * the mapping's start up to the guard is filled with junk first. ---- */

static void *guarded_place(const guarded *g, size_t bytes, size_t slack, uint64_t *rng) {
  uint8_t *p = g->base + g->usable - slack - bytes;
  for (uint8_t *q = p; q < g->base + g->usable; ++q) {
    *q = (uint8_t)rng_next(rng);
  }
  /* Some junk as float NaN and Inf, so a kernel that lets padding lanes through fails. */
  for (size_t i = 0; i + 4 <= slack; i += 8) {
    const uint32_t bits = (i & 8) ? 0x7FC00001u : 0x7F800000u;
    memcpy(p + bytes + i, &bits, 4);
  }
  return p;
}

/* ---- one case ---- */

/* 521: more than one 512-output chunk; batches up to 2 * MR + 1 for tiles of 4 rows or more. */
enum { MAX_BATCH = 9, MAX_K = 1023, MAX_N = 521 };

typedef struct buffers {
  guarded input, weights, bias, scale, out_ref, out_opt, packed;
} buffers;

typedef struct case_desc {
  uint64_t run_seed; /* the --seed of the run */
  uint64_t seed;     /* this case's data, derived from run_seed and the sizes */
  int batch, k, n;
  int data; /* DATA_* */
} case_desc;

/* Data patterns: random values; extremes (-128/127 inputs, +-127 and -128 weights, biases
 * near 2^30, zero points at the int8 ends); and "exact", small accumulators with scales near
 * one, where an accumulator off by one or a rounding tie (scale 0.5) changes the output. */
enum { DATA_RANDOM, DATA_EXTREME, DATA_EXACT, DATA_COUNT };
static const char *const kDataNames[DATA_COUNT] = {"random", "extreme", "exact"};

static void print_case(const char *name, const case_desc *c) {
  printf("FAIL %s: --seed %" PRIu64 ", case batch=%d in_features=%d out_features=%d data=%s"
          " (case seed %" PRIu64 ")\n",
          name, c->run_seed, c->batch, c->k, c->n, kDataNames[c->data], c->seed);
}

static int run_qs8_fc(const kernel_entry *e, const case_desc *c, buffers *buf) {
  uint64_t rng = c->seed;
  const size_t batch = (size_t)c->batch, k = (size_t)c->k, n = (size_t)c->n;
  int8_t *x = guarded_place(&buf->input, batch * k, EK_EXTRA_BYTES, &rng);
  int8_t *w = guarded_place(&buf->weights, n * k, EK_EXTRA_BYTES, &rng);
  int32_t *bias = guarded_place(&buf->bias, n * sizeof(int32_t), EK_EXTRA_BYTES, &rng);
  double *scale = guarded_place(&buf->scale, n * sizeof(double), EK_EXTRA_BYTES, &rng);
  int8_t *y_ref = guarded_place(&buf->out_ref, batch * n, 0, &rng);
  int8_t *y_opt = guarded_place(&buf->out_opt, batch * n, 0, &rng);

  const int extreme = c->data == DATA_EXTREME, exact = c->data == DATA_EXACT;
  ek_qs8_fc_params params;
  params.input_zero_point = extreme ? (rng_int(&rng, 0, 1) ? -128 : 127) : rng_int(&rng, -128, 127);
  params.output_zero_point = rng_int(&rng, -128, 127);
  params.output_min = rng_int(&rng, 0, 3) == 0 ? rng_int(&rng, -128, 0) : -128;
  params.output_max = rng_int(&rng, 0, 3) == 0 ? rng_int(&rng, params.output_min, 127) : 127;
  params.scale = scale;
  for (size_t i = 0; i < batch * k; ++i) {
    const int32_t near_zp = params.input_zero_point + rng_int(&rng, -1, 1);
    x[i] = (int8_t)(extreme ? (rng_int(&rng, 0, 1) ? -128 : 127)
                    : exact ? (near_zp < -128 ? -128 : near_zp > 127 ? 127 : near_zp)
                            : rng_int(&rng, -128, 127));
  }
  for (size_t i = 0; i < n * k; ++i) {
    w[i] = (int8_t)(extreme ? (rng_int(&rng, 0, 2) == 0 ? -128 : rng_int(&rng, 0, 1) ? -127 : 127)
                    : exact ? rng_int(&rng, -2, 2)
                            : rng_int(&rng, -127, 127));
  }
  for (size_t i = 0; i < n * k && e->kind == KIND_QS8_PFC; ++i) {
    w[i] = w[i] == -128 ? -127 : w[i]; /* layout 6 holds [-127, 127] (ek_pfc.h) */
  }
  const int use_bias = rng_int(&rng, 0, 7) != 0;
  for (size_t j = 0; j < n; ++j) {
    /* Large biases stay within 2^30 so that the reference's int32 sum cannot overflow. */
    bias[j] = extreme ? rng_int(&rng, 0, 1) ? (1 << 30) - 1 : -(1 << 30)
            : exact ? rng_int(&rng, -64, 64)
                    : rng_int(&rng, -(1 << 20), 1 << 20);
    /* Per-channel scales over a wide range: some outputs saturate, some land mid-range. */
    const double span = (double)k * 255.0 * 128.0;
    scale[j] = exact ? (rng_int(&rng, 0, 3) == 0 ? 0.5 : rng_real(&rng, 0.3, 1.0))
                     : exp(rng_real(&rng, log(0.25 / span), log(64.0 / span)));
  }
  ek_fc_shape shape = {c->batch, c->k, c->n};
  ((ek_qs8_fc_fn)e->ref)(&shape, &params, x, w, use_bias ? bias : NULL, y_ref);
  if (e->kind == KIND_QS8_PFC) {
    /* Packed bytes end right at the guard page: the kernels must not read past them. */
    const size_t bytes = ek_qs8_pfc_packed_bytes(n, k);
    int8_t *packed = guarded_place(&buf->packed, bytes, 0, &rng);
    ek_qs8_pfc_pack(n, k, w, use_bias ? bias : NULL, params.input_zero_point, packed);
    const int32_t *folded = (const int32_t *)(void *)(packed + ek_qs8_pfc_bias_offset(n, k));
    ((ek_qs8_fc_fn)e->opt)(&shape, &params, x, packed, folded, y_opt);
  } else {
    ((ek_qs8_fc_fn)e->opt)(&shape, &params, x, w, use_bias ? bias : NULL, y_opt);
  }
  for (size_t i = 0; i < batch * n; ++i) {
    if (y_ref[i] != y_opt[i]) {
      print_case(e->name, c);
      printf("  output[%zu] (row %zu, feature %zu) = %d, reference %d; input zp %d%s\n", i,
              i / n, i % n, y_opt[i], y_ref[i], params.input_zero_point,
              use_bias ? "" : ", no bias");
      return 0;
    }
  }
  return 1;
}

static int run_f32_fc(const kernel_entry *e, const case_desc *c, buffers *buf) {
  uint64_t rng = c->seed;
  const size_t batch = (size_t)c->batch, k = (size_t)c->k, n = (size_t)c->n;
  float *x = guarded_place(&buf->input, batch * k * sizeof(float), EK_EXTRA_BYTES, &rng);
  float *w = guarded_place(&buf->weights, n * k * sizeof(float), EK_EXTRA_BYTES, &rng);
  float *bias = guarded_place(&buf->bias, n * sizeof(float), EK_EXTRA_BYTES, &rng);
  float *y_ref = guarded_place(&buf->out_ref, batch * n * sizeof(float), 0, &rng);
  float *y_opt = guarded_place(&buf->out_opt, batch * n * sizeof(float), 0, &rng);
  /* Extreme data: magnitudes from 2^-20 to 2^20 of both signs, so terms cancel ("exact"
   * is plain random data for floats). */
  const int extreme = c->data == DATA_EXTREME;
  for (size_t i = 0; i < batch * k; ++i) {
    x[i] = (float)(extreme ? ldexp(rng_real(&rng, -1, 1), rng_int(&rng, -20, 20))
                              : rng_real(&rng, -1, 1));
  }
  for (size_t i = 0; i < n * k; ++i) {
    w[i] = (float)(extreme ? ldexp(rng_real(&rng, -1, 1), rng_int(&rng, -20, 20))
                              : rng_real(&rng, -1, 1));
  }
  for (size_t j = 0; j < n; ++j) {
    bias[j] = (float)(extreme ? ldexp(rng_real(&rng, -1, 1), 24) : rng_real(&rng, -4, 4));
  }
  const int use_bias = rng_int(&rng, 0, 7) != 0;
  const int clamped = rng_int(&rng, 0, 2) == 0;
  const float lo = clamped ? -0.5f : -INFINITY, hi = clamped ? 0.5f : INFINITY;
  ek_fc_shape shape = {c->batch, c->k, c->n};
  ((ek_f32_fc_fn)e->ref)(&shape, x, w, use_bias ? bias : NULL, y_ref, lo, hi);
  ((ek_f32_fc_fn)e->opt)(&shape, x, w, use_bias ? bias : NULL, y_opt, lo, hi);
  /* Any summation order is within gamma(k + 1) * (sum |x w| + |b|) of the exact sum, so two
   * orders are within twice that of each other; the clamp cannot widen the gap. */
  const double u = 0x1.0p-24, m = (double)(k + 1);
  const double gamma = m * u / (1.0 - m * u);
  for (size_t r = 0; r < batch; ++r) {
    for (size_t j = 0; j < n; ++j) {
      double magnitude = use_bias ? fabs((double)bias[j]) : 0.0;
      for (size_t i = 0; i < k; ++i) {
        magnitude += fabs((double)x[r * k + i] * (double)w[j * k + i]);
      }
      const double bound = 2.0 * gamma * magnitude;
      const double got = y_opt[r * n + j], want = y_ref[r * n + j];
      if (!(fabs(got - want) <= bound)) {
        print_case(e->name, c);
        printf("  output[%zu][%zu] = %.9g, reference %.9g, allowed difference %.3g\n", r,
                j, got, want, bound);
        return 0;
      }
    }
  }
  return 1;
}

/* The tile of a kernel named ..._<mr>x<nr>c<kr>__<isa>. */
static void parse_tile(const char *name, int *mr_out, int *nr, int *kr) {
  const char *isa = strstr(name, "__");
  const char *p = isa;
  while (p > name && p[-1] != '_') {
    --p;
  }
  int mr = 0;
  if (isa == NULL || sscanf(p, "%dx%dc%d", &mr, nr, kr) != 3) {
    fprintf(stderr, "ek_difftest: cannot read the tile MRxNRcKR from '%s'\n", name);
    exit(2);
  }
  *mr_out = mr;
}

static const char *level_name(uint32_t mask) {
  for (size_t i = 0; i < sizeof(kLevels) / sizeof(kLevels[0]); ++i) {
    if (kLevels[i].mask == mask) return kLevels[i].name;
  }
  return "?";
}

/* Index of a level in kLevels (expectations are sets of indices: the masks nest). */
static unsigned level_index(const char *name) {
  for (unsigned i = 0; i < sizeof(kLevels) / sizeof(kLevels[0]); ++i) {
    if (strcmp(kLevels[i].name, name) == 0) return i;
  }
  fprintf(stderr, "ek_difftest: unknown level '%s'\n", name);
  exit(2);
}

/* Runs every case of one kernel; returns 1 when all pass. */
static int test_kernel(const kernel_entry *e, uint64_t seed, buffers *buf, int *cases) {
  int mr, nr, kr;
  parse_tile(e->name, &mr, &nr, &kr);
  int ks[160], kcount = 0;
  for (int k = 1; k <= 2 * kr + 1 && kcount < 150; ++k) ks[kcount++] = k;
  /* Tiles of 4 rows or more widen and repack K in 16-value steps: their edges too. */
  if (mr >= 4 && kr < 16) {
    static const int k16[] = {15, 16, 17, 31, 32, 33};
    for (size_t i = 0; i < sizeof(k16) / sizeof(k16[0]); ++i) {
      if (k16[i] > 2 * kr + 1) ks[kcount++] = k16[i];
    }
  }
  const int max_batch = mr >= 4 ? 2 * mr + 1 : 4;
  ks[kcount++] = MAX_K;
  int ns[16], ncount = 0;
  for (int n = 1; n <= nr + 1; ++n) ns[ncount++] = n;
  ns[ncount++] = MAX_N;
  *cases = 0;
  for (int batch = 1; batch <= max_batch; ++batch) {
    for (int ki = 0; ki < kcount; ++ki) {
      for (int ni = 0; ni < ncount; ++ni) {
        for (int data = 0; data < DATA_COUNT; ++data) {
          case_desc c = {seed, 0, batch, ks[ki], ns[ni], data};
          /* Per-case seed: a failure reproduces from the printed --seed. */
          uint64_t mix = seed ^ ((uint64_t)batch << 48) ^ ((uint64_t)ks[ki] << 24) ^
                         ((uint64_t)ns[ni] << 4) ^ (uint64_t)data;
          c.seed = rng_next(&mix);
          ++*cases;
          const int ok = e->kind == KIND_F32_FC ? run_f32_fc(e, &c, buf) : run_qs8_fc(e, &c, buf);
          if (!ok) return 0;
        }
      }
    }
  }
  return 1;
}

/* ---- convolution kernels ---- */

#include "ek_difftest_conv.inc"
#include "ek_difftest_binary.inc"
#include "ek_difftest_pool.inc"
#include "ek_difftest_softmax.inc"

int main(int argc, char **argv) {
  uint64_t seed = UINT64_C(20240611);
  uint32_t expect_run = 0, expect_skip = 0;
  for (int i = 1; i < argc; ++i) {
    if (strcmp(argv[i], "--seed") == 0 && i + 1 < argc) {
      seed = strtoull(argv[++i], NULL, 0);
    } else if (strcmp(argv[i], "--expect-run") == 0 && i + 1 < argc) {
      expect_run |= 1u << level_index(argv[++i]);
    } else if (strcmp(argv[i], "--expect-skip") == 0 && i + 1 < argc) {
      expect_skip |= 1u << level_index(argv[++i]);
    } else {
      fprintf(stderr, "usage: %s [--seed N] [--expect-run LEVEL]... [--expect-skip LEVEL]...\n",
              argv[0]);
      return 2;
    }
  }
  setvbuf(stdout, NULL, _IOLBF, 0); /* lines survive a crash in a later kernel */
  const uint32_t features = ek_cpu_features();
  printf("ek_difftest: seed %" PRIu64 ", cpu features 0x%08" PRIx32 ", levels:", seed, features);
  for (size_t i = 0; i < sizeof(kLevels) / sizeof(kLevels[0]); ++i) {
    if ((features & kLevels[i].mask) == kLevels[i].mask) printf(" %s", kLevels[i].name);
  }
  printf("\n");

  int failed = 0;
  for (size_t i = 0; i < sizeof(kLevels) / sizeof(kLevels[0]); ++i) {
    const uint32_t mask = kLevels[i].mask;
    const int has = (features & mask) == mask;
    if (((expect_run >> i) & 1 && !has) || ((expect_skip >> i) & 1 && has)) {
      printf("FAIL cpu detection: expected level %s to be %s\n", kLevels[i].name,
             has ? "unsupported" : "supported");
      ++failed;
    }
  }

  buffers buf = {
      guarded_new(MAX_BATCH * MAX_K * sizeof(float)), guarded_new(MAX_N * MAX_K * sizeof(float)),
      guarded_new(MAX_N * sizeof(double)),            guarded_new(MAX_N * sizeof(double)),
      guarded_new(MAX_BATCH * MAX_N * sizeof(float)), guarded_new(MAX_BATCH * MAX_N * sizeof(float)),
      guarded_new((MAX_N + 3) * (MAX_K + 16) + (MAX_N + 3) * sizeof(int32_t)),
  };
  int passed = 0, skipped = 0;
  for (size_t i = 0; i < sizeof(kKernels) / sizeof(kKernels[0]); ++i) {
    const kernel_entry *e = &kKernels[i];
    if ((features & e->level) != e->level) {
      printf("SKIP %s: cpu lacks %s\n", e->name, level_name(e->level));
      ++skipped;
      continue;
    }
    int cases = 0;
    if (test_kernel(e, seed, &buf, &cases)) {
      printf("PASS %s (%d cases)\n", e->name, cases);
      ++passed;
    } else {
      printf("FAIL %s (case %d; details above)\n", e->name, cases);
      ++failed;
    }
  }
  test_conv_kernels(seed, features, &passed, &failed, &skipped);
  test_add_kernels(seed, features, &passed, &failed, &skipped);
  test_pool_kernels(seed, features, &passed, &failed, &skipped);
  test_softmax_kernels(seed, features, &passed, &failed, &skipped);
  printf("%d passed, %d failed, %d skipped\n", passed, failed, skipped);
  return failed == 0 ? 0 : 1;
}
