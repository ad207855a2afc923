/* chart.h -- server-rendered SVG charts (no script, no library): columns,
 * a cumulative line with a goal line, horizontal bars. Pure: data in, SVG
 * bytes out, so they are unit-tested without a server.
 *
 * Every chart scales to its container (a viewBox, width 100%), has
 * role="img" and a <title> naming it; the numbers themselves are for the
 * caller to give as a table next to it (the text alternative). Labels are
 * plain text (escaped here). */
#ifndef PETITIOND_CHART_H
#define PETITIOND_CHART_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

/* The drawing's size in viewBox units. */
#define CHART_WIDTH 640
#define CHART_HEIGHT 260
/* The most ticks the value axis gets (besides 0). */
#define CHART_MAX_TICKS 5

/* A "nice" axis for values from 0 to max (max >= 0): a step of 1, 2 or 5
 * times a power of ten, at least 1, so that top = step * nticks >= max with
 * nticks <= CHART_MAX_TICKS (and nticks >= 1). */
void chart_ticks(int64_t max, int64_t *step, int *nticks);
/* "12,345,678" (also for negatives). */
void chart_format(char *out, size_t outlen, int64_t n);

struct chart {
	const char *title;          /* the accessible name (<title>) */
	const int64_t *values;      /* n values, >= 0 */
	const char *const *labels;  /* n labels of the category axis, or NULL */
	size_t n;
	size_t label_every;         /* draw every k-th label (0: choose) */
	int64_t goal;               /* line chart: a dashed goal line when > 0 */
	const char *goal_label;     /* its label ("Goal: 10,000") */
};

/* Vertical columns, one per value. Appends to out; 0 or -1 (memory). */
int chart_columns(struct buf *out, const struct chart *c);
/* A line through the values (cumulative counts), area filled beneath,
 * with the goal line. */
int chart_line(struct buf *out, const struct chart *c);
/* Horizontal bars, a label and the value beside each (top countries). */
int chart_hbars(struct buf *out, const struct chart *c);

#endif
