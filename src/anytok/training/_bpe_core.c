/*
 * anytok.training._bpe_core: the compiled BPE merge loop.
 *
 * Same semantics as anytok/training/bpe_reference.py (read that first; it is the specification):
 * highest count wins, ties go to the smallest (left id, right id); a lazy max-heap whose entries
 * carry the words they were seen in; stale entries are pushed back with the live count; a merge
 * that spells existing bytes reuses that id; HF's max_token_length rule; anytok's max_words rule.
 *
 * Data layout (all flat arrays):
 *   words    sym[]   int32 symbol ids of every word, word w at sym[wstart[w] .. wstart[w]+wlen[w])
 *   vocab    pool[]  bytes of every token, token t at pool[toff[t] .. toff[t]+tlen[t]); tlen<0: special
 *   pairs    open-addressing table (a<<32|b) -> count, plus scratch fields used while grouping
 *   heap     entries {count, pair, offset and length of their word list in posv[]}
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include "_bpe_tables.h"

/* ---------------------------------------------------------------- the trainer state */
typedef struct {
    int32_t *sym; const int64_t *wstart; int32_t *wlen; const int64_t *counts; int64_t n_words;
    Vocab voc; PairTable pairs; Heap heap; IVec posv;
    IVec created;          /* (left, right, word) of pairs created by the current merge, flattened */
    int64_t max_len; int32_t max_words; int32_t step;
} State;

/* Add delta * count to a pair; record (a, b, w) as created when delta > 0. */
static int change(State *st, int32_t a, int32_t b, int delta, int32_t w) {
    int64_t j = pairs_slot(&st->pairs, ((uint64_t)(uint32_t)a << 32) | (uint32_t)b);
    if (j < 0) return -1;
    st->pairs.s[j].count += delta * st->counts[w];
    if (delta > 0) {
        if (ivec_reserve(&st->created, 3) < 0) return -1;
        st->created.v[st->created.n++] = a;
        st->created.v[st->created.n++] = b;
        st->created.v[st->created.n++] = w;
    }
    return 0;
}

/* Merge every (a, b) in word w into id c, left to right, recording pair-count changes. */
static int merge_word(State *st, int32_t w, int32_t a, int32_t b, int32_t c) {
    int32_t *s = st->sym + st->wstart[w];
    int32_t n = st->wlen[w], r = 0, out = 0;
    int64_t clen = st->voc.len[c];
    while (r < n) {
        if (s[r] == a && r + 1 < n && s[r + 1] == b) {
            if (out > 0) {
                int32_t left = s[out - 1];
                if (change(st, left, a, -1, w) < 0) return -1;
                if (st->voc.len[left] + clen < st->max_len && words_ok(&st->voc, left, c, st->max_words))
                    if (change(st, left, c, 1, w) < 0) return -1;
            }
            if (r + 2 < n) {
                int32_t right = s[r + 2];
                if (change(st, b, right, -1, w) < 0) return -1;
                if (st->voc.len[right] + clen < st->max_len && words_ok(&st->voc, c, right, st->max_words))
                    if (change(st, c, right, 1, w) < 0) return -1;
            }
            s[out++] = c; r += 2;
        } else {
            s[out++] = s[r++];
        }
    }
    st->wlen[w] = out;
    return 0;
}

static inline PairSlot *created_slot(State *st, int64_t k) {
    const int32_t *cr = st->created.v + 3 * k;
    uint64_t key = ((uint64_t)(uint32_t)cr[0] << 32) | (uint32_t)cr[1];
    return &st->pairs.s[pairs_slot(&st->pairs, key)];  /* present: no insertion, no growth */
}

/* Group st->created by pair (words deduplicated, in order) and push one heap entry per live pair. */
static int push_created(State *st) {
    int64_t m = st->created.n / 3;
    IVec touched = {0};
    int rc = 0;
    for (int64_t k = 0; k < m && rc == 0; k++) {
        PairSlot *p = created_slot(st, k);
        int32_t w = st->created.v[3 * k + 2];
        if (p->stamp != st->step) {
            p->stamp = st->step; p->cursor = 0; p->last = -1;
            if (ivec_push(&touched, (int32_t)k) < 0) rc = -1;
        }
        if (p->last != w) { p->cursor++; p->last = w; }
    }
    for (int64_t t = 0; t < touched.n && rc == 0; t++) {
        PairSlot *p = created_slot(st, touched.v[t]);
        p->last = -1;
        if (p->count <= 0) { p->cursor = -1; continue; }
        Entry e = {p->count, p->key, st->posv.n, p->cursor};
        if (ivec_reserve(&st->posv, p->cursor) < 0 || heap_push(&st->heap, e) < 0) rc = -1;
        p->cursor = st->posv.n;
        st->posv.n += e.len;
    }
    for (int64_t k = 0; k < m && rc == 0; k++) {
        PairSlot *p = created_slot(st, k);
        int32_t w = st->created.v[3 * k + 2];
        if (p->cursor < 0 || p->last == w) continue;
        st->posv.v[p->cursor++] = w; p->last = w;
    }
    free(touched.v);
    st->created.n = 0;
    st->step++;
    return rc;
}

/* Count the pairs of the initial words, then fill the heap: one entry per pair with all its words. */
static int count_initial(State *st) {
    for (int pass = 0; pass < 2; pass++) {
        for (int64_t w = 0; w < st->n_words; w++) {
            const int32_t *s = st->sym + st->wstart[w];
            for (int32_t i = 0; i + 1 < st->wlen[w]; i++) {
                if (!words_ok(&st->voc, s[i], s[i + 1], st->max_words)) continue;
                int64_t j = pairs_slot(&st->pairs, ((uint64_t)(uint32_t)s[i] << 32) | (uint32_t)s[i + 1]);
                if (j < 0) return -1;
                PairSlot *p = &st->pairs.s[j];
                if (pass == 0) {
                    p->count += st->counts[w];
                    if (p->last != (int32_t)w) { p->cursor++; p->last = (int32_t)w; }
                } else if (p->last != (int32_t)w) {
                    st->posv.v[p->cursor++] = (int32_t)w; p->last = (int32_t)w;
                }
            }
        }
        if (pass == 1) break;
        for (uint64_t j = 0; j <= st->pairs.mask; j++) {  /* assign each pair its stretch of posv */
            PairSlot *p = &st->pairs.s[j];
            if (p->key == EMPTY_KEY) continue;
            Entry e = {p->count, p->key, st->posv.n, p->cursor};
            if (ivec_reserve(&st->posv, p->cursor) < 0) return -1;
            if (p->count > 0 && heap_push(&st->heap, e) < 0) return -1;
            p->cursor = st->posv.n; p->last = -1;
            st->posv.n += e.len;
        }
    }
    for (uint64_t j = 0; j <= st->pairs.mask; j++) st->pairs.s[j].last = -1;
    return 0;
}

/* Pop until a live entry; 0 when none is left or the best count is below the threshold. */
static int next_merge(State *st, Entry *out, int64_t min_frequency) {
    while (st->heap.n > 0) {
        Entry top = heap_pop(&st->heap);
        int64_t live = pairs_count(&st->pairs, top.pair);
        if (top.count != live) {
            top.count = live;
            if (heap_push(&st->heap, top) < 0) return -1;
            continue;
        }
        if (top.count < 1 || min_frequency > top.count) return 0;
        *out = top;
        return 1;
    }
    return 0;
}

/* Id of the bytes of a + b: an existing token with those bytes, or a new one. */
static int32_t merged_id(State *st, int32_t a, int32_t b, unsigned char **buf, int64_t *buf_cap) {
    Vocab *v = &st->voc;
    int64_t n = (int64_t)v->len[a] + v->len[b];
    if (n > *buf_cap) {
        unsigned char *p = realloc(*buf, (size_t)n * 2);
        if (!p) return -1;
        *buf = p; *buf_cap = n * 2;
    }
    memcpy(*buf, v->pool + v->off[a], (size_t)v->len[a]);
    memcpy(*buf + v->len[a], v->pool + v->off[b], (size_t)v->len[b]);
    int32_t found = vocab_find(v, *buf, n);
    return found >= 0 ? found : vocab_add(v, *buf, n);
}

static int run_merges(State *st, int64_t vocab_size, int64_t min_frequency, PyObject *log, PyObject *progress) {
    unsigned char *buf = NULL; int64_t buf_cap = 0;
    int64_t n_special = st->voc.n - st->voc.n_real;
    int rc = 0;
    while (st->voc.n_real + n_special < vocab_size && st->voc.n < st->voc.cap) {
        Entry top;
        int got = next_merge(st, &top, min_frequency);
        if (got <= 0) { rc = got; break; }
        int32_t a = (int32_t)(top.pair >> 32), b = (int32_t)(top.pair & 0xffffffffu);
        int32_t c = merged_id(st, a, b, &buf, &buf_cap);
        if (c < 0) { rc = -1; break; }
        PyObject *item = Py_BuildValue("(iii)", a, b, c);
        if (!item || PyList_Append(log, item) < 0) { Py_XDECREF(item); rc = -2; break; }
        Py_DECREF(item);
        for (int64_t k = 0; k < top.len && rc == 0; k++)
            if (merge_word(st, st->posv.v[top.off + k], a, b, c) < 0) rc = -1;
        if (rc == 0 && push_created(st) < 0) rc = -1;
        if (rc) break;
        Py_ssize_t done = PyList_GET_SIZE(log);
        if (done % 256 == 0) {
            if (PyErr_CheckSignals() < 0) { rc = -2; break; }
            if (progress != Py_None) {
                PyObject *r = PyObject_CallFunction(progress, "n", done);
                if (!r) { rc = -2; break; }
                Py_DECREF(r);
            }
        }
    }
    free(buf);
    return rc;
}

static int state_init(State *st, Py_buffer *sym, Py_buffer *starts, Py_buffer *counts, PyObject *tokens,
                      int64_t vocab_size) {
    Py_ssize_t n_tok = PyList_GET_SIZE(tokens);
    st->sym = (int32_t *)sym->buf;
    st->wstart = (const int64_t *)starts->buf;
    st->counts = (const int64_t *)counts->buf;
    st->n_words = counts->len / (Py_ssize_t)sizeof(int64_t);
    st->wlen = malloc((size_t)(st->n_words + 1) * sizeof(int32_t));
    int64_t cap = (vocab_size > n_tok ? vocab_size : n_tok) + 1;
    if (!st->wlen || vocab_init(&st->voc, cap) < 0 || pairs_init(&st->pairs, 1 << 16) < 0) return -1;
    int64_t n_sym = sym->len / (Py_ssize_t)sizeof(int32_t);
    for (int64_t w = 0; w < st->n_words; w++) {
        st->wlen[w] = (int32_t)(st->wstart[w + 1] - st->wstart[w]);
        if (st->wstart[w] < 0 || st->wlen[w] < 0 || st->wstart[w + 1] > n_sym) {
            PyErr_Format(PyExc_ValueError, "word %lld lies outside the symbols buffer", (long long)w);
            return -1;
        }
    }
    for (Py_ssize_t t = 0; t < n_tok; t++) {
        PyObject *o = PyList_GET_ITEM(tokens, t);
        int32_t id = o == Py_None ? vocab_add(&st->voc, NULL, 0)
                                  : vocab_add(&st->voc, (unsigned char *)PyBytes_AS_STRING(o), PyBytes_GET_SIZE(o));
        if (id < 0) return -1;
    }
    for (int64_t k = 0; k < n_sym; k++) {
        if (st->sym[k] < 0 || st->sym[k] >= n_tok || st->voc.len[st->sym[k]] < 0) {
            PyErr_Format(PyExc_ValueError, "symbol %d at position %lld is not an ordinary token id",
                         (int)st->sym[k], (long long)k);
            return -1;
        }
    }
    return 0;
}

static void state_free(State *st) {
    free(st->wlen); vocab_free(&st->voc); free(st->pairs.s); free(st->heap.e); free(st->posv.v); free(st->created.v);
}

static PyObject *new_tokens_list(const Vocab *v, Py_ssize_t first) {
    PyObject *out = PyList_New(0);
    for (Py_ssize_t t = first; out && t < v->n; t++) {
        PyObject *b = PyBytes_FromStringAndSize((const char *)v->pool + v->off[t], v->len[t]);
        if (!b || PyList_Append(out, b) < 0) { Py_XDECREF(b); Py_CLEAR(out); }
        else Py_DECREF(b);
    }
    return out;
}

static PyObject *train(PyObject *self, PyObject *args, PyObject *kw) {
    static char *names[] = {"symbols", "starts", "counts", "token_bytes", "vocab_size", "min_frequency",
                            "max_token_length", "max_words", "progress", NULL};
    Py_buffer sym, starts, counts;
    PyObject *tokens, *progress = Py_None;
    long long vocab_size, min_frequency = 0, max_len = (1LL << 62);
    int max_words = 0;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "w*y*y*O!L|LLiO", names, &sym, &starts, &counts, &PyList_Type,
                                     &tokens, &vocab_size, &min_frequency, &max_len, &max_words, &progress))
        return NULL;
    State st; memset(&st, 0, sizeof(st));
    st.max_len = max_len; st.max_words = max_words;
    PyObject *log = PyList_New(0), *result = NULL;
    Py_ssize_t n_tok = PyList_GET_SIZE(tokens);
    for (Py_ssize_t t = 0; t < n_tok; t++) {
        PyObject *o = PyList_GET_ITEM(tokens, t);
        if (o != Py_None && !PyBytes_Check(o)) { PyErr_SetString(PyExc_TypeError, "token_bytes: bytes or None"); goto done; }
    }
    if (starts.len != counts.len + (Py_ssize_t)sizeof(int64_t)) {
        PyErr_SetString(PyExc_ValueError, "starts must have one more entry than counts");
        goto done;
    }
    if (!log || state_init(&st, &sym, &starts, &counts, tokens, vocab_size) < 0 || count_initial(&st) < 0) {
        if (!PyErr_Occurred()) PyErr_NoMemory();
        goto done;
    }
    int rc = run_merges(&st, vocab_size, min_frequency, log, progress);
    if (rc == -1) { PyErr_NoMemory(); goto done; }
    if (rc == -2) goto done;
    PyObject *fresh = new_tokens_list(&st.voc, n_tok);
    PyObject *lens = fresh ? PyBytes_FromStringAndSize((const char *)st.wlen, (Py_ssize_t)(st.n_words * sizeof(int32_t))) : NULL;
    if (lens) result = Py_BuildValue("(NON)", fresh, log, lens);
    else Py_XDECREF(fresh);
done:
    Py_XDECREF(log);
    state_free(&st);
    PyBuffer_Release(&sym); PyBuffer_Release(&starts); PyBuffer_Release(&counts);
    return result;
}

static PyMethodDef methods[] = {
    {"train", (PyCFunction)(void (*)(void))train, METH_VARARGS | METH_KEYWORDS,
     "train(symbols, starts, counts, token_bytes, vocab_size, min_frequency=0, max_token_length=2**62, "
     "max_words=0, progress=None) -> (new token bytes, merge log [(a, b, new id)], final word lengths)\n\n"
     "symbols: writable int32 buffer of all words' symbol ids (modified in place); starts: int64, one more "
     "than the words; counts: int64 per word; token_bytes: list of bytes or None (specials). On return "
     "word w is symbols[starts[w] : starts[w] + lengths[w]] (lengths: int32 bytes)."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_bpe_core", "Compiled BPE merge loop.", -1, methods};

PyMODINIT_FUNC PyInit__bpe_core(void) { return PyModule_Create(&module); }
