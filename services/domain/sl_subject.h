/* sl_subject.h — "the same subject" (DOMAIN.md): who a clue is about.
 *
 * Names are compared after trimming, removing inner white space, and folding
 * full-width letters, digits and brackets to half-width; a unified social
 * credit code, when both sides have one, decides. Pure. */
#ifndef SL_SUBJECT_H
#define SL_SUBJECT_H

#include <stdbool.h>

/* The comparison key of NAME (valid UTF-8): a new string, the caller frees it. */
char *sl_subject_key(const char *name);

/* A unified social credit code normalised (trimmed, half-width, upper case), or
 * a new empty string when CODE is NULL or blank. The caller frees it. */
char *sl_subject_credit(const char *code);

/* True if two subjects are the same: by credit code when both have one
 * (normalised, non-empty), else by name key. */
bool sl_subject_same(const char *key_a, const char *credit_a, const char *key_b,
                     const char *credit_b);

#endif
