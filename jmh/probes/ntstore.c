/*
 * Probe: do non-temporal stores explain why oneDNN's batch norm beats simdnorm's on tensors beyond L2?
 *
 * The centred normalize y = (x - mu[c]) * a[c] + b[c] over NHWC rows, written once with ordinary stores (what the
 * Java Vector API emits) and once with non-temporal stores (_mm512_stream_ps, which the Vector API cannot emit),
 * next to memcpy of the same bytes, at the sizes of the two peer shapes whose x lies beyond L2. All variants run
 * interleaved, round after round, in one process; the medians and their ratios are printed.
 *
 *   gcc -O2 -mavx512f -o /tmp/ntstore jmh/probes/ntstore.c && /tmp/ntstore
 */
#include <immintrin.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

/* C = 64: four vectors of parameters per row, kept in registers. */
static void normalize64(const float *x, float *y, long rows, const float *mu, const float *a, const float *b,
                        int stream) {
    __m512 m[4], s[4], o[4];
    for (int v = 0; v < 4; v++) {
        m[v] = _mm512_loadu_ps(mu + 16 * v);
        s[v] = _mm512_loadu_ps(a + 16 * v);
        o[v] = _mm512_loadu_ps(b + 16 * v);
    }
    for (long r = 0; r < rows; r++) {
        const float *xr = x + r * 64;
        float *yr = y + r * 64;
        for (int v = 0; v < 4; v++) {
            __m512 t = _mm512_fmadd_ps(_mm512_sub_ps(_mm512_loadu_ps(xr + 16 * v), m[v]), s[v], o[v]);
            if (stream) {
                _mm512_stream_ps(yr + 16 * v, t); /* needs 64-byte alignment: the buffers are aligned */
            } else {
                _mm512_storeu_ps(yr + 16 * v, t);
            }
        }
    }
    if (stream) {
        _mm_sfence();
    }
}

static void streamcopy(const float *x, float *y, long n) {
    for (long i = 0; i < n; i += 16) {
        _mm512_stream_ps(y + i, _mm512_loadu_ps(x + i));
    }
    _mm_sfence();
}

static int cmp(const void *p, const void *q) {
    double d = *(const double *) p - *(const double *) q;
    return (d > 0) - (d < 0);
}

int main(void) {
    /* x of 8x28x28x256 (6.4 MB) and 32x56x56x64 (25.7 MB), both as rows of 64 channels; 256 MiB for memory. */
    const long sizes[] = {8L * 28 * 28 * 256, 32L * 56 * 56 * 64, 64L << 20};
    const char *names[] = {"8x28x28x256 (6.4 MB)", "32x56x56x64 (25.7 MB)", "256 MiB"};
    float mu[64], a[64], b[64];
    for (int c = 0; c < 64; c++) {
        mu[c] = c * 0.1f;
        a[c] = 1.0f + c * 0.01f;
        b[c] = -c * 0.05f;
    }
    printf("| x | memcpy ns/float | normalize, stores: ns/float, / memcpy | normalize, non-temporal: ns/float, / memcpy "
           "| copy, non-temporal: ns/float, / memcpy | non-temporal speed-up of normalize |\n|---|---|---|---|---|---|\n");
    for (int k = 0; k < 3; k++) {
        long n = sizes[k];
        float *x = aligned_alloc(64, n * sizeof(float));
        float *y = aligned_alloc(64, n * sizeof(float));
        for (long i = 0; i < n; i++) {
            x[i] = (float) (i % 1000) * 0.001f;
            y[i] = 0;
        }
        enum { ROUNDS = 41 };
        double t[4][ROUNDS];
        int reps = n > (16L << 20) ? 2 : 20;
        for (int r = -3; r < ROUNDS; r++) {
            for (int v = 0; v < 4; v++) {
                double t0 = now();
                for (int i = 0; i < reps; i++) {
                    switch (v) {
                        case 0: memcpy(y, x, n * sizeof(float)); break;
                        case 1: normalize64(x, y, n / 64, mu, a, b, 0); break;
                        case 2: normalize64(x, y, n / 64, mu, a, b, 1); break;
                        default: streamcopy(x, y, n); break;
                    }
                }
                if (r >= 0) {
                    t[v][r] = (now() - t0) / reps / n * 1e9;
                }
                __asm__ volatile("" ::"r"(y) : "memory");
            }
        }
        double med[4];
        for (int v = 0; v < 4; v++) {
            qsort(t[v], ROUNDS, sizeof(double), cmp);
            med[v] = t[v][ROUNDS / 2];
        }
        printf("| %s | %.3f | %.3f, %.2f× | %.3f, %.2f× | %.3f, %.2f× | %.2f× |\n", names[k], med[0], med[1],
               med[0] / med[1], med[2], med[0] / med[2], med[3], med[0] / med[3], med[1] / med[2]);
        free(x);
        free(y);
    }
    return 0;
}
