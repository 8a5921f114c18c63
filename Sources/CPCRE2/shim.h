// PCRE2 with 8-bit code units (UTF-8), from the system (Debian: libpcre2-dev).
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
