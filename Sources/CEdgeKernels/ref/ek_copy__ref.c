/* Data movement by element size: reference kernels for pad, transpose and strided row copies
 * (TFLite PAD, TRANSPOSE, CONCATENATION and RESHAPE move bytes only). */
#include "ek_copy.h"

#include <string.h>
#include "ek_size.h"

EK_SIZE_BEGIN

/* Copies one element; the constant-size memcpy calls compile to single loads and stores
 * without alignment assumptions. */
static inline void copy_element(uint8_t *dst, const uint8_t *src, size_t element_size) {
  switch (element_size) {
    case 1: memcpy(dst, src, 1); break;
    case 2: memcpy(dst, src, 2); break;
    case 4: memcpy(dst, src, 4); break;
    case 8: memcpy(dst, src, 8); break;
    default: memcpy(dst, src, element_size); break;
  }
}

static void fill_elements(uint8_t *dst, size_t count, const uint8_t *value, size_t element_size) {
  for (size_t i = 0; i < count; ++i) {
    copy_element(dst + i * element_size, value, element_size);
  }
}

void ek_xN_pad__ref(const ek_pad_shape *shape, size_t element_size, const void *input,
                    void *output, const void *pad_value) {
  const int rank = (int)shape->rank;
  const int last = rank - 1;
  int32_t out_dims[EK_MAX_RANK];
  size_t in_strides[EK_MAX_RANK]; /* in elements */
  size_t out_rows = 1;            /* product of all output dims but the last */
  for (int d = 0; d < rank; ++d) {
    out_dims[d] = shape->pad_before[d] + shape->in_dims[d] + shape->pad_after[d];
    if (d < last) {
      out_rows *= (size_t)out_dims[d];
    }
  }
  size_t stride = 1;
  for (int d = last; d >= 0; --d) {
    in_strides[d] = stride;
    stride *= (size_t)shape->in_dims[d];
  }
  const size_t row_elements = (size_t)out_dims[last];
  const size_t before = (size_t)shape->pad_before[last];
  const size_t inner = (size_t)shape->in_dims[last];
  const size_t after = (size_t)shape->pad_after[last];
  const uint8_t *in = (const uint8_t *)input;
  const uint8_t *pad = (const uint8_t *)pad_value;
  uint8_t *out = (uint8_t *)output;
  if (row_elements == 0) {
    return;
  }

  /* Walk the output row by row; index[] holds the output coordinates of the current row. */
  int32_t index[EK_MAX_RANK] = {0};
  for (size_t row = 0; row < out_rows; ++row) {
    uint8_t *dst = out + row * row_elements * element_size;
    int inside = 1;
    size_t in_offset = 0;
    for (int d = 0; d < last; ++d) {
      const int32_t i = index[d] - shape->pad_before[d];
      if (i < 0 || i >= shape->in_dims[d]) {
        inside = 0;
        break;
      }
      in_offset += (size_t)i * in_strides[d];
    }
    if (inside) {
      fill_elements(dst, before, pad, element_size);
      if (inner > 0) {
        memcpy(dst + before * element_size, in + in_offset * element_size, inner * element_size);
      }
      fill_elements(dst + (before + inner) * element_size, after, pad, element_size);
    } else {
      fill_elements(dst, row_elements, pad, element_size);
    }
    for (int d = last - 1; d >= 0; --d) {
      if (++index[d] < out_dims[d]) {
        break;
      }
      index[d] = 0;
    }
  }
}

void ek_xN_transpose__ref(const ek_transpose_shape *shape, size_t element_size, const void *input,
                          void *output) {
  const int rank = (int)shape->rank;
  size_t in_strides[EK_MAX_RANK];
  int32_t out_dims[EK_MAX_RANK];
  size_t out_strides_in_input[EK_MAX_RANK]; /* input stride of each output dimension */
  size_t count = 1;
  size_t stride = 1;
  for (int d = rank - 1; d >= 0; --d) {
    in_strides[d] = stride;
    stride *= (size_t)shape->in_dims[d];
  }
  for (int d = 0; d < rank; ++d) {
    out_dims[d] = shape->in_dims[shape->perm[d]];
    out_strides_in_input[d] = in_strides[shape->perm[d]];
    count *= (size_t)out_dims[d];
  }
  const uint8_t *in = (const uint8_t *)input;
  uint8_t *out = (uint8_t *)output;

  /* Output elements in order; in_offset follows the permuted input coordinates. */
  int32_t index[EK_MAX_RANK] = {0};
  size_t in_offset = 0;
  for (size_t o = 0; o < count; ++o) {
    copy_element(out + o * element_size, in + in_offset * element_size, element_size);
    for (int d = rank - 1; d >= 0; --d) {
      in_offset += out_strides_in_input[d];
      if (++index[d] < out_dims[d]) {
        break;
      }
      in_offset -= (size_t)out_dims[d] * out_strides_in_input[d];
      index[d] = 0;
    }
  }
}

void ek_xN_copy_rows__ref(size_t rows, size_t row_bytes, const void *input, size_t input_stride,
                          void *output, size_t output_stride) {
  const uint8_t *in = (const uint8_t *)input;
  uint8_t *out = (uint8_t *)output;
  for (size_t r = 0; r < rows; ++r) {
    memcpy(out + r * output_stride, in + r * input_stride, row_bytes);
  }
}

void ek_xN_gather__ref(const ek_gather_shape *shape, size_t element_size, const int32_t *indices,
                       const void *input, void *output) {
  const size_t row_bytes = (size_t)shape->inner * element_size;
  const uint8_t *in = (const uint8_t *)input;
  uint8_t *out = (uint8_t *)output;
  for (int32_t o = 0; o < shape->outer; ++o) {
    const uint8_t *block = in + (size_t)o * (size_t)shape->axis_dim * row_bytes;
    for (int32_t j = 0; j < shape->count; ++j) {
      memcpy(out, block + (size_t)indices[j] * row_bytes, row_bytes);
      out += row_bytes;
    }
  }
}

EK_SIZE_END
