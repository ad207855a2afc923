/* chart.c -- server-rendered SVG charts: nice axes at any scale (1 or ten
 * million), text that stays readable when the drawing shrinks to a phone. */
#include "chart.h"

#include <stdio.h>
#include <string.h>

#include "html.h"

#define MARGIN_TOP 12
#define MARGIN_RIGHT 12
#define MARGIN_BOTTOM 36
#define FONT_PX 13
/* Roughly the width of one digit at FONT_PX, for the axis margin. */
#define CHAR_PX 8
/* The most category labels drawn under columns. */
#define MAX_LABELS 8

#define COLOR_BAR "#2563a8"
#define COLOR_AXIS "#6b7280"
#define COLOR_GRID "#e5e7eb"
#define COLOR_GOAL "#b45309"

/* ceil(a / b) for a >= 0, b > 0, without overflow. */
static int64_t ceil_div(int64_t a, int64_t b)
{
	return a / b + (a % b != 0);
}

void chart_ticks(int64_t max, int64_t *step, int *nticks)
{
	static const int64_t m[3] = { 1, 2, 5 };
	int64_t p = 1, s = 1;
	int i;

	if (max < 1)
		max = 1;
	/* The smallest 1/2/5 x 10^k with ceil(max / s) <= CHART_MAX_TICKS. */
	for (;;) {
		for (i = 0; i < 3; i++) {
			s = m[i] * p;
			if (ceil_div(max, s) <= CHART_MAX_TICKS)
				goto found;
		}
		if (p > INT64_MAX / 50)
			break; /* s = 5p already; 10p would overflow */
		p *= 10;
	}
found:
	*step = s;
	*nticks = (int)(ceil_div(max, s) < 1 ? 1 : ceil_div(max, s));
}

void chart_format(char *out, size_t outlen, int64_t n)
{
	char digits[24], tmp[40];
	size_t len, i, j = 0;
	uint64_t u = n < 0 ? (uint64_t)0 - (uint64_t)n : (uint64_t)n;

	len = (size_t)snprintf(digits, sizeof digits, "%llu", (unsigned long long)u);
	if (n < 0)
		tmp[j++] = '-';
	for (i = 0; i < len; i++) {
		if (i > 0 && (len - i) % 3 == 0)
			tmp[j++] = ',';
		tmp[j++] = digits[i];
	}
	tmp[j] = '\0';
	snprintf(out, outlen, "%s", tmp);
}

static void esc(struct buf *out, const char *s)
{
	if (s != NULL)
		html_escape(out, s, strlen(s));
}

/* The frame: <svg> with its title, the value axis (grid lines and tick
 * labels) for 0..top. Returns the plot's left edge. */
static int frame(struct buf *out, const struct chart *c, int64_t top, int64_t step, int nticks)
{
	char lab[40];
	int len, ml, k, plot_h = CHART_HEIGHT - MARGIN_TOP - MARGIN_BOTTOM;

	chart_format(lab, sizeof lab, top);
	len = (int)strlen(lab);
	ml = 10 + len * CHAR_PX;
	buf_printf(out,
		   "<svg class=\"chart\" viewBox=\"0 0 %d %d\" width=\"100%%\" role=\"img\""
		   " preserveAspectRatio=\"xMidYMid meet\" font-size=\"%d\""
		   " font-family=\"system-ui, sans-serif\"><title>",
		   CHART_WIDTH, CHART_HEIGHT, FONT_PX);
	esc(out, c->title);
	buf_puts(out, "</title>");
	for (k = 0; k <= nticks; k++) {
		int64_t v = step * k;
		double y = MARGIN_TOP + plot_h - (double)plot_h * (double)v / (double)top;

		chart_format(lab, sizeof lab, v);
		buf_printf(out,
			   "<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"%s\"/>"
			   "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\" dominant-baseline=\"middle\""
			   " fill=\"%s\" class=\"tick\">%s</text>",
			   ml, CHART_WIDTH - MARGIN_RIGHT, y, y, k == 0 ? COLOR_AXIS : COLOR_GRID,
			   ml - 6, y, COLOR_AXIS, lab);
	}
	return ml;
}

static size_t label_step(const struct chart *c)
{
	if (c->label_every > 0)
		return c->label_every;
	return c->n <= MAX_LABELS ? 1 : (c->n + MAX_LABELS - 1) / MAX_LABELS;
}

static int64_t max_of(const struct chart *c)
{
	int64_t m = 0;
	size_t i;

	for (i = 0; i < c->n; i++)
		if (c->values[i] > m)
			m = c->values[i];
	return m;
}

/* The category labels under the plot, every k-th, centred on x0 + i*w + w/2. */
static void xlabels(struct buf *out, const struct chart *c, double x0, double w)
{
	size_t i, k = label_step(c);

	if (c->labels == NULL)
		return;
	for (i = 0; i < c->n; i += k) {
		double x = x0 + w * (double)i + w / 2;

		buf_printf(out, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\" fill=\"%s\">", x,
			   CHART_HEIGHT - MARGIN_BOTTOM + 20, COLOR_AXIS);
		esc(out, c->labels[i]);
		buf_puts(out, "</text>");
	}
}

int chart_columns(struct buf *out, const struct chart *c)
{
	int64_t step, top;
	int nticks, ml, plot_h = CHART_HEIGHT - MARGIN_TOP - MARGIN_BOTTOM;
	double w, base = MARGIN_TOP + plot_h;
	size_t i;

	chart_ticks(max_of(c), &step, &nticks);
	top = step * nticks;
	ml = frame(out, c, top, step, nticks);
	w = c->n > 0 ? (double)(CHART_WIDTH - MARGIN_RIGHT - ml) / (double)c->n : 0;
	for (i = 0; i < c->n; i++) {
		double h = (double)plot_h * (double)c->values[i] / (double)top;
		char num[40];

		if (c->values[i] <= 0)
			continue;
		if (h < 1)
			h = 1; /* one signature among millions still shows */
		chart_format(num, sizeof num, c->values[i]);
		buf_printf(out,
			   "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\""
			   " data-value=\"%lld\"><title>",
			   ml + w * (double)i + (w > 4 ? w * 0.1 : 0), base - h,
			   w > 4 ? w * 0.8 : w, h, COLOR_BAR, (long long)c->values[i]);
		if (c->labels != NULL) {
			esc(out, c->labels[i]);
			buf_puts(out, ": ");
		}
		buf_printf(out, "%s</title></rect>", num);
	}
	xlabels(out, c, ml, w);
	buf_puts(out, "</svg>");
	return out->oom ? -1 : 0;
}

int chart_line(struct buf *out, const struct chart *c)
{
	int64_t step, top, m = max_of(c);
	int nticks, ml, plot_h = CHART_HEIGHT - MARGIN_TOP - MARGIN_BOTTOM;
	double w, base = MARGIN_TOP + plot_h;
	size_t i;

	if (c->goal > m)
		m = c->goal;
	chart_ticks(m, &step, &nticks);
	top = step * nticks;
	ml = frame(out, c, top, step, nticks);
	w = c->n > 0 ? (double)(CHART_WIDTH - MARGIN_RIGHT - ml) / (double)c->n : 0;
	if (c->n > 0) {
		/* The area beneath (no outline), then the line itself. */
		buf_printf(out, "<path fill=\"%s\" fill-opacity=\"0.15\" stroke=\"none\""
			   " d=\"M%.1f %.1f", COLOR_BAR, ml + w / 2, base);
		for (i = 0; i < c->n; i++)
			buf_printf(out, " L%.1f %.1f", ml + w * (double)i + w / 2,
				   base - (double)plot_h * (double)c->values[i] / (double)top);
		buf_printf(out, " L%.1f %.1f Z\"/><polyline fill=\"none\" stroke=\"%s\""
			   " stroke-width=\"2\" points=\"", ml + w * (double)(c->n - 1) + w / 2, base,
			   COLOR_BAR);
		for (i = 0; i < c->n; i++)
			buf_printf(out, "%s%.1f,%.1f", i ? " " : "", ml + w * (double)i + w / 2,
				   base - (double)plot_h * (double)c->values[i] / (double)top);
		buf_puts(out, "\"/>");
		for (i = 0; i < c->n; i++)
			buf_printf(out, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"%s\" fill=\"%s\""
				   " data-value=\"%lld\"/>",
				   ml + w * (double)i + w / 2,
				   base - (double)plot_h * (double)c->values[i] / (double)top,
				   c->n <= 60 ? "2.5" : "0", COLOR_BAR, (long long)c->values[i]);
	}
	if (c->goal > 0) {
		double y = base - (double)plot_h * (double)c->goal / (double)top;

		buf_printf(out,
			   "<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"%s\""
			   " stroke-width=\"2\" stroke-dasharray=\"6 4\" class=\"goal\""
			   " data-value=\"%lld\"/><text x=\"%d\" y=\"%.1f\" fill=\"%s\">",
			   ml, CHART_WIDTH - MARGIN_RIGHT, y, y, COLOR_GOAL, (long long)c->goal,
			   ml + 6, y > MARGIN_TOP + 16 ? y - 6 : y + 16, COLOR_GOAL);
		esc(out, c->goal_label);
		buf_puts(out, "</text>");
	}
	xlabels(out, c, ml, w);
	buf_puts(out, "</svg>");
	return out->oom ? -1 : 0;
}

int chart_hbars(struct buf *out, const struct chart *c)
{
	int64_t step, top, m = max_of(c);
	int nticks, k, row = 26, lw = 0, vw, h;
	double plot_w, x0;
	size_t i;
	char lab[40];

	chart_ticks(m, &step, &nticks);
	top = step * nticks;
	for (i = 0; i < c->n; i++) {
		int l = c->labels && c->labels[i] ? (int)strlen(c->labels[i]) : 0;

		if (l > lw)
			lw = l;
	}
	if (lw > 24)
		lw = 24;
	chart_format(lab, sizeof lab, m);
	vw = 10 + (int)strlen(lab) * CHAR_PX;
	x0 = 10 + lw * CHAR_PX;
	plot_w = CHART_WIDTH - MARGIN_RIGHT - vw - x0;
	h = MARGIN_TOP + row * (int)(c->n > 0 ? c->n : 1) + 24;
	buf_printf(out,
		   "<svg class=\"chart\" viewBox=\"0 0 %d %d\" width=\"100%%\" role=\"img\""
		   " font-size=\"%d\" font-family=\"system-ui, sans-serif\"><title>",
		   CHART_WIDTH, h, FONT_PX);
	esc(out, c->title);
	buf_puts(out, "</title>");
	for (k = 0; k <= nticks; k++) {
		double x = x0 + plot_w * (double)(step * k) / (double)top;

		chart_format(lab, sizeof lab, step * k);
		buf_printf(out,
			   "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%d\" y2=\"%d\" stroke=\"%s\"/>"
			   "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\" fill=\"%s\""
			   " class=\"tick\">%s</text>",
			   x, x, MARGIN_TOP - 4, h - 20, k == 0 ? COLOR_AXIS : COLOR_GRID, x, h - 6,
			   COLOR_AXIS, lab);
	}
	for (i = 0; i < c->n; i++) {
		int y = MARGIN_TOP + row * (int)i;
		double bw = plot_w * (double)c->values[i] / (double)top;

		if (c->values[i] > 0 && bw < 1)
			bw = 1;
		chart_format(lab, sizeof lab, c->values[i]);
		buf_printf(out, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"end\""
			   " dominant-baseline=\"middle\">", x0 - 6, y + row / 2);
		esc(out, c->labels ? c->labels[i] : NULL);
		buf_printf(out,
			   "</text><rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"%d\" fill=\"%s\""
			   " data-value=\"%lld\"/><text x=\"%.1f\" y=\"%d\""
			   " dominant-baseline=\"middle\">%s</text>",
			   x0, y + 4, bw, row - 8, COLOR_BAR, (long long)c->values[i], x0 + bw + 6,
			   y + row / 2, lab);
	}
	buf_puts(out, "</svg>");
	return out->oom ? -1 : 0;
}
