// Reductions along one dimension of a contiguous tensor viewed as [outer, r, inner], into
// [outer, inner]. Accumulation is in f32.
//
// Entry points: reduce_<kind>_<dtype>_rows (inner == 1: one block per row, a block-wide
// reduction) and reduce_<kind>_<dtype>_cols (inner > 1: one thread per output, reading a column
// with coalesced loads across threads), kind sum, max or min. `scale` multiplies a sum (1/r
// gives the mean).

template <int KIND> __device__ __forceinline__ float reduce_identity() {
    return KIND == 0 ? 0.0f : (KIND == 1 ? __int_as_float(0xff800000) : __int_as_float(0x7f800000));
}

template <int KIND> __device__ __forceinline__ float reduce_step(float acc, float v) {
    return KIND == 0 ? acc + v : (KIND == 1 ? nan_max(acc, v) : nan_min(acc, v));
}

template <typename T, int KIND>
__device__ void reduce_rows(const T* __restrict__ x, T* __restrict__ y, i64 rows, i64 r, float scale) {
    const float identity = reduce_identity<KIND>();
    for (i64 row = blockIdx.x; row < rows; row += gridDim.x) {
        const T* p = x + row * r;
        float acc = identity;
        for (i64 k = threadIdx.x; k < r; k += blockDim.x) acc = reduce_step<KIND>(acc, to_float(p[k]));
        acc = block_reduce<KIND>(acc, identity);
        if (threadIdx.x == 0) y[row] = from_float<T>(KIND == 0 ? acc * scale : acc);
    }
}

template <typename T, int KIND>
__device__ void reduce_cols(const T* __restrict__ x, T* __restrict__ y, i64 outer, i64 r, i64 inner,
                            float scale) {
    GRID_STRIDE(i, outer * inner) {
        const i64 o = i / inner, c = i % inner;
        const T* p = x + o * r * inner + c;
        float acc = reduce_identity<KIND>();
        for (i64 k = 0; k < r; ++k) acc = reduce_step<KIND>(acc, to_float(p[k * inner]));
        y[i] = from_float<T>(KIND == 0 ? acc * scale : acc);
    }
}

#define REDUCE_ENTRIES(NAME, KIND, T, DT)                                                        \
    extern "C" __global__ void reduce_##NAME##_##DT##_rows(const T* x, T* y, i64 rows, i64 r,    \
                                                           float scale) {                        \
        reduce_rows<T, KIND>(x, y, rows, r, scale);                                              \
    }                                                                                            \
    extern "C" __global__ void reduce_##NAME##_##DT##_cols(const T* x, T* y, i64 outer, i64 r,   \
                                                           i64 inner, float scale) {             \
        reduce_cols<T, KIND>(x, y, outer, r, inner, scale);                                      \
    }

#define REDUCE_DTYPES(NAME, KIND)                                                                \
    REDUCE_ENTRIES(NAME, KIND, float, f32)                                                       \
    REDUCE_ENTRIES(NAME, KIND, f16, f16)                                                         \
    REDUCE_ENTRIES(NAME, KIND, bf16, bf16)

REDUCE_DTYPES(sum, 0)
REDUCE_DTYPES(max, 1)
REDUCE_DTYPES(min, 2)
