// opkit CUDA kernels: what every source shares. Prepended to each .cu file before NVRTC compiles
// it, so the sources need no include path and no toolkit headers (NVRTC alone is enough).
//
// Half types are plain 16-bit structs converted with the PTX instructions cuda_fp16.h uses, so
// the kernels do not depend on NVRTC shipping cuda_fp16.h / cuda_bf16.h. All arithmetic is in
// f32, the way the CPU kernels compute halves.

typedef long long i64;
typedef unsigned long long u64;

struct __align__(2) f16 { unsigned short bits; };
struct __align__(2) bf16 { unsigned short bits; };

__device__ __forceinline__ float to_float(float x) { return x; }
__device__ __forceinline__ float to_float(f16 x) {
    float f;
    asm("{ cvt.f32.f16 %0, %1; }" : "=f"(f) : "h"(x.bits));
    return f;
}
__device__ __forceinline__ float to_float(bf16 x) {
    return __uint_as_float(((unsigned int)x.bits) << 16);
}

template <typename T> __device__ __forceinline__ T from_float(float x);
template <> __device__ __forceinline__ float from_float<float>(float x) { return x; }
template <> __device__ __forceinline__ f16 from_float<f16>(float x) {
    f16 h;
    asm("{ cvt.rn.f16.f32 %0, %1; }" : "=h"(h.bits) : "f"(x));
    return h;
}
// Round to nearest even, NaN kept quiet: what half::bf16::from_f32 does on the CPU side.
template <> __device__ __forceinline__ bf16 from_float<bf16>(float x) {
    unsigned int u = __float_as_uint(x);
    bf16 r;
    if ((u & 0x7fffffffu) > 0x7f800000u) {
        r.bits = (unsigned short)((u >> 16) | 0x40u);
        return r;
    }
    u += 0x7fffu + ((u >> 16) & 1u);
    r.bits = (unsigned short)(u >> 16);
    return r;
}

// `v` rounded once to T, as the CPU's f64 → f16/bf16 conversion (op_runtime::f16_from_f64): through
// f32 rounded to odd (toward zero, the last bit set when inexact), which keeps enough bits
// (24 ≥ 11 + 2) that the rounding to nearest even which follows is the only one that counts.
// Beyond f32's range that gives ±FLT_MAX, which both half types round to ±inf.
template <typename T> __device__ __forceinline__ T from_double(double v) {
    float f = __double2float_rz(v);
    if ((double)f != v && v == v) f = __uint_as_float(__float_as_uint(f) | 1u);
    return from_float<T>(f);
}
template <> __device__ __forceinline__ float from_double<float>(double v) {
    return __double2float_rn(v);
}

// Elements per 16-byte vector load.
template <typename T> struct Vec { static const int N = 16 / sizeof(T); };

// Grid-stride loops: a grid sized to the device (a few blocks per SM) walks any n.
#define GRID_STRIDE(i, n)                                                                         \
    for (i64 i = (i64)blockIdx.x * blockDim.x + threadIdx.x; i < (n);                             \
         i += (i64)gridDim.x * blockDim.x)

__device__ __forceinline__ bool aligned16(const void* p) { return (((u64)p) & 15u) == 0; }

// Strides (in elements) of up to three operands over one shape, for broadcasting and
// non-contiguous tensors. Operand 0 is the output. Mirrors `Strided` in elementwise.rs.
#define MAX_DIMS 8
struct Strided {
    int ndim;
    int pad;
    i64 shape[MAX_DIMS];
    i64 stride[3][MAX_DIMS];
};

// The element offsets of linear index i (row-major over `shape`) in each operand.
__device__ __forceinline__ void strided_offsets(const Strided& s, i64 i, i64* o0, i64* o1, i64* o2) {
    i64 a = 0, b = 0, c = 0;
    for (int d = s.ndim - 1; d >= 0; --d) {
        i64 size = s.shape[d];
        i64 k = i % size;
        i /= size;
        a += k * s.stride[0][d];
        b += k * s.stride[1][d];
        c += k * s.stride[2][d];
    }
    *o0 = a;
    *o1 = b;
    *o2 = c;
}

// NaN-propagating max/min (fmaxf ignores NaN; torch.max does not).
__device__ __forceinline__ float nan_max(float a, float b) { return (a != a || a > b) ? a : b; }
__device__ __forceinline__ float nan_min(float a, float b) { return (a != a || a < b) ? a : b; }

// Block-wide reductions over blockDim.x threads (a multiple of 32, at most 1024), through warp
// shuffles and one shared word per warp. Every thread gets the result.
__device__ __forceinline__ float warp_sum(float v) {
    for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
    return v;
}
__device__ __forceinline__ float warp_max(float v) {
    for (int o = 16; o > 0; o >>= 1) v = nan_max(v, __shfl_xor_sync(0xffffffffu, v, o));
    return v;
}
__device__ __forceinline__ float warp_min(float v) {
    for (int o = 16; o > 0; o >>= 1) v = nan_min(v, __shfl_xor_sync(0xffffffffu, v, o));
    return v;
}

template <int KIND> __device__ __forceinline__ float warp_reduce(float v) {
    return KIND == 0 ? warp_sum(v) : (KIND == 1 ? warp_max(v) : warp_min(v));
}

// KIND: 0 sum, 1 max, 2 min. `identity` fills the lanes of missing warps.
template <int KIND> __device__ float block_reduce(float v, float identity) {
    __shared__ float partial[32];
    int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    v = warp_reduce<KIND>(v);
    __syncthreads();  // `partial` may still be read by a previous call
    if (lane == 0) partial[warp] = v;
    __syncthreads();
    int warps = (blockDim.x + 31) >> 5;
    v = lane < warps ? partial[lane] : identity;
    return warp_reduce<KIND>(v);
}
