/* negotiate: content negotiation for /metrics from the request headers
 * alone (RFC 9110 section 12.5): which exposition format the Accept header
 * prefers by q-value, and whether Accept-Encoding allows gzip. Pure string
 * parsing, no allocation; it does not format or compress. */
#ifndef MEMACCT_NEGOTIATE_H
#define MEMACCT_NEGOTIATE_H

#include <stdbool.h>

#include "memacct/expo/expfmt.h"

/* OpenMetrics 1.0 when the Accept header gives application/openmetrics-text
 * (without a version, or version=1.0.0) a higher q than text/plain or the
 * text and any-type wildcards; text 0.0.4 otherwise, and for NULL or
 * unparsable headers. Ties go to text. */
enum expfmt_format negotiate_format(const char *accept);

/* Whether Accept-Encoding allows gzip (gzip or * with q > 0). */
bool negotiate_gzip(const char *accept_encoding);

#endif
