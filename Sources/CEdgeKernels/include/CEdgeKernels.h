/* CEdgeKernels: the EdgeRun kernel library (umbrella header). */
#ifndef CEDGEKERNELS_H
#define CEDGEKERNELS_H

#include "ek_common.h"
#include "ek_quant.h"
#include "ek_fixedpoint.h"
#include "ek_conv.h"
#include "ek_hybrid.h"
#include "ek_pool.h"
#include "ek_binary.h"
#include "ek_unary.h"
#include "ek_softmax.h"
#include "ek_copy.h"
#include "ek_cpu.h"
#include "ek_conv_simd.h"
#include "ek_pconv.h"
#include "ek_pfc.h"
#include "ek_sparse.h"
#include "ek_sparse_px.h"
#include "ek_sparse_grouped.h"

#endif
