/* Count the pretokens of the GPT-2 / cl100k / Llama 3 / Qwen 3 patterns in UTF-8 text, as HF
 * tokenizers splits them, without a regex engine.
 *
 * Each pattern is an alternation tried left to right at every position; the functions below
 * follow it clause by clause (anytok/tokenizer/patterns.py holds the patterns). Which class a
 * character is in (\p{L}, \p{N}, \s) and which letters the case-insensitive contractions accept
 * come from tables made from tokenizers' own Unicode tables (anytok/counting/fast.py), so the
 * pieces are those of the tokenizer that will encode. tests/counting/test_fast_pretokens.py
 * holds every pattern against the regex path (itself checked against tokenizers) on every code
 * point.
 *
 * count(data, kind, max_digits, superwords, classes, folds, counts): data is UTF-8 text; kind 0 is GPT-2,
 * 1 is cl100k / Llama 3 / Qwen 3 (max_digits 3, 3, 1); classes[c] has bit 1 for \p{L}, 2 for
 * \p{N}, 4 for \s; folds[c] is the ASCII letter c matches case-insensitively (0 for none);
 * counts is a dict {pretoken bytes: int}, updated in place; superwords joins the pieces as
 * SuperBPE's stage-2 pattern does. split() cuts SuperBPE's stage-2 pretokens back into pieces.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define CLS_L 1
#define CLS_N 2
#define CLS_S 4
#define MAX_CP 0x110000

typedef struct {
    const uint32_t *cp;  /* code points */
    Py_ssize_t n;
    const uint8_t *cls;  /* (0x110000,) class bits */
    const uint8_t *fold; /* (0x110000,) case-insensitive ASCII letter */
} Text;

static inline int is_l(const Text *t, Py_ssize_t i) { return t->cls[t->cp[i]] & CLS_L; }
static inline int is_n(const Text *t, Py_ssize_t i) { return t->cls[t->cp[i]] & CLS_N; }
static inline int is_s(const Text *t, Py_ssize_t i) { return t->cls[t->cp[i]] & CLS_S; }
static inline int is_other(const Text *t, Py_ssize_t i) { return !(t->cls[t->cp[i]] & (CLS_L | CLS_N | CLS_S)); }
static inline int is_newline(uint32_t c) { return c == '\r' || c == '\n'; }

static Py_ssize_t run_of(const Text *t, Py_ssize_t j, int bit) {
    while (j < t->n && (t->cls[t->cp[j]] & bit)) j++;
    return j;
}

static Py_ssize_t run_of_other(const Text *t, Py_ssize_t j) {
    while (j < t->n && is_other(t, j)) j++;
    return j;
}

/* \s+(?!\S)|\s+ at i (a space character); with newline_first, \s*[\r\n] is tried before them. */
static Py_ssize_t spaces(const Text *t, Py_ssize_t i, int newline_first) {
    Py_ssize_t e = run_of(t, i, CLS_S);
    if (newline_first) {
        for (Py_ssize_t k = e - 1; k >= i; k--)
            if (is_newline(t->cp[k])) return k + 1;
    }
    if (e == t->n) return e;  /* (?!\S) holds at the end */
    if (e - 1 > i) return e - 1;  /* leave the last space to the next piece */
    return e;
}

/* 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+ */
static Py_ssize_t match_gpt2(const Text *t, Py_ssize_t i) {
    uint32_t c = t->cp[i];
    if (c == '\'' && i + 1 < t->n) {
        uint32_t a = t->cp[i + 1];
        if (a == 's' || a == 't' || a == 'm' || a == 'd') return i + 2;
        if (i + 2 < t->n) {
            uint32_t b = t->cp[i + 2];
            if ((a == 'r' && b == 'e') || (a == 'v' && b == 'e') || (a == 'l' && b == 'l')) return i + 3;
        }
    }
    Py_ssize_t k = (c == ' ' && i + 1 < t->n) ? i + 1 : i;  /* the optional leading space */
    if (is_l(t, k)) return run_of(t, k + 1, CLS_L);
    if (k != i && is_l(t, i)) return run_of(t, i + 1, CLS_L);
    if (is_n(t, k)) return run_of(t, k + 1, CLS_N);
    if (k != i && is_n(t, i)) return run_of(t, i + 1, CLS_N);
    if (is_other(t, k)) return run_of_other(t, k + 1);
    if (k != i && is_other(t, i)) return run_of_other(t, i + 1);
    return spaces(t, i, 0);
}

/* cl100k: '(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]++[\r\n]*
 *         |\s*[\r\n]|\s+(?!\S)|\s+   (Llama 3 and Qwen 3 split alike; Qwen 3 takes one digit) */
static Py_ssize_t match_cl100k(const Text *t, Py_ssize_t i, int max_digits) {
    uint32_t c = t->cp[i];
    if (c == '\'' && i + 1 < t->n) {
        uint8_t a = t->fold[t->cp[i + 1]];
        if (a == 's' || a == 'd' || a == 'm' || a == 't') return i + 2;
        if (i + 2 < t->n) {
            uint8_t b = t->fold[t->cp[i + 2]];
            if ((a == 'l' && b == 'l') || (a == 'v' && b == 'e') || (a == 'r' && b == 'e')) return i + 3;
        }
    }
    if (is_l(t, i)) return run_of(t, i + 1, CLS_L);
    if (!is_n(t, i) && !is_newline(c) && i + 1 < t->n && is_l(t, i + 1)) return run_of(t, i + 2, CLS_L);
    if (is_n(t, i)) {
        Py_ssize_t j = i + 1;
        while (j < t->n && j - i < max_digits && is_n(t, j)) j++;
        return j;
    }
    Py_ssize_t k = (c == ' ' && i + 1 < t->n && is_other(t, i + 1)) ? i + 1 : i;
    if (is_other(t, k)) {
        Py_ssize_t j = run_of_other(t, k + 1);
        while (j < t->n && is_newline(t->cp[j])) j++;
        return j;
    }
    return spaces(t, i, 1);
}

/* The piece that starts at i. */
static inline Py_ssize_t piece(const Text *t, Py_ssize_t i, int kind, int max_digits) {
    return kind == 0 ? match_gpt2(t, i) : match_cl100k(t, i, max_digits);
}

static inline int joins_after(const Text *t, Py_ssize_t k) { return !(t->cls[t->cp[k]] & (CLS_S | CLS_N)); }

/* SuperBPE's stage-2 piece at i: pieces joined while (?<=[^\s\p{N}])(?=[^\s\p{N}]| [^\s\p{N}]) holds
 * between them (anytok.tokenizer.patterns.superword_pattern). */
static Py_ssize_t superword(const Text *t, Py_ssize_t i, int kind, int max_digits) {
    Py_ssize_t j = piece(t, i, kind, max_digits);
    while (j < t->n && joins_after(t, j - 1)
           && (joins_after(t, j) || (t->cp[j] == ' ' && j + 1 < t->n && joins_after(t, j + 1))))
        j = piece(t, j, kind, max_digits);
    return j;
}

/* -- a hash table of pretokens, keyed by their bytes in the chunk ----------------------------- */
typedef struct {
    const unsigned char *ptr;  /* the pretoken's bytes (in the caller's buffer) */
    Py_ssize_t len;            /* 0: an empty slot */
    uint64_t hash;
    long long value;           /* count (count) or index (split) */
} Slot;

static uint64_t hash_bytes(const unsigned char *p, Py_ssize_t n) {
    uint64_t h = 1469598103934665603ULL;  /* FNV-1a */
    for (Py_ssize_t i = 0; i < n; i++) h = (h ^ p[i]) * 1099511628211ULL;
    return h;
}

typedef struct {
    Slot *slots;
    size_t mask, used;
} Table;

static int table_grow(Table *tb) {
    size_t size = (tb->mask + 1) * 2;
    Slot *slots = calloc(size, sizeof(Slot));
    if (!slots) return -1;
    for (size_t i = 0; i <= tb->mask; i++) {
        Slot *s = &tb->slots[i];
        if (!s->len) continue;
        size_t j = s->hash & (size - 1);
        while (slots[j].len) j = (j + 1) & (size - 1);
        slots[j] = *s;
    }
    free(tb->slots);
    tb->slots = slots;
    tb->mask = size - 1;
    return 0;
}

/* The slot of the len bytes at p, made with value `fresh` when new (*is_new says which); NULL
 * when out of memory. The pointer is valid until the next insertion. */
static Slot *table_find(Table *tb, const unsigned char *p, Py_ssize_t len, long long fresh, int *is_new) {
    uint64_t h = hash_bytes(p, len);
    size_t j = h & tb->mask;
    for (;;) {
        Slot *s = &tb->slots[j];
        if (!s->len) break;
        if (s->hash == h && s->len == len && memcmp(s->ptr, p, (size_t)len) == 0) {
            *is_new = 0;
            return s;
        }
        j = (j + 1) & tb->mask;
    }
    Slot *s = &tb->slots[j];
    s->ptr = p;
    s->len = len;
    s->hash = h;
    s->value = fresh;
    *is_new = 1;
    if (++tb->used * 2 > tb->mask + 1) {
        if (table_grow(tb) < 0) return NULL;
        int again;
        s = table_find(tb, p, len, fresh, &again);  /* found now, at its new place */
    }
    return s;
}

static int table_add(Table *tb, const unsigned char *p, Py_ssize_t len) {
    int is_new;
    Slot *s = table_find(tb, p, len, 0, &is_new);
    if (!s) return -1;
    s->value++;
    return 0;
}

/* Add the table's counts into the dict. */
static int table_flush(Table *tb, PyObject *counts) {
    for (size_t i = 0; i <= tb->mask; i++) {
        Slot *s = &tb->slots[i];
        if (!s->len) continue;
        PyObject *key = PyBytes_FromStringAndSize((const char *)s->ptr, s->len);
        if (!key) return -1;
        PyObject *old = PyDict_GetItemWithError(counts, key);
        long long total = s->value;
        if (old) {
            long long prev = PyLong_AsLongLong(old);
            if (prev == -1 && PyErr_Occurred()) { Py_DECREF(key); return -1; }
            total += prev;
        } else if (PyErr_Occurred()) {
            Py_DECREF(key);
            return -1;
        }
        PyObject *value = PyLong_FromLongLong(total);
        int bad = !value || PyDict_SetItem(counts, key, value) < 0;
        Py_XDECREF(value);
        Py_DECREF(key);
        if (bad) return -1;
    }
    return 0;
}

/* UTF-8 -> code points and the byte offset of each (one more, the end). Input is valid UTF-8. */
static int decode(const unsigned char *p, Py_ssize_t size, uint32_t *cp, Py_ssize_t *off, Py_ssize_t *n_out) {
    Py_ssize_t i = 0, n = 0;
    while (i < size) {
        unsigned char b = p[i];
        uint32_t c;
        int len;
        if (b < 0x80) { c = b; len = 1; }
        else if ((b >> 5) == 6) { c = b & 0x1F; len = 2; }
        else if ((b >> 4) == 14) { c = b & 0x0F; len = 3; }
        else if ((b >> 3) == 30) { c = b & 0x07; len = 4; }
        else return -1;
        if (i + len > size) return -1;
        for (int k = 1; k < len; k++) {
            if ((p[i + k] & 0xC0) != 0x80) return -1;
            c = (c << 6) | (p[i + k] & 0x3F);
        }
        if (c >= MAX_CP) return -1;
        off[n] = i;
        cp[n++] = c;
        i += len;
    }
    off[n] = size;
    *n_out = n;
    return 0;
}

static PyObject *count(PyObject *self, PyObject *args) {
    Py_buffer data, classes, folds;
    int kind, max_digits, superwords;
    PyObject *counts;
    if (!PyArg_ParseTuple(args, "y*iipy*y*O!", &data, &kind, &max_digits, &superwords, &classes, &folds,
                          &PyDict_Type, &counts))
        return NULL;
    PyObject *result = NULL;
    uint32_t *cp = NULL;
    Py_ssize_t *off = NULL;
    Table tb = {NULL, 0, 0};
    const unsigned char *bytes = data.buf;
    if (classes.len != MAX_CP || folds.len != MAX_CP) {
        PyErr_SetString(PyExc_ValueError, "classes and folds must hold 0x110000 bytes");
        goto done;
    }
    cp = malloc(sizeof(uint32_t) * (size_t)(data.len + 1));
    off = malloc(sizeof(Py_ssize_t) * (size_t)(data.len + 1));
    tb.mask = 1023;
    tb.slots = calloc(tb.mask + 1, sizeof(Slot));
    if (!cp || !off || !tb.slots) { PyErr_NoMemory(); goto done; }
    Py_ssize_t n;
    if (decode(data.buf, data.len, cp, off, &n) < 0) {
        PyErr_SetString(PyExc_ValueError, "data is not valid UTF-8");
        goto done;
    }
    Text t = {cp, n, classes.buf, folds.buf};
    Py_BEGIN_ALLOW_THREADS
    for (Py_ssize_t i = 0; i < n;) {
        Py_ssize_t j = superwords ? superword(&t, i, kind, max_digits) : piece(&t, i, kind, max_digits);
        if (table_add(&tb, bytes + off[i], off[j] - off[i]) < 0) { n = -1; break; }
        i = j;
    }
    Py_END_ALLOW_THREADS
    if (n < 0) { PyErr_NoMemory(); goto done; }
    if (table_flush(&tb, counts) < 0) goto done;
    result = Py_None;
    Py_INCREF(result);
done:
    free(cp);
    free(off);
    free(tb.slots);
    PyBuffer_Release(&data);
    PyBuffer_Release(&classes);
    PyBuffer_Release(&folds);
    return result;
}

/* split(words, kind, max_digits, classes, folds) -> (piece ids: int64 bytes, pieces per word: int64
 * bytes, distinct pieces [bytes] in first-seen order): each word (UTF-8 bytes) cut into pieces. */
static PyObject *split(PyObject *self, PyObject *args) {
    PyObject *words;
    int kind, max_digits;
    Py_buffer classes, folds;
    if (!PyArg_ParseTuple(args, "O!iiy*y*", &PyList_Type, &words, &kind, &max_digits, &classes, &folds)) return NULL;
    PyObject *result = NULL, *distinct = PyList_New(0);
    Py_ssize_t n_words = PyList_GET_SIZE(words), cap = 1024, used = 0, longest = 1;
    long long *ids = malloc(sizeof(long long) * (size_t)cap), *per_word = malloc(sizeof(long long) * (size_t)(n_words + 1));
    Table tb = {calloc(1024, sizeof(Slot)), 1023, 0};
    uint32_t *cp = NULL;
    Py_ssize_t *off = NULL;
    if (!distinct || !ids || !per_word || !tb.slots) { PyErr_NoMemory(); goto done; }
    if (classes.len != MAX_CP || folds.len != MAX_CP) {
        PyErr_SetString(PyExc_ValueError, "classes and folds must hold 0x110000 bytes");
        goto done;
    }
    for (Py_ssize_t w = 0; w < n_words; w++) {
        PyObject *word = PyList_GET_ITEM(words, w);
        if (!PyBytes_Check(word)) { PyErr_SetString(PyExc_TypeError, "words must be bytes"); goto done; }
        if (PyBytes_GET_SIZE(word) > longest) longest = PyBytes_GET_SIZE(word);
    }
    cp = malloc(sizeof(uint32_t) * (size_t)(longest + 1));
    off = malloc(sizeof(Py_ssize_t) * (size_t)(longest + 1));
    if (!cp || !off) { PyErr_NoMemory(); goto done; }
    for (Py_ssize_t w = 0; w < n_words; w++) {
        PyObject *word = PyList_GET_ITEM(words, w);
        const unsigned char *p = (const unsigned char *)PyBytes_AS_STRING(word);
        Py_ssize_t n;
        if (decode(p, PyBytes_GET_SIZE(word), cp, off, &n) < 0) {
            PyErr_SetString(PyExc_ValueError, "a word is not valid UTF-8");
            goto done;
        }
        Text t = {cp, n, classes.buf, folds.buf};
        long long pieces = 0;
        for (Py_ssize_t i = 0; i < n;) {
            Py_ssize_t j = piece(&t, i, kind, max_digits);
            int is_new;
            Slot *s = table_find(&tb, p + off[i], off[j] - off[i], PyList_GET_SIZE(distinct), &is_new);
            if (!s) { PyErr_NoMemory(); goto done; }
            if (is_new) {
                PyObject *bytes = PyBytes_FromStringAndSize((const char *)p + off[i], off[j] - off[i]);
                if (!bytes || PyList_Append(distinct, bytes) < 0) { Py_XDECREF(bytes); goto done; }
                Py_DECREF(bytes);
            }
            if (used == cap) {
                cap *= 2;
                long long *more = realloc(ids, sizeof(long long) * (size_t)cap);
                if (!more) { PyErr_NoMemory(); goto done; }
                ids = more;
            }
            ids[used++] = s->value;
            pieces++;
            i = j;
        }
        per_word[w] = pieces;
    }
    result = Py_BuildValue("(y#y#O)", (const char *)ids, (Py_ssize_t)(used * sizeof(long long)),
                           (const char *)per_word, (Py_ssize_t)(n_words * sizeof(long long)), distinct);
done:
    Py_XDECREF(distinct);
    free(ids);
    free(per_word);
    free(tb.slots);
    free(cp);
    free(off);
    PyBuffer_Release(&classes);
    PyBuffer_Release(&folds);
    return result;
}

static PyMethodDef methods[] = {
    {"count", count, METH_VARARGS,
     "count(data, kind, max_digits, superwords, classes, folds, counts) -> None: add the pretokens (with "
     "superwords: SuperBPE's stage-2 pretokens) of UTF-8 data to counts."},
    {"split", split, METH_VARARGS,
     "split(words, kind, max_digits, classes, folds) -> (piece ids, pieces per word, distinct pieces)"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_pretok", "Pretoken counting without a regex engine.",
                                    -1, methods};

PyMODINIT_FUNC PyInit__pretok(void) { return PyModule_Create(&module); }
