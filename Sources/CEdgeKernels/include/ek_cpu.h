/*
 * ek_cpu.h: the CPU features that select SIMD kernels at run time.
 *
 * ek_cpu_features() probes the CPU it runs on and returns a bitmask of EK_CPU_* bits. It is a
 * pure function of the machine (no globals, no caching): callers probe once, e.g. when the
 * runtime fills its kernel table, and keep the result.
 *
 *   x86-64   cpuid leaves 1 and 7 plus xgetbv: a bit is set only when the CPU has the
 *            instructions AND the operating system saves their registers (XCR0: YMM state
 *            for AVX2, opmask/ZMM state for AVX-512).
 *   aarch64  getauxval(AT_HWCAP / AT_HWCAP2) on Linux (the kernel's view, which is what
 *            matters under qemu-aarch64 -cpu too). ASIMD is architectural on AArch64 Linux and
 *            assumed when getauxval is unavailable.
 *   other    0.
 *
 * A kernel level needs every bit of its EK_CPU_LEVEL_* mask.
 */
#ifndef EK_CPU_H
#define EK_CPU_H

#include "ek_common.h"

#define EK_CPU_X86_AVX2       0x00000001u /* AVX2 and FMA3, YMM state enabled */
#define EK_CPU_X86_AVX512F    0x00000002u /* AVX-512 F, opmask and ZMM state enabled */
#define EK_CPU_X86_AVX512BW   0x00000004u
#define EK_CPU_X86_AVX512VL   0x00000008u
#define EK_CPU_X86_AVX512VNNI 0x00000010u
#define EK_CPU_ARM_ASIMD      0x00010000u /* Advanced SIMD (NEON) */
#define EK_CPU_ARM_ASIMDDP    0x00020000u /* SDOT/UDOT (FEAT_DotProd) */
#define EK_CPU_ARM_I8MM       0x00040000u /* SMMLA/USDOT (FEAT_I8MM) */

/* Kernel levels (the __isa suffixes) and the features each requires. */
#define EK_CPU_LEVEL_AVX2       0x00000001u /* EK_CPU_X86_AVX2 */
#define EK_CPU_LEVEL_AVX512VNNI 0x0000001Fu /* AVX2 | AVX512F | AVX512BW | AVX512VL | AVX512VNNI */
#define EK_CPU_LEVEL_NEON       0x00010000u /* EK_CPU_ARM_ASIMD */
#define EK_CPU_LEVEL_NEONDOT    0x00030000u /* ASIMD | ASIMDDP */
#define EK_CPU_LEVEL_NEONI8MM   0x00070000u /* ASIMD | ASIMDDP | I8MM */

uint32_t ek_cpu_features(void);

#endif
