// Reductions along one dimension of a contiguous tensor viewed as [outer, r, inner], into
// [outer, inner]. Accumulation is in f32.
//
// Entry points: reduce_<kind>_<dtype>_rows (inner == 1: one block per row, a block-wide
// reduction) and reduce_<kind>_<dtype>_cols (inner > 1: one thread per output, reading a column
// with coalesced loads across threads), kind sum, max or min. A sum is divided by `divisor` in
// f64 and rounded once to the output type (1 for a sum, r for a mean), as on the CPU.
//
// With too few outputs to fill the device (a full reduction is one row), each row or column is
// split into chunks: a first pass (<..>_split) reduces every chunk into f32 partial results, a
// second (<..>_final) reduces those. The split depends only on the shape and the device's
// multiprocessor count, so results are deterministic.

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

// The output element: a sum divided by `divisor` and rounded once, or a max/min as it is. A partial
// result (TO = float, divisor 1) passes through unchanged.
template <typename TO, int KIND> __device__ __forceinline__ TO reduce_finish(float acc, i64 divisor) {
    return KIND == 0 ? from_double<TO>((double)acc / (double)divisor) : from_float<TO>(acc);
}

// Segment `seg` of a reduction whose r elements are split into `splits` chunks of `chunk`: the
// range of k it covers.
__device__ __forceinline__ void chunk_range(i64 seg, i64 splits, i64 r, i64* lo, i64* hi) {
    const i64 chunk = (r + splits - 1) / splits;
    const i64 part = seg % splits;
    *lo = part * chunk;
    *hi = *lo + chunk < r ? *lo + chunk : r;
}

// [rows, r] → [rows, splits]: one block per segment (a row's chunk), a block-wide reduction.
template <typename TI, typename TO, int KIND>
__device__ void reduce_rows(const TI* __restrict__ x, TO* __restrict__ y, i64 rows, i64 r,
                            i64 splits, i64 divisor) {
    const float identity = reduce_identity<KIND>();
    for (i64 seg = blockIdx.x; seg < rows * splits; seg += gridDim.x) {
        const TI* p = x + (seg / splits) * r;
        i64 lo, hi;
        chunk_range(seg, splits, r, &lo, &hi);
        Running<KIND> acc;
        for (i64 k = lo + threadIdx.x; k < hi; k += blockDim.x) acc.add(to_float(p[k]));
        const float total = block_reduce<KIND>(acc.result(), identity);
        if (threadIdx.x == 0) y[seg] = reduce_finish<TO, KIND>(total, divisor);
    }
}

// [outer, r, inner] → [outer, splits, inner]: one thread per output (a column's chunk), reading
// with coalesced loads across threads.
template <typename TI, typename TO, int KIND>
__device__ void reduce_cols(const TI* __restrict__ x, TO* __restrict__ y, i64 outer, i64 r,
                            i64 inner, i64 splits, i64 divisor) {
    GRID_STRIDE(i, outer * splits * inner) {
        const i64 c = i % inner, seg = i / inner, o = seg / splits;
        i64 lo, hi;
        chunk_range(seg, splits, r, &lo, &hi);
        const TI* p = x + o * r * inner + c;
        Running<KIND> acc;
        for (i64 k = lo; k < hi; ++k) acc.add(to_float(p[k * inner]));
        y[i] = reduce_finish<TO, KIND>(acc.result(), divisor);
    }
}

// For each layout: the one-pass reduction (<..>_rows, <..>_cols); the first pass of a split one,
// into f32 partial results (<..>_rows_split, <..>_cols_split); and its second pass, over the
// partials (<..>_rows_final, <..>_cols_final).
#define REDUCE_ENTRIES(NAME, KIND, T, DT)                                                        \
    extern "C" __global__ void reduce_##NAME##_##DT##_rows(const T* x, T* y, i64 rows, i64 r,    \
                                                           i64 divisor) {                        \
        reduce_rows<T, T, KIND>(x, y, rows, r, 1, divisor);                                      \
    }                                                                                            \
    extern "C" __global__ void reduce_##NAME##_##DT##_cols(const T* x, T* y, i64 outer, i64 r,   \
                                                           i64 inner, i64 divisor) {             \
        reduce_cols<T, T, KIND>(x, y, outer, r, inner, 1, divisor);                              \
    }                                                                                            \
    extern "C" __global__ void reduce_##NAME##_##DT##_rows_split(const T* x, float* partial,     \
                                                                 i64 rows, i64 r, i64 splits) {  \
        reduce_rows<T, float, KIND>(x, partial, rows, r, splits, 1);                             \
    }                                                                                            \
    extern "C" __global__ void reduce_##NAME##_##DT##_cols_split(                                \
        const T* x, float* partial, i64 outer, i64 r, i64 inner, i64 splits) {                   \
        reduce_cols<T, float, KIND>(x, partial, outer, r, inner, splits, 1);                     \
    }                                                                                            \
    extern "C" __global__ void reduce_##NAME##_##DT##_rows_final(const float* partial, T* y,     \
                                                                 i64 rows, i64 splits,           \
                                                                 i64 divisor) {                  \
        reduce_rows<float, T, KIND>(partial, y, rows, splits, 1, divisor);                       \
    }                                                                                            \
    extern "C" __global__ void reduce_##NAME##_##DT##_cols_final(                                \
        const float* partial, T* y, i64 outer, i64 splits, i64 inner, i64 divisor) {             \
        reduce_cols<float, T, KIND>(partial, y, outer, splits, inner, 1, divisor);               \
    }

#define REDUCE_DTYPES(NAME, KIND)                                                                \
    REDUCE_ENTRIES(NAME, KIND, float, f32)                                                       \
    REDUCE_ENTRIES(NAME, KIND, f16, f16)                                                         \
    REDUCE_ENTRIES(NAME, KIND, bf16, bf16)

REDUCE_DTYPES(sum, 0)
REDUCE_DTYPES(max, 1)
REDUCE_DTYPES(min, 2)
