/* test_chart.c -- the SVG charts: nice axes at any scale, values drawn where
 * they belong, labels escaped. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "chart.h"
#include "tap.h"

static int count_of(const char *s, const char *needle)
{
	int n = 0;

	while ((s = strstr(s, needle)) != NULL) {
		n++;
		s += strlen(needle);
	}
	return n;
}

int main(void)
{
	static const struct {
		int64_t max, step;
		int nticks;
	} cases[] = {
		{ 0, 1, 1 },          { 1, 1, 1 },           { 5, 1, 5 },
		{ 6, 2, 3 },          { 7, 2, 4 },           { 11, 5, 3 },
		{ 99, 20, 5 },        { 100, 20, 5 },        { 101, 50, 3 },
		{ 9999, 2000, 5 },    { 10000000, 2000000, 5 }, { 12345678, 5000000, 3 },
		{ INT64_MAX / 2, 0, 0 },
	};
	size_t i;
	char num[40];
	struct buf b = BUF_INIT;
	int64_t vals[3] = { 0, 1, 10000000 };
	const char *labels[3] = { "a", "<b>", "c&d" };
	struct chart c = { .title = "T<itle>", .values = vals, .labels = labels, .n = 3 };

	plan((int)(sizeof cases / sizeof cases[0]) * 2 + 11);
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		int64_t step;
		int nt;

		chart_ticks(cases[i].max, &step, &nt);
		if (cases[i].step == 0) {
			ok(step > 0 && nt >= 1 && nt <= CHART_MAX_TICKS, "ticks for a huge max stay sane");
			ok(step * nt >= cases[i].max, "and cover it");
			continue;
		}
		ok(step == cases[i].step && nt == cases[i].nticks,
		   "ticks(%lld): step %lld x %d (got %lld x %d)", (long long)cases[i].max,
		   (long long)cases[i].step, cases[i].nticks, (long long)step, nt);
		ok(step * nt >= cases[i].max && nt <= CHART_MAX_TICKS, "ticks(%lld) cover the max",
		   (long long)cases[i].max);
	}
	chart_format(num, sizeof num, 12345678);
	ok(strcmp(num, "12,345,678") == 0, "format 12,345,678 (%s)", num);
	chart_format(num, sizeof num, -1000);
	ok(strcmp(num, "-1,000") == 0, "format -1,000 (%s)", num);

	ok(chart_columns(&b, &c) == 0, "columns render");
	ok(count_of(buf_cstr(&b), "<rect") == 2, "one bar per non-zero value");
	ok(strstr(buf_cstr(&b), "data-value=\"10000000\"") && strstr(buf_cstr(&b), "data-value=\"1\""),
	   "bars carry their values");
	ok(strstr(buf_cstr(&b), "&lt;b&gt;") && !strstr(buf_cstr(&b), "<b>") &&
		   strstr(buf_cstr(&b), "T&lt;itle&gt;"),
	   "labels and title escaped");
	ok(strstr(buf_cstr(&b), ">10,000,000</text>") != NULL, "the top tick is 10,000,000");
	ok(strstr(buf_cstr(&b), "height=\"1.0\"") != NULL,
	   "one signature among ten million still shows (1 unit high)");
	buf_reset(&b);
	c.goal = 20000000;
	c.goal_label = "Goal: 20,000,000";
	ok(chart_line(&b, &c) == 0 && strstr(buf_cstr(&b), "class=\"goal\" data-value=\"20000000\""),
	   "line chart has the goal line");
	ok(strstr(buf_cstr(&b), ">20,000,000</text>") != NULL, "its axis reaches the goal");
	buf_reset(&b);
	ok(chart_hbars(&b, &c) == 0 && count_of(buf_cstr(&b), "<rect") == 3,
	   "horizontal bars: one per row, zero included");
	buf_free(&b);
	return done_testing();
}
