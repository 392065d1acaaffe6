/* sl_arena.h — a region allocator: many allocations, one free.
 *
 * Everything allocated for one inbound message hangs off one arena, freed in
 * one call after the message is handled (nginx pools, postgres memory
 * contexts). sl_codec decodes protobuf messages into an arena. Not thread-safe:
 * an arena belongs to one thread at a time. */
#ifndef SL_ARENA_H
#define SL_ARENA_H

#include <stddef.h>

typedef struct sl_arena sl_arena_t;

/* A new empty arena whose blocks are CHUNK bytes (0 = 16 KiB). Never NULL
 * (aborts on out-of-memory, like sl_malloc). */
sl_arena_t *sl_arena_new(size_t chunk);
/* Frees the arena and everything allocated from it; accepts *p == NULL, sets *p
 * to NULL. */
void sl_arena_destroy(sl_arena_t **p);

/* N bytes aligned for any type, valid until reset or destroy. Never NULL (aborts
 * on out-of-memory); N == 0 gives a valid unique pointer. Contents undefined. */
void *sl_arena_alloc(sl_arena_t *a, size_t n);
/* As sl_arena_alloc, zero-filled. */
void *sl_arena_calloc(sl_arena_t *a, size_t n);
/* A copy of S (NUL-terminated) / of S[0..N) plus a NUL, in the arena. */
char *sl_arena_strdup(sl_arena_t *a, const char *s);
char *sl_arena_strndup(sl_arena_t *a, const char *s, size_t n);

/* Frees every allocation but keeps the first block, so one arena can serve
 * message after message without touching malloc. */
void sl_arena_reset(sl_arena_t *a);
/* Bytes handed out since creation or the last reset (for limits and metrics). */
size_t sl_arena_used(const sl_arena_t *a);

#endif
