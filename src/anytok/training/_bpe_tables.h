/*
 * Flat data structures of the BPE merge core (included by _bpe_core.c only):
 * a growable int32 array, an open-addressing pair table, a max-heap of merge candidates, and the
 * vocabulary (token bytes in one pool, indexed by a bytes -> id hash table).
 */
#ifndef ANYTOK_BPE_TABLES_H
#define ANYTOK_BPE_TABLES_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define EMPTY_KEY UINT64_MAX

/* ---------------------------------------------------------------- growable int32 array */
typedef struct { int32_t *v; int64_t n, cap; } IVec;

static int ivec_push(IVec *a, int32_t x) {
    if (a->n == a->cap) {
        int64_t cap = a->cap ? a->cap * 2 : 1024;
        int32_t *v = realloc(a->v, (size_t)cap * sizeof(int32_t));
        if (!v) return -1;
        a->v = v; a->cap = cap;
    }
    a->v[a->n++] = x;
    return 0;
}

static int ivec_reserve(IVec *a, int64_t extra) {
    if (a->n + extra <= a->cap) return 0;
    int64_t cap = a->cap ? a->cap : 1024;
    while (cap < a->n + extra) cap *= 2;
    int32_t *v = realloc(a->v, (size_t)cap * sizeof(int32_t));
    if (!v) return -1;
    a->v = v; a->cap = cap;
    return 0;
}

/* ---------------------------------------------------------------- pair table */
typedef struct {
    uint64_t key;
    int64_t count;
    int64_t cursor;   /* scratch: number of words, then write position in posv */
    int32_t last;     /* scratch: last word recorded */
    int32_t stamp;    /* scratch: merge step that last touched the scratch fields */
} PairSlot;

typedef struct { PairSlot *s; uint64_t mask; int64_t used; } PairTable;

static inline uint64_t mix64(uint64_t x) {
    x += 0x9E3779B97F4A7C15ULL;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
    return x ^ (x >> 31);
}

static int pairs_init(PairTable *t, uint64_t cap) {
    uint64_t n = 1024;
    while (n < cap * 2) n <<= 1;
    t->s = malloc(n * sizeof(PairSlot));
    if (!t->s) return -1;
    for (uint64_t i = 0; i < n; i++) { t->s[i].key = EMPTY_KEY; t->s[i].stamp = -1; }
    t->mask = n - 1; t->used = 0;
    return 0;
}

static int pairs_grow(PairTable *t) {
    PairTable g;
    if (pairs_init(&g, (t->mask + 1)) < 0) return -1;
    for (uint64_t i = 0; i <= t->mask; i++) {
        if (t->s[i].key == EMPTY_KEY) continue;
        uint64_t j = mix64(t->s[i].key) & g.mask;
        while (g.s[j].key != EMPTY_KEY) j = (j + 1) & g.mask;
        g.s[j] = t->s[i];
    }
    g.used = t->used;
    free(t->s);
    *t = g;
    return 0;
}

/* Index of the slot of key, inserting it (count 0) if absent; -1 on memory error. */
static int64_t pairs_slot(PairTable *t, uint64_t key) {
    uint64_t j = mix64(key) & t->mask;
    while (t->s[j].key != EMPTY_KEY) {
        if (t->s[j].key == key) return (int64_t)j;
        j = (j + 1) & t->mask;
    }
    if ((uint64_t)(t->used + 1) * 2 > t->mask + 1) {
        if (pairs_grow(t) < 0) return -1;
        return pairs_slot(t, key);
    }
    t->s[j].key = key; t->s[j].count = 0; t->s[j].stamp = -1; t->s[j].last = -1; t->s[j].cursor = 0;
    t->used++;
    return (int64_t)j;
}

static int64_t pairs_count(const PairTable *t, uint64_t key) {
    uint64_t j = mix64(key) & t->mask;
    while (t->s[j].key != EMPTY_KEY) {
        if (t->s[j].key == key) return t->s[j].count;
        j = (j + 1) & t->mask;
    }
    return 0;
}

/* ---------------------------------------------------------------- max-heap */
typedef struct { int64_t count; uint64_t pair; int64_t off; int64_t len; } Entry;
typedef struct { Entry *e; int64_t n, cap; } Heap;

/* a ranks above b: higher count, then smaller (left, right) */
static inline int above(const Entry *a, const Entry *b) {
    if (a->count != b->count) return a->count > b->count;
    return a->pair < b->pair;
}

static int heap_push(Heap *h, Entry x) {
    if (h->n == h->cap) {
        int64_t cap = h->cap ? h->cap * 2 : 1024;
        Entry *e = realloc(h->e, (size_t)cap * sizeof(Entry));
        if (!e) return -1;
        h->e = e; h->cap = cap;
    }
    int64_t i = h->n++;
    while (i > 0) {
        int64_t p = (i - 1) / 2;
        if (!above(&x, &h->e[p])) break;
        h->e[i] = h->e[p]; i = p;
    }
    h->e[i] = x;
    return 0;
}

static Entry heap_pop(Heap *h) {
    Entry top = h->e[0], last = h->e[--h->n];
    int64_t i = 0;
    for (;;) {
        int64_t c = 2 * i + 1;
        if (c >= h->n) break;
        if (c + 1 < h->n && above(&h->e[c + 1], &h->e[c])) c++;
        if (!above(&h->e[c], &last)) break;
        h->e[i] = h->e[c]; i = c;
    }
    if (h->n > 0) h->e[i] = last;
    return top;
}

/* ---------------------------------------------------------------- vocabulary */
typedef struct {
    unsigned char *pool; int64_t pool_n, pool_cap;
    int64_t *off; int32_t *len; int32_t *nwords; unsigned char *edge; /* bit0: starts non-space, bit1: ends non-space */
    int64_t n, cap;
    int32_t *index; uint64_t index_mask; int64_t n_real; /* bytes -> id, non-special tokens */
} Vocab;

static uint64_t hash_bytes(const unsigned char *p, int64_t n) {
    uint64_t h = 1469598103934665603ULL;
    for (int64_t i = 0; i < n; i++) { h ^= p[i]; h *= 1099511628211ULL; }
    return mix64(h);
}

static int32_t vocab_find(const Vocab *v, const unsigned char *p, int64_t n) {
    uint64_t j = hash_bytes(p, n) & v->index_mask;
    while (v->index[j] >= 0) {
        int32_t t = v->index[j];
        if (v->len[t] == n && memcmp(v->pool + v->off[t], p, (size_t)n) == 0) return t;
        j = (j + 1) & v->index_mask;
    }
    return -1;
}

static void vocab_index_insert(Vocab *v, int32_t t) {
    uint64_t j = hash_bytes(v->pool + v->off[t], v->len[t]) & v->index_mask;
    while (v->index[j] >= 0) j = (j + 1) & v->index_mask;
    v->index[j] = t;
}

static int vocab_init(Vocab *v, int64_t cap) {
    memset(v, 0, sizeof(*v));
    v->cap = cap;
    v->off = malloc((size_t)cap * sizeof(int64_t));
    v->len = malloc((size_t)cap * sizeof(int32_t));
    v->nwords = malloc((size_t)cap * sizeof(int32_t));
    v->edge = malloc((size_t)cap);
    uint64_t n = 1024;
    while (n < (uint64_t)cap * 2) n <<= 1;
    v->index = malloc(n * sizeof(int32_t));
    v->index_mask = n - 1;
    v->pool_cap = 1 << 16;
    v->pool = malloc((size_t)v->pool_cap);
    if (!v->off || !v->len || !v->nwords || !v->edge || !v->index || !v->pool) return -1;
    memset(v->index, 0xff, n * sizeof(int32_t));
    return 0;
}

static void vocab_free(Vocab *v) {
    free(v->pool); free(v->off); free(v->len); free(v->nwords); free(v->edge); free(v->index);
}

/* Append a token (data NULL: a special). Returns its id or -1. Caller guarantees n < cap. */
static int32_t vocab_add(Vocab *v, const unsigned char *data, int64_t n) {
    int32_t t = (int32_t)v->n++;
    if (!data) { v->len[t] = -1; v->off[t] = 0; v->nwords[t] = 0; v->edge[t] = 0; return t; }
    if (v->pool_n + n > v->pool_cap) {
        while (v->pool_n + n > v->pool_cap) v->pool_cap *= 2;
        unsigned char *p = realloc(v->pool, (size_t)v->pool_cap);
        if (!p) return -1;
        v->pool = p;
    }
    memmove(v->pool + v->pool_n, data, (size_t)n);
    v->off[t] = v->pool_n; v->len[t] = (int32_t)n; v->pool_n += n;
    int32_t words = 0; int prev_space = 1;
    for (int64_t i = 0; i < n; i++) {
        int sp = v->pool[v->off[t] + i] == ' ';
        if (!sp && prev_space) words++;
        prev_space = sp;
    }
    v->nwords[t] = words;
    v->edge[t] = (unsigned char)((n > 0 && data[0] != ' ') | ((n > 0 && data[n - 1] != ' ') << 1));
    vocab_index_insert(v, t);
    v->n_real++;
    return t;
}

static inline int words_ok(const Vocab *v, int32_t a, int32_t b, int32_t max_words) {
    if (max_words <= 0) return 1;
    int32_t w = v->nwords[a] + v->nwords[b] - (((v->edge[a] >> 1) & v->edge[b] & 1) ? 1 : 0);
    return w <= max_words;
}

#endif  /* ANYTOK_BPE_TABLES_H */
