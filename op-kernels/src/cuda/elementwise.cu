// Elementwise kernels: unary ops and binary ops with broadcasting, both with one float parameter
// `alpha` (which binary add and sub apply to `b` with one rounding, as the CPU's `AddScaled`). Each op has, per dtype, a contiguous kernel (16-byte vector loads when the
// pointers allow, grid-stride) and a strided kernel (any strides, zero strides for broadcasting).
//
// Entry points: unary_<op>_<dtype>, unary_<op>_<dtype>_strided, binary_<op>_<dtype>,
// binary_<op>_<dtype>_strided, with dtype f32, f16 or bf16. The op names mirror `Unary` and
// `Binary` in elementwise.rs.

#define UNARY_OP(NAME, EXPR)                                                                     \
    struct op_##NAME {                                                                           \
        __device__ __forceinline__ float operator()(float x, float alpha) const { return EXPR; } \
    };

UNARY_OP(scale, x * alpha)
UNARY_OP(add_scalar, x + alpha)
UNARY_OP(div_scalar, x / alpha)
UNARY_OP(neg, -x)
UNARY_OP(abs, fabsf(x))
UNARY_OP(exp, expf(x))
UNARY_OP(log, logf(x))
UNARY_OP(sqrt, sqrtf(x))
UNARY_OP(rsqrt, rsqrtf(x))
UNARY_OP(relu, (x != x || x > 0.0f) ? x : 0.0f)
UNARY_OP(sigmoid, 1.0f / (1.0f + expf(-x)))
UNARY_OP(silu, x / (1.0f + expf(-x)))
UNARY_OP(tanh, tanhf(x))
UNARY_OP(gelu, 0.5f * x * (1.0f + erff(x * 0.7071067811865476f)))
UNARY_OP(gelu_tanh, 0.5f * x * (1.0f + tanhf(0.7978845608028654f * (x + 0.044715f * x * x * x))))

#define BINARY_OP(NAME, EXPR)                                                                    \
    struct op_##NAME {                                                                           \
        __device__ __forceinline__ float operator()(float a, float b, float alpha) const {       \
            return EXPR;                                                                         \
        }                                                                                        \
    };

// One rounding whatever alpha (fmaf(1, b, a) is a + b rounded once), as the CPU computes it.
BINARY_OP(add, fmaf(alpha, b, a))
BINARY_OP(sub, fmaf(-alpha, b, a))
BINARY_OP(mul, a * b)
BINARY_OP(div, a / b)
BINARY_OP(maximum, nan_max(a, b))
BINARY_OP(minimum, nan_min(a, b))
BINARY_OP(pow, powf(a, b))

template <typename T, typename Op>
__device__ void unary_contiguous(const T* __restrict__ x, T* __restrict__ y, i64 n, float alpha) {
    const Op op;
    const int V = Vec<T>::N;
    i64 head = 0;
    if (aligned16(x) && aligned16(y)) {
        const i64 vectors = n / V;
        const uint4* xv = reinterpret_cast<const uint4*>(x);
        uint4* yv = reinterpret_cast<uint4*>(y);
        GRID_STRIDE(i, vectors) {
            uint4 raw = xv[i];
            T* e = reinterpret_cast<T*>(&raw);
#pragma unroll
            for (int k = 0; k < V; ++k) e[k] = from_float<T>(op(to_float(e[k]), alpha));
            yv[i] = raw;
        }
        head = vectors * V;
    }
    // The tail after the last full vector, or everything when the pointers are not aligned.
    GRID_STRIDE(j, n - head) {
        i64 i = head + j;
        y[i] = from_float<T>(op(to_float(x[i]), alpha));
    }
}

template <typename T, typename Op>
__device__ void unary_strided(const T* x, T* y, i64 n, float alpha, const Strided& s) {
    const Op op;
    GRID_STRIDE(i, n) {
        i64 oy, ox, unused;
        strided_offsets(s, i, &oy, &ox, &unused);
        y[oy] = from_float<T>(op(to_float(x[ox]), alpha));
    }
}

template <typename T, typename Op>
__device__ void binary_contiguous(const T* __restrict__ a, const T* __restrict__ b,
                                  T* __restrict__ y, i64 n, float alpha) {
    const Op op;
    const int V = Vec<T>::N;
    i64 head = 0;
    if (aligned16(a) && aligned16(b) && aligned16(y)) {
        const i64 vectors = n / V;
        const uint4* av = reinterpret_cast<const uint4*>(a);
        const uint4* bv = reinterpret_cast<const uint4*>(b);
        uint4* yv = reinterpret_cast<uint4*>(y);
        GRID_STRIDE(i, vectors) {
            uint4 ra = av[i];
            uint4 rb = bv[i];
            T* ea = reinterpret_cast<T*>(&ra);
            const T* eb = reinterpret_cast<const T*>(&rb);
#pragma unroll
            for (int k = 0; k < V; ++k)
                ea[k] = from_float<T>(op(to_float(ea[k]), to_float(eb[k]), alpha));
            yv[i] = ra;
        }
        head = vectors * V;
    }
    GRID_STRIDE(j, n - head) {
        i64 i = head + j;
        y[i] = from_float<T>(op(to_float(a[i]), to_float(b[i]), alpha));
    }
}

template <typename T, typename Op>
__device__ void binary_strided(const T* a, const T* b, T* y, i64 n, float alpha, const Strided& s) {
    const Op op;
    GRID_STRIDE(i, n) {
        i64 oy, oa, ob;
        strided_offsets(s, i, &oy, &oa, &ob);
        y[oy] = from_float<T>(op(to_float(a[oa]), to_float(b[ob]), alpha));
    }
}

#define UNARY_ENTRIES(OP, T, DT)                                                                 \
    extern "C" __global__ void unary_##OP##_##DT(const T* x, T* y, i64 n, float alpha) {         \
        unary_contiguous<T, op_##OP>(x, y, n, alpha);                                            \
    }                                                                                            \
    extern "C" __global__ void unary_##OP##_##DT##_strided(const T* x, T* y, i64 n, float alpha, \
                                                           Strided s) {                          \
        unary_strided<T, op_##OP>(x, y, n, alpha, s);                                            \
    }

#define BINARY_ENTRIES(OP, T, DT)                                                                \
    extern "C" __global__ void binary_##OP##_##DT(const T* a, const T* b, T* y, i64 n,           \
                                                  float alpha) {                                 \
        binary_contiguous<T, op_##OP>(a, b, y, n, alpha);                                        \
    }                                                                                            \
    extern "C" __global__ void binary_##OP##_##DT##_strided(const T* a, const T* b, T* y, i64 n, \
                                                            float alpha, Strided s) {            \
        binary_strided<T, op_##OP>(a, b, y, n, alpha, s);                                        \
    }

#define ALL_DTYPES(ENTRIES, OP) ENTRIES(OP, float, f32) ENTRIES(OP, f16, f16) ENTRIES(OP, bf16, bf16)

ALL_DTYPES(UNARY_ENTRIES, scale)
ALL_DTYPES(UNARY_ENTRIES, add_scalar)
ALL_DTYPES(UNARY_ENTRIES, div_scalar)
ALL_DTYPES(UNARY_ENTRIES, neg)
ALL_DTYPES(UNARY_ENTRIES, abs)
ALL_DTYPES(UNARY_ENTRIES, exp)
ALL_DTYPES(UNARY_ENTRIES, log)
ALL_DTYPES(UNARY_ENTRIES, sqrt)
ALL_DTYPES(UNARY_ENTRIES, rsqrt)
ALL_DTYPES(UNARY_ENTRIES, relu)
ALL_DTYPES(UNARY_ENTRIES, sigmoid)
ALL_DTYPES(UNARY_ENTRIES, silu)
ALL_DTYPES(UNARY_ENTRIES, tanh)
ALL_DTYPES(UNARY_ENTRIES, gelu)
ALL_DTYPES(UNARY_ENTRIES, gelu_tanh)

ALL_DTYPES(BINARY_ENTRIES, add)
ALL_DTYPES(BINARY_ENTRIES, sub)
ALL_DTYPES(BINARY_ENTRIES, mul)
ALL_DTYPES(BINARY_ENTRIES, div)
ALL_DTYPES(BINARY_ENTRIES, maximum)
ALL_DTYPES(BINARY_ENTRIES, minimum)
ALL_DTYPES(BINARY_ENTRIES, pow)
