/* i18n.c -- the interface's strings in English and Khmer, and language choice. */
#include "i18n.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "assets.h"
#include "hdr.h"

struct entry {
	char *key;
	char *val;
};

static struct {
	struct entry *v;
	size_t n;
} table[LANG_COUNT];

static const char *const codes[LANG_COUNT] = { "en", "km" };

static int cmp_entry(const void *a, const void *b)
{
	return strcmp(((const struct entry *)a)->key, ((const struct entry *)b)->key);
}

static int load(enum lang l, char *err, size_t errlen)
{
	char name[64];
	const struct asset *a;
	cJSON *root, *it;
	size_t n = 0;

	snprintf(name, sizeof name, "assets/i18n/%s.json", codes[l]);
	a = asset_find(name);
	if (a == NULL) {
		snprintf(err, errlen, "%s missing", name);
		return -1;
	}
	root = cJSON_ParseWithLength((const char *)a->data, a->len);
	if (root == NULL || !cJSON_IsObject(root)) {
		snprintf(err, errlen, "%s is not a JSON object", name);
		cJSON_Delete(root);
		return -1;
	}
	table[l].v = calloc((size_t)cJSON_GetArraySize(root) + 1, sizeof(struct entry));
	if (table[l].v == NULL)
		goto oom;
	cJSON_ArrayForEach(it, root) {
		if (!cJSON_IsString(it)) {
			snprintf(err, errlen, "%s: \"%s\" is not a string", name, it->string);
			cJSON_Delete(root);
			return -1;
		}
		table[l].v[n].key = strdup(it->string);
		table[l].v[n].val = strdup(it->valuestring);
		if (!table[l].v[n].key || !table[l].v[n].val)
			goto oom;
		n++;
	}
	table[l].n = n;
	qsort(table[l].v, n, sizeof(struct entry), cmp_entry);
	cJSON_Delete(root);
	return 0;
oom:
	snprintf(err, errlen, "out of memory");
	cJSON_Delete(root);
	return -1;
}

int i18n_init(char *err, size_t errlen)
{
	size_t i;
	int l;

	for (l = 0; l < LANG_COUNT; l++)
		if (load((enum lang)l, err, errlen) != 0)
			return -1;
	/* Every language must say everything English says, and no more. */
	for (l = 1; l < LANG_COUNT; l++) {
		if (table[l].n != table[LANG_EN].n)
			goto mismatch;
		for (i = 0; i < table[l].n; i++)
			if (strcmp(table[l].v[i].key, table[LANG_EN].v[i].key) != 0)
				goto mismatch;
	}
	return 0;
mismatch:
	snprintf(err, errlen, "assets/i18n/%s.json and en.json do not have the same keys",
		 codes[l]);
	return -1;
}

const char *i18n_get(enum lang l, const char *key, size_t keylen)
{
	size_t lo = 0, hi = table[l].n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const char *k = table[l].v[mid].key;
		int c = strncmp(k, key, keylen);

		if (c == 0 && k[keylen] != '\0')
			c = 1;
		if (c == 0)
			return table[l].v[mid].val;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

const char *lang_code(enum lang l)
{
	return codes[l];
}

int lang_parse(const char *s, enum lang *out)
{
	int l;

	if (s == NULL)
		return 0;
	for (l = 0; l < LANG_COUNT; l++) {
		if (strcmp(s, codes[l]) == 0) {
			*out = (enum lang)l;
			return 1;
		}
	}
	return 0;
}

enum lang lang_negotiate(const char *query, const char *al)
{
	enum lang l;
	int i;

	if (lang_parse(query, &l))
		return l;
	/* Accept-Language: "km-KH,km;q=0.9,en-US;q=0.8" */
	i = hdr_lang_pick(al, codes, LANG_COUNT);
	return i >= 0 ? (enum lang)i : LANG_EN;
}
