/* sl_arena.c — a region allocator: many allocations, one free.
 *
 * A singly linked list of blocks; allocations bump a pointer in the newest
 * block. A request larger than a quarter block gets a block of its own, linked
 * behind the current one so the current block keeps serving small requests.
 * Reset frees every block but the first. */
#include "sl_arena.h"

#include "sl_util.h"

#include <assert.h>
#include <stdalign.h>
#include <stdlib.h>
#include <string.h>

#define S_DEFAULT_CHUNK (16 * 1024)
#define S_ALIGN (alignof(max_align_t))

typedef struct s_block {
    struct s_block *next; /* older block, or NULL */
    size_t size;          /* usable bytes in data */
    size_t used;          /* bytes handed out from data */
    alignas(max_align_t) unsigned char data[];
} s_block_t;

struct sl_arena {
    s_block_t *head;  /* newest block, where small requests go */
    s_block_t *first; /* the block kept across resets */
    size_t chunk;     /* usable size of a normal block */
    size_t used;      /* bytes handed out since the last reset */
};

static s_block_t *
s_block_new(size_t size)
{
    s_block_t *b = sl_malloc(sizeof(s_block_t) + size);
    b->next = NULL;
    b->size = size;
    b->used = 0;
    return b;
}

static size_t
s_round_up(size_t n)
{
    return (n + S_ALIGN - 1) & ~(S_ALIGN - 1);
}

sl_arena_t *
sl_arena_new(size_t chunk)
{
    sl_arena_t *a = sl_malloc(sizeof *a);
    a->chunk = s_round_up(chunk ? chunk : S_DEFAULT_CHUNK);
    a->first = a->head = s_block_new(a->chunk);
    a->used = 0;
    return a;
}

void
sl_arena_destroy(sl_arena_t **p)
{
    if (!p || !*p)
        return;
    sl_arena_t *a = *p;
    s_block_t *b = a->head;
    while (b) {
        s_block_t *next = b->next;
        free(b);
        b = next;
    }
    free(a);
    *p = NULL;
}

void *
sl_arena_alloc(sl_arena_t *a, size_t n)
{
    assert(a);
    if (n > SIZE_MAX - S_ALIGN)
        abort(); /* no allocation that large can succeed */
    size_t need = s_round_up(n ? n : 1);
    a->used += need;
    if (need > a->chunk / 4) {
        /* A block of its own, behind the head so the head keeps its free room. */
        s_block_t *big = s_block_new(need);
        big->used = need;
        big->next = a->head->next;
        a->head->next = big;
        return big->data;
    }
    if (a->head->size - a->head->used < need) {
        s_block_t *b = s_block_new(a->chunk);
        b->next = a->head;
        a->head = b;
    }
    void *p = a->head->data + a->head->used;
    a->head->used += need;
    return p;
}

void *
sl_arena_calloc(sl_arena_t *a, size_t n)
{
    void *p = sl_arena_alloc(a, n);
    memset(p, 0, n);
    return p;
}

char *
sl_arena_strndup(sl_arena_t *a, const char *s, size_t n)
{
    char *p = sl_arena_alloc(a, n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *
sl_arena_strdup(sl_arena_t *a, const char *s)
{
    return sl_arena_strndup(a, s, strlen(s));
}

void
sl_arena_reset(sl_arena_t *a)
{
    assert(a);
    s_block_t *b = a->head;
    while (b) {
        s_block_t *next = b->next;
        if (b != a->first)
            free(b);
        b = next;
    }
    a->head = a->first;
    a->first->next = NULL;
    a->first->used = 0;
    a->used = 0;
}

size_t
sl_arena_used(const sl_arena_t *a)
{
    return a->used;
}
