/* i18n.h -- the interface's strings in English and Khmer, and language choice. */
#ifndef PETITIOND_I18N_H
#define PETITIOND_I18N_H

#include <stddef.h>

enum lang { LANG_EN, LANG_KM, LANG_COUNT };

/* Parses the embedded assets/i18n/<lang>.json files. Start-up only; returns 0,
 * or -1 (with a message in err) when a file is malformed or the two files do
 * not have the same keys. */
int i18n_init(char *err, size_t errlen);
/* The string for key in lang, or NULL when the key is unknown. */
const char *i18n_get(enum lang lang, const char *key, size_t keylen);
const char *lang_code(enum lang lang);
/* Chooses a language: the ?lang= value when it names one, else the first
 * supported entry of Accept-Language by quality, else English. Either may be NULL. */
enum lang lang_negotiate(const char *query, const char *accept_language);
/* 1 and *out set when s is exactly "en" or "km". */
int lang_parse(const char *s, enum lang *out);

#endif
