/*
 * ek_copy.h: data movement by element size (any dtype): pad, transpose, strided copy.
 * Dimensions are row-major, rank 1..EK_MAX_RANK. Input and output never alias.
 */
#ifndef EK_COPY_H
#define EK_COPY_H

#include "ek_common.h"

typedef struct ek_pad_shape {
  int32_t rank;
  int32_t in_dims[EK_MAX_RANK];
  int32_t pad_before[EK_MAX_RANK];
  int32_t pad_after[EK_MAX_RANK];
} ek_pad_shape;

typedef struct ek_transpose_shape {
  int32_t rank;
  int32_t in_dims[EK_MAX_RANK];
  int32_t perm[EK_MAX_RANK]; /* output dim i is input dim perm[i] */
} ek_transpose_shape;

/* Output dims = pad_before + in_dims + pad_after; padding filled with *pad_value
 * (element_size bytes, e.g. 0.0f or the output zero point). */
void ek_xN_pad__ref(const ek_pad_shape *shape, size_t element_size, const void *input,
                    void *output, const void *pad_value);

void ek_xN_transpose__ref(const ek_transpose_shape *shape, size_t element_size, const void *input,
                          void *output);

/* Copies `rows` rows of `row_bytes` bytes from input (rows input_stride bytes apart) to
 * output (rows output_stride bytes apart): the building block of concatenation. */
void ek_xN_copy_rows__ref(size_t rows, size_t row_bytes, const void *input, size_t input_stride,
                          void *output, size_t output_stride);

/* Gather along one axis with indices known when the model is prepared: input viewed as
 * [outer, axis_dim, inner], output [outer, count, inner] with output row j of each outer block
 * = input row indices[j]. The caller guarantees 0 <= indices[j] < axis_dim. */
typedef struct ek_gather_shape {
  int32_t outer;
  int32_t axis_dim;
  int32_t inner;
  int32_t count;
} ek_gather_shape;

void ek_xN_gather__ref(const ek_gather_shape *shape, size_t element_size, const int32_t *indices,
                       const void *input, void *output);

#endif
