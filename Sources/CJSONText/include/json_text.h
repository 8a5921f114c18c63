#ifndef WEIR_JSON_TEXT_H
#define WEIR_JSON_TEXT_H

#include <stddef.h>
#include <stdint.h>

/// Writes `length` ASCII bytes as the inside of a JSON string (escaped as
/// RFC 8259 and Weir's writer do it: \" \\ \n \r \t, \u00XX for other control
/// bytes) to `out`, which has room for 6 * length + 16 bytes (it may write up to
/// 16 bytes past what it returns). Returns how many bytes it wrote, or -1 when
/// a byte is 0x80 or more (then what was written means nothing).
ptrdiff_t weir_json_escape_ascii(const uint8_t *bytes, size_t length, uint8_t *out);

#endif
