// Row kernels over the last dimension of a contiguous [rows, cols] tensor: softmax, log_softmax,
// rms_norm and layer_norm. One block per row (grid-stride over rows), block-wide reductions in
// f32. A null weight or bias pointer means none.
//
// Entry points: softmax_<dtype>, log_softmax_<dtype>, rms_norm_<dtype>, layer_norm_<dtype>, and
// rms_norm_<dtype>_f32p, layer_norm_<dtype>_f32p for f16/bf16 rows with float32 parameters.

template <typename T, bool LOG>
__device__ void softmax_rows(const T* __restrict__ x, T* __restrict__ y, i64 rows, i64 cols) {
    const float neg_inf = __int_as_float(0xff800000);
    for (i64 row = blockIdx.x; row < rows; row += gridDim.x) {
        const T* p = x + row * cols;
        T* q = y + row * cols;
        float m = neg_inf;
        for (i64 k = threadIdx.x; k < cols; k += blockDim.x) m = nan_max(m, to_float(p[k]));
        m = block_reduce<1>(m, neg_inf);
        // A row of -inf has no finite maximum; shifting by 0 gives exp(-inf) = 0 and 0/0 = NaN,
        // as PyTorch does.
        const float shift = (m == neg_inf) ? 0.0f : m;
        float s = 0.0f;
        for (i64 k = threadIdx.x; k < cols; k += blockDim.x) s += expf(to_float(p[k]) - shift);
        s = block_reduce<0>(s, 0.0f);
        if (LOG) {
            const float log_s = logf(s);
            for (i64 k = threadIdx.x; k < cols; k += blockDim.x)
                q[k] = from_float<T>(to_float(p[k]) - shift - log_s);
        } else {
            const float inv = 1.0f / s;
            for (i64 k = threadIdx.x; k < cols; k += blockDim.x)
                q[k] = from_float<T>(expf(to_float(p[k]) - shift) * inv);
        }
    }
}

// P, the parameters' type: T, or float for f16/bf16 rows (mixed precision).
template <typename T, typename P>
__device__ void rms_norm_rows(const T* __restrict__ x, const P* __restrict__ w, T* __restrict__ y,
                              i64 rows, i64 cols, float eps) {
    for (i64 row = blockIdx.x; row < rows; row += gridDim.x) {
        const T* p = x + row * cols;
        T* q = y + row * cols;
        float ss = 0.0f;
        for (i64 k = threadIdx.x; k < cols; k += blockDim.x) {
            const float v = to_float(p[k]);
            ss += v * v;
        }
        ss = block_reduce<0>(ss, 0.0f);
        const float inv = rsqrtf(ss / (float)cols + eps);
        for (i64 k = threadIdx.x; k < cols; k += blockDim.x) {
            const float g = w ? to_float(w[k]) : 1.0f;
            q[k] = from_float<T>(to_float(p[k]) * inv * g);
        }
    }
}

template <typename T, typename P>
__device__ void layer_norm_rows(const T* __restrict__ x, const P* __restrict__ w,
                                const P* __restrict__ b, T* __restrict__ y, i64 rows, i64 cols,
                                float eps) {
    for (i64 row = blockIdx.x; row < rows; row += gridDim.x) {
        const T* p = x + row * cols;
        T* q = y + row * cols;
        float s = 0.0f;
        for (i64 k = threadIdx.x; k < cols; k += blockDim.x) s += to_float(p[k]);
        const float mean = block_reduce<0>(s, 0.0f) / (float)cols;
        // Two passes: the variance of the centred values, which does not cancel catastrophically.
        float v = 0.0f;
        for (i64 k = threadIdx.x; k < cols; k += blockDim.x) {
            const float d = to_float(p[k]) - mean;
            v += d * d;
        }
        const float inv = rsqrtf(block_reduce<0>(v, 0.0f) / (float)cols + eps);
        for (i64 k = threadIdx.x; k < cols; k += blockDim.x) {
            const float g = w ? to_float(w[k]) : 1.0f;
            const float o = b ? to_float(b[k]) : 0.0f;
            q[k] = from_float<T>((to_float(p[k]) - mean) * inv * g + o);
        }
    }
}

#define ROW_ENTRIES(T, DT)                                                                       \
    extern "C" __global__ void softmax_##DT(const T* x, T* y, i64 rows, i64 cols) {              \
        softmax_rows<T, false>(x, y, rows, cols);                                                \
    }                                                                                            \
    extern "C" __global__ void log_softmax_##DT(const T* x, T* y, i64 rows, i64 cols) {          \
        softmax_rows<T, true>(x, y, rows, cols);                                                 \
    }                                                                                            \
    NORM_ENTRIES(T, T, DT)

// The norms with parameters of type P, named <op>_<DT> (P = T) or <op>_<DT>_f32p (P = float).
#define NORM_ENTRIES(T, P, NAME)                                                                 \
    extern "C" __global__ void rms_norm_##NAME(const T* x, const P* w, T* y, i64 rows, i64 cols, \
                                               float eps) {                                      \
        rms_norm_rows<T, P>(x, w, y, rows, cols, eps);                                           \
    }                                                                                            \
    extern "C" __global__ void layer_norm_##NAME(const T* x, const P* w, const P* b, T* y,       \
                                                 i64 rows, i64 cols, float eps) {                \
        layer_norm_rows<T, P>(x, w, b, y, rows, cols, eps);                                      \
    }

ROW_ENTRIES(float, f32)
ROW_ENTRIES(f16, f16)
ROW_ENTRIES(bf16, bf16)
NORM_ENTRIES(f16, float, f16_f32p)
NORM_ENTRIES(bf16, float, bf16_f32p)
