/* SPDX-License-Identifier: BSD-3-Clause */
/* sipsteerctl's aligned text tables. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sipsteerctl.h"

void cli_table_init(struct cli_table *t, size_t n_cols, const char *const *head, const bool *right)
{
	memset(t, 0, sizeof(*t));
	t->n_cols = n_cols;
	t->head = head;
	t->right = right;
}

void cli_table_add(struct cli_table *t, const char *const *cells)
{
	if (t->n_rows == t->cap_rows) {
		size_t cap = t->cap_rows ? t->cap_rows * 2 : 16;
		char **grown = realloc(t->cells, cap * t->n_cols * sizeof(*grown));
		if (grown == NULL) {
			fprintf(stderr, "sipsteerctl: out of memory\n");
			exit(CLI_FAILED);
		}
		t->cells = grown;
		t->cap_rows = cap;
	}
	for (size_t i = 0; i < t->n_cols; i++) {
		char *copy = strdup(cells[i] != NULL ? cells[i] : "-");
		if (copy == NULL) {
			fprintf(stderr, "sipsteerctl: out of memory\n");
			exit(CLI_FAILED);
		}
		t->cells[t->n_rows * t->n_cols + i] = copy;
	}
	t->n_rows++;
}

void cli_table_row(struct cli_table *t, ...)
{
	const char *cells[CLI_TABLE_MAX_COLS];
	va_list ap;

	va_start(ap, t);
	for (size_t i = 0; i < t->n_cols && i < CLI_TABLE_MAX_COLS; i++)
		cells[i] = va_arg(ap, const char *);
	va_end(ap);
	cli_table_add(t, cells);
}

void cli_table_print(struct cli_table *t, FILE *out)
{
	size_t *width = calloc(t->n_cols, sizeof(*width));

	if (width == NULL)
		return;
	for (size_t c = 0; c < t->n_cols; c++) {
		width[c] = strlen(t->head[c]);
		for (size_t r = 0; r < t->n_rows; r++) {
			size_t len = strlen(t->cells[r * t->n_cols + c]);
			if (len > width[c])
				width[c] = len;
		}
	}
	for (size_t r = 0; r <= t->n_rows; r++) {
		for (size_t c = 0; c < t->n_cols; c++) {
			const char *s = r == 0 ? t->head[c] : t->cells[(r - 1) * t->n_cols + c];
			bool last = c + 1 == t->n_cols;
			if (t->right[c])
				fprintf(out, "%*s", (int)width[c], s);
			else if (last)
				fputs(s, out);
			else
				fprintf(out, "%-*s", (int)width[c], s);
			fputs(last ? "\n" : "  ", out);
		}
	}
	for (size_t i = 0; i < t->n_rows * t->n_cols; i++)
		free(t->cells[i]);
	free(t->cells);
	free(width);
	memset(t, 0, sizeof(*t));
}

const char *cli_num(const json_t *v, const char *fmt, double scale, char *buf, size_t cap)
{
	if (!json_is_number(v))
		return "-";
	snprintf(buf, cap, fmt, json_number_value(v) * scale);
	return buf;
}

const char *cli_str(const json_t *v)
{
	return json_is_string(v) ? json_string_value(v) : "-";
}
