/* html: the frame and the text of report.html, one self-contained page: its
 * styles inline, no script, font, picture or anything else fetched, so that
 * it reads the same from a ticket, offline. The pictures go inline as SVG
 * (svgplot.h) between these calls. */
#ifndef FLOWSAD_HTML_H
#define FLOWSAD_HTML_H

#include <stdio.h>

/* Text with the characters HTML and XML (SVG) give a meaning (< > & " ')
 * escaped. */
void html_text(FILE *f, const char *s);

/* The page's start up to its first heading, title (escaped) as the
 * document's title and the heading. */
void html_begin(FILE *f, const char *title);

/* The page's end. Returns 0, or -1 when f reports an error. */
int html_end(FILE *f);

#endif
