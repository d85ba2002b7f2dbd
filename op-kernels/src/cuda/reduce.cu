// Reductions along one dimension of a contiguous tensor viewed as [outer, r, inner], into
// [outer, inner]. Accumulation is in f32.
//
// Entry points: reduce_<kind>_<dtype>_rows (inner == 1: one block per row, a block-wide
// reduction) and reduce_<kind>_<dtype>_cols (inner > 1: one thread per output, reading a column
// with coalesced loads across threads), kind sum, max or min. A sum is divided by `divisor` in
// f64 and rounded once to the output type (1 for a sum, r for a mean), as on the CPU.

template <int KIND> __device__ __forceinline__ float reduce_identity() {
    return KIND == 0 ? 0.0f : (KIND == 1 ? __int_as_float(0xff800000) : __int_as_float(0x7f800000));
}

template <int KIND> __device__ __forceinline__ float reduce_step(float acc, float v) {
    return KIND == 0 ? acc + v : (KIND == 1 ? nan_max(acc, v) : nan_min(acc, v));
}

// One thread's running reduction. Sums are compensated (Kahan): one thread may add up a whole
// column of millions of elements, and a plain f32 running sum drifts with the count (10^7 × 0.1
// came to 1.088e6 instead of 1e6), while the compensated one stays within a few roundings. Max
// and min fold as they are.
template <int KIND> struct Running {
    float value, comp;
    __device__ Running() : value(reduce_identity<KIND>()), comp(0.0f) {}
    __device__ __forceinline__ void add(float v) {
        if (KIND != 0) {
            value = reduce_step<KIND>(value, v);
            return;
        }
        const float y = v - comp;
        const float t = value + y;
        // Once the sum is ±inf or NaN, the compensation would be inf - inf = NaN: it is dropped,
        // so that inf + 1 stays inf (and inf + -inf is NaN by itself).
        comp = fabsf(t) <= 3.4028234663852886e38f ? (t - value) - y : 0.0f;
        value = t;
    }
    __device__ __forceinline__ float result() const { return KIND == 0 ? value - comp : value; }
};

// The output element: a sum divided by `divisor` and rounded once, or a max/min as it is.
template <typename T, int KIND> __device__ __forceinline__ T reduce_finish(float acc, i64 divisor) {
    return KIND == 0 ? from_double<T>((double)acc / (double)divisor) : from_float<T>(acc);
}

template <typename T, int KIND>
__device__ void reduce_rows(const T* __restrict__ x, T* __restrict__ y, i64 rows, i64 r,
                            i64 divisor) {
    const float identity = reduce_identity<KIND>();
    for (i64 row = blockIdx.x; row < rows; row += gridDim.x) {
        const T* p = x + row * r;
        Running<KIND> acc;
        for (i64 k = threadIdx.x; k < r; k += blockDim.x) acc.add(to_float(p[k]));
        const float total = block_reduce<KIND>(acc.result(), identity);
        if (threadIdx.x == 0) y[row] = reduce_finish<T, KIND>(total, divisor);
    }
}

template <typename T, int KIND>
__device__ void reduce_cols(const T* __restrict__ x, T* __restrict__ y, i64 outer, i64 r, i64 inner,
                            i64 divisor) {
    GRID_STRIDE(i, outer * inner) {
        const i64 o = i / inner, c = i % inner;
        const T* p = x + o * r * inner + c;
        Running<KIND> acc;
        for (i64 k = 0; k < r; ++k) acc.add(to_float(p[k * inner]));
        y[i] = reduce_finish<T, KIND>(acc.result(), divisor);
    }
}

#define REDUCE_ENTRIES(NAME, KIND, T, DT)                                                        \
    extern "C" __global__ void reduce_##NAME##_##DT##_rows(const T* x, T* y, i64 rows, i64 r,    \
                                                           i64 divisor) {                        \
        reduce_rows<T, KIND>(x, y, rows, r, divisor);                                            \
    }                                                                                            \
    extern "C" __global__ void reduce_##NAME##_##DT##_cols(const T* x, T* y, i64 outer, i64 r,   \
                                                           i64 inner, i64 divisor) {             \
        reduce_cols<T, KIND>(x, y, outer, r, inner, divisor);                                    \
    }

#define REDUCE_DTYPES(NAME, KIND)                                                                \
    REDUCE_ENTRIES(NAME, KIND, float, f32)                                                       \
    REDUCE_ENTRIES(NAME, KIND, f16, f16)                                                         \
    REDUCE_ENTRIES(NAME, KIND, bf16, bf16)

REDUCE_DTYPES(sum, 0)
REDUCE_DTYPES(max, 1)
REDUCE_DTYPES(min, 2)
