/*
 * ek_softmax.h: softmax over the innermost axis of `outer` rows of `depth` elements.
 *
 * f32: out = exp(beta * (x - max)) / sum(exp(beta * (x - max))).
 * qs8: TFLite reference_ops::Softmax for int8 (gemmlowp fixed point: kScaledDiffIntegerBits 5,
 * kAccumulationIntegerBits 12, exp_on_negative_values, reciprocal); output scale 1/256 and
 * zero point -128 (fixed by the TFLite spec). Parameters come from ek_qs8_softmax_prepare
 * (PreprocessSoftmaxScaling and CalculateInputRadius). A row whose sum of exps reaches 512
 * (e.g. 512 or more equal maxima) makes TFLite's kernel abort (TFLITE_CHECK); here every
 * output of such a row is -128, the rounding of its true value, which is below half an LSB.
 */
#ifndef EK_SOFTMAX_H
#define EK_SOFTMAX_H

#include "ek_common.h"

/*
 * exp_table: int8 inputs make every difference x - max of a row an integer in [-255, 0], so the
 * exps the qs8 kernel needs take at most 256 values. ek_qs8_softmax_prepare computes them once:
 * exp_table[d] = exp(beta * input_scale * -d) in Q0 (gemmlowp exp_on_negative_values of the
 * rescaled difference, as the reference computes it per element) for -d >= diff_min, and 0 for
 * -d < diff_min (a 0 adds nothing to the sum and gives the output -128, as the reference's
 * cut-off does). The __ref kernel, the specification, ignores the table and computes every exp;
 * the SIMD kernels read it.
 */
typedef struct ek_qs8_softmax_params {
  int32_t input_beta_multiplier;
  int32_t input_beta_left_shift;
  int32_t diff_min;
  int32_t exp_table[256];
} ek_qs8_softmax_params;

void ek_qs8_softmax_prepare(float input_scale, float beta, ek_qs8_softmax_params *params);
void ek_f32_softmax_x1__ref(size_t outer, size_t depth, float beta, const float *input,
                            float *output);
void ek_qs8_softmax_x1__ref(size_t outer, size_t depth, const ek_qs8_softmax_params *params,
                            const int8_t *input, int8_t *output);

/* Two steps of the qs8 reference that every qs8 kernel calls, so that all run the same code:
 * the reciprocal of a row's Q12 sum of exps (TFLite GetReciprocal) with the exponent that
 * takes exp * reciprocal to the output's Q0.8 (num_bits_over_unit + 23, >= 3); and one output,
 * clamp(rdivpot(srdhm(reciprocal, exp), exponent) - 128), which is -128 for exponent > 31
 * (where TFLite's kernel aborts; the exact quotient is below half an LSB). */
int32_t ek_qs8_softmax_reciprocal(int32_t sum_of_exps, int *exponent);
int8_t ek_qs8_softmax_output(int32_t reciprocal, int exponent, int32_t exp);

/*
 * SIMD int8 softmax: same signature and contract as ek_qs8_softmax_x1__ref and bit-exact with
 * it, for params filled by ek_qs8_softmax_prepare (they read params->exp_table). Per row: the
 * maximum in vector lanes; the Q12.19 sum of rdivpot(exp_table[max - x], 12) with the
 * reference's wrap-around int32 additions (which any order reproduces); the reference's
 * reciprocal (ek_qs8_softmax_reciprocal); then the outputs rdivpot(srdhm(reciprocal,
 * exp_table[max - x]), exponent) - 128. AVX2 computes 8 outputs at a time (table gathers, the
 * multiply and both roundings in vector lanes) and reads up to 31 bytes past the end of a row
 * (within EK_EXTRA_BYTES after the last row) for the maximum. NEON (x1: compiled for size, the
 * static aarch64 edgerun's budget) keeps only the maximum in vector lanes and runs the lookups
 * and outputs as scalar code (ek_qs8_softmax_output); it reads only the rows. Call only when
 * ek_cpu_features() has the level's EK_CPU_LEVEL_*.
 *
 * SIMD f32 softmax: same signature as ek_f32_softmax_x1__ref; exp by range reduction
 * (n = round(z / ln 2), z - n ln 2 in two steps) and a degree-5 polynomial with FMA (XNNPACK's
 * rr2_p5 scheme, a few ULP for normal results); results below 2^-126 (z < -87.34) are 0 where
 * the reference may give a subnormal. Sums in vector lanes (another order than the reference's
 * sequential sum); each output is within (8 + 2 * depth) * 2^-24 of the reference's relative
 * to it, or 2^-126 absolute (the differential test's bound). Finite inputs; no over-read
 * (masked loads and stores on AVX2, the row tail through a local buffer on NEON). The NEON
 * kernel is tested and benchmarked but not in the aarch64 kernel table (KernelTable.swift):
 * the static edgerun's size budget.
 */
#if defined(__x86_64__)
void ek_qs8_softmax_x8__avx2(size_t outer, size_t depth, const ek_qs8_softmax_params *params,
                             const int8_t *input, int8_t *output);
void ek_f32_softmax_x8__avx2(size_t outer, size_t depth, float beta, const float *input,
                             float *output);
#endif
#if defined(__aarch64__)
void ek_qs8_softmax_x1__neon(size_t outer, size_t depth, const ek_qs8_softmax_params *params,
                             const int8_t *input, int8_t *output);
void ek_f32_softmax_x4__neon(size_t outer, size_t depth, float beta, const float *input,
                             float *output);
#endif

#endif
