/* gen.h -- synthetic signatures for the benchmark tools (filldb, sqlite_ceiling).
 *
 * Realistic rather than random: names in Latin (with accents), Khmer,
 * Vietnamese and Chinese scripts, e-mail addresses derived from their
 * romanization and made unique by a number, weighted countries, and comments
 * that exercise CSV quoting and the formula guard. Deterministic (seeded),
 * header-only so each tool stays one file plus this one. */
#ifndef BENCH_GEN_H
#define BENCH_GEN_H

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

struct gen_names {
	const char *const *given, *const *given_rom;
	const char *const *family, *const *family_rom;
	int ngiven, nfamily;
	int family_first; /* Khmer, Vietnamese and Chinese write the family name first */
	const char *sep;   /* between the parts: " " or "" (Chinese) */
};

#define N_(a) ((int)(sizeof(a) / sizeof((a)[0])))

static const char *const latin_given[] = {
	"Sophie", "Jean", "María", "José", "Anna", "Lukas", "Emma", "Olivier", "Zoë", "François",
	"Ahmed", "Fatima", "Jonas", "Chloé", "Mateo", "Lucía", "Noah", "Isabelle", "Søren", "Inès",
	"Grace", "Liam", "Amélie", "Björn", "Ewa", "Tomás", "Mary-Jane", "Dmitri", "Aoife", "Léa",
};
static const char *const latin_given_rom[] = {
	"sophie", "jean", "maria", "jose", "anna", "lukas", "emma", "olivier", "zoe", "francois",
	"ahmed", "fatima", "jonas", "chloe", "mateo", "lucia", "noah", "isabelle", "soren", "ines",
	"grace", "liam", "amelie", "bjorn", "ewa", "tomas", "maryjane", "dmitri", "aoife", "lea",
};
static const char *const latin_family[] = {
	"Martin", "Dubois", "García", "Müller", "Smith", "Johnson", "Rossi", "Novák", "Kowalski",
	"O'Brien", "Lefèvre", "Fernández", "Andersson", "van der Berg", "Schröder", "Moreau",
	"da Silva", "Brown", "Nielsen", "Łukasik",
};
static const char *const latin_family_rom[] = {
	"martin", "dubois", "garcia", "muller", "smith", "johnson", "rossi", "novak", "kowalski",
	"obrien", "lefevre", "fernandez", "andersson", "vanderberg", "schroder", "moreau",
	"dasilva", "brown", "nielsen", "lukasik",
};
static const char *const khmer_given[] = {
	"សុខា", "ចាន់ណា", "ដារ៉ា", "សុភា", "វណ្ណា", "ស្រីនាង", "បុប្ផា", "រតនា", "សំណាង", "ពិសី",
	"សុវណ្ណ", "ចន្ថា", "ភារម្យ", "វិចិត្រ", "សុជាតា", "មករា",
};
static const char *const khmer_given_rom[] = {
	"sokha", "channa", "dara", "sophea", "vanna", "sreyneang", "bopha", "rathana", "samnang",
	"pisey", "sovann", "chantha", "phearum", "vichet", "socheata", "makara",
};
static const char *const khmer_family[] = {
	"ចាន់", "សុខ", "ហេង", "លី", "ម៉ៅ", "គឹម", "ពៅ", "ឈឹម", "ស៊ុន", "យឹម", "កែវ", "ញឹក",
};
static const char *const khmer_family_rom[] = {
	"chan", "sok", "heng", "ly", "mao", "kim", "pov", "chhim", "sun", "yim", "keo", "nhek",
};
static const char *const viet_given[] = {
	"Văn An", "Thị Bích Ngọc", "Minh Tuấn", "Thu Hương", "Đức Anh", "Thị Lan", "Quốc Bảo",
	"Thanh Hà", "Hoàng Long", "Ngọc Ánh", "Xuân Mai", "Hữu Phước",
};
static const char *const viet_given_rom[] = {
	"an", "ngoc", "tuan", "huong", "ducanh", "lan", "bao", "thanhha", "long", "anh", "mai",
	"phuoc",
};
static const char *const viet_family[] = {
	"Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi", "Đỗ", "Hồ",
};
static const char *const viet_family_rom[] = {
	"nguyen", "tran", "le", "pham", "hoang", "vu", "dang", "bui", "do", "ho",
};
static const char *const zh_given[] = {
	"伟", "娜", "敏", "洋", "静", "磊", "丽", "强", "杰", "芳", "秀英", "志明", "晓燕", "建华",
};
static const char *const zh_given_rom[] = {
	"wei", "na", "min", "yang", "jing", "lei", "li", "qiang", "jie", "fang", "xiuying",
	"zhiming", "xiaoyan", "jianhua",
};
static const char *const zh_family[] = {
	"王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴",
};
static const char *const zh_family_rom[] = {
	"wang", "li", "zhang", "liu", "chen", "yang", "zhao", "huang", "zhou", "wu",
};

static const struct gen_names gen_scripts[] = {
	{ latin_given, latin_given_rom, latin_family, latin_family_rom, N_(latin_given),
	  N_(latin_family), 0, " " },
	{ khmer_given, khmer_given_rom, khmer_family, khmer_family_rom, N_(khmer_given),
	  N_(khmer_family), 1, " " },
	{ viet_given, viet_given_rom, viet_family, viet_family_rom, N_(viet_given),
	  N_(viet_family), 1, " " },
	{ zh_given, zh_given_rom, zh_family, zh_family_rom, N_(zh_given), N_(zh_family), 1, "" },
};
/* Share of each script, out of 100: a Cambodian petition with a diaspora. */
static const int gen_script_weight[] = { 35, 40, 13, 12 };

static const char *const gen_domains[] = {
	"gmail.com", "yahoo.com", "outlook.com", "hotmail.fr", "icloud.com", "proton.me",
	"gmx.de", "web.de", "qq.com", "163.com", "mail.ru", "camnet.com.kh", "online.com.kh",
	"example.org",
};

/* Countries by weight, out of 100. */
static const struct {
	const char *code;
	int weight;
} gen_countries[] = {
	{ "KH", 40 }, { "US", 12 }, { "FR", 9 }, { "AU", 7 }, { "CA", 5 }, { "VN", 4 },
	{ "CN", 4 },  { "TH", 3 },  { "GB", 3 }, { "DE", 3 }, { "NZ", 2 }, { "JP", 2 },
	{ "KR", 2 },  { "BE", 1 },  { "CH", 1 }, { "SE", 1 }, { "MY", 1 },
	/* The long tail of a diaspora petition: 40 countries in all, some of
	 * them below the 5 signatures /api/stats shows on its own. */
	{ "SG", 1 },  { "PH", 1 },  { "ID", 1 }, { "IN", 1 }, { "NL", 1 }, { "NO", 1 },
	{ "DK", 1 },  { "FI", 1 },  { "IT", 1 }, { "ES", 1 }, { "PT", 1 }, { "IE", 1 },
	{ "AT", 1 },  { "PL", 1 },  { "CZ", 1 }, { "BR", 1 }, { "MX", 1 }, { "AR", 1 },
	{ "ZA", 1 },  { "KE", 1 },  { "LA", 1 }, { "MM", 1 }, { "TW", 1 },
};

static const char *const gen_comments[] = {
	"",
	"Justice for Cambodia.",
	"សូមគោរពសិទ្ធិមនុស្ស និងលទ្ធិប្រជាធិបតេយ្យ។",
	"I signed because my family, and many others, still wait for an answer.",
	"Please read the \"Paris Peace Agreements\" again, article 15.",
	"=Democracy now",
	"-- signed from Phnom Penh",
	"Tôi ủng hộ kiến nghị này.",
	"支持！希望柬埔寨人民早日获得自由。",
	"Pour la démocratie au Cambodge ; merci aux organisateurs.",
	"Line one\nline two, with a comma",
	"@everyone please share",
	"Für Freiheit und Menschenrechte.",
	"We remember 1991. Keep the promise.",
};

/* splitmix64: fast, good enough, and the same sequence on every machine. */
static inline uint64_t gen_next(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

struct gen_row {
	char name[160];
	char email[128];
	char email_norm[128];
	const char *country;
	const char *comment;
	int is_public, updates;
};

/* Fills row number `i` (unique e-mail per i within one `tag`). */
static inline void gen_row(struct gen_row *r, uint64_t *seed, uint64_t i, const char *tag)
{
	uint64_t x = gen_next(seed);
	int w = (int)(x % 100), s = 0, acc = 0, c;
	const struct gen_names *n;
	int gi, fi;
	size_t k;

	for (s = 0; s < 3 && w >= acc + gen_script_weight[s]; s++)
		acc += gen_script_weight[s];
	n = &gen_scripts[s];
	x = gen_next(seed);
	gi = (int)(x % (uint64_t)n->ngiven);
	fi = (int)((x >> 20) % (uint64_t)n->nfamily);
	if (n->family_first)
		snprintf(r->name, sizeof r->name, "%s%s%s", n->family[fi], n->sep, n->given[gi]);
	else
		snprintf(r->name, sizeof r->name, "%s%s%s", n->given[gi], n->sep, n->family[fi]);
	/* Some people type their address with capitals; the stored form keeps
	 * them, the unique key is lower-cased. */
	snprintf(r->email, sizeof r->email, "%s.%s%s%llu@%s", n->given_rom[gi],
		 n->family_rom[fi], tag, (unsigned long long)i,
		 gen_domains[(x >> 44) % N_(gen_domains)]);
	if ((x >> 50) % 5 == 0)
		r->email[0] = (char)toupper((unsigned char)r->email[0]);
	for (k = 0; r->email[k]; k++)
		r->email_norm[k] = (char)tolower((unsigned char)r->email[k]);
	r->email_norm[k] = '\0';
	x = gen_next(seed);
	for (c = 0, acc = 0; c < N_(gen_countries); c++)
		acc += gen_countries[c].weight;
	w = (int)(x % (uint64_t)acc);
	for (c = 0, acc = 0; c < N_(gen_countries) - 1 && w >= acc + gen_countries[c].weight; c++)
		acc += gen_countries[c].weight;
	r->country = gen_countries[c].code;
	/* Six in ten leave no comment. */
	r->comment = (x >> 8) % 10 < 6 ? "" : gen_comments[(x >> 16) % N_(gen_comments)];
	r->is_public = (x >> 32) % 2 == 0;
	r->updates = (x >> 40) % 10 < 3;
}

#endif
