// The inside of a JSON string from ASCII bytes, sixteen bytes per step: a block
// with nothing to escape is stored as it is; in one with something, the bytes
// before it are stored with the block, the byte is escaped, and the next block
// starts after it. SSE2 is part of x86-64; elsewhere the same is done a byte at
// a time.
#include "json_text.h"

#include <string.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

static const uint8_t hex[16] = "0123456789abcdef";

static inline uint8_t *escape(uint8_t byte, uint8_t *out) {
    switch (byte) {
    case '"': *out++ = '\\'; *out++ = '"'; break;
    case '\\': *out++ = '\\'; *out++ = '\\'; break;
    case '\n': *out++ = '\\'; *out++ = 'n'; break;
    case '\r': *out++ = '\\'; *out++ = 'r'; break;
    case '\t': *out++ = '\\'; *out++ = 't'; break;
    default:
        if (byte < 0x20) {
            *out++ = '\\'; *out++ = 'u'; *out++ = '0'; *out++ = '0';
            *out++ = hex[byte >> 4]; *out++ = hex[byte & 0xf];
        } else {
            *out++ = byte;
        }
    }
    return out;
}

ptrdiff_t weir_json_escape_ascii(const uint8_t *bytes, size_t length, uint8_t *out) {
    uint8_t *start = out;
    size_t at = 0;
#if defined(__SSE2__)
    const __m128i space = _mm_set1_epi8(0x20);
    const __m128i quote = _mm_set1_epi8('"');
    const __m128i backslash = _mm_set1_epi8('\\');
    while (at + 16 <= length) {
        __m128i block = _mm_loadu_si128((const __m128i *)(bytes + at));
        // Signed, a byte of 0x80 or more is below 0x20 too: one compare finds both.
        __m128i special = _mm_or_si128(_mm_cmplt_epi8(block, space),
                                       _mm_or_si128(_mm_cmpeq_epi8(block, quote), _mm_cmpeq_epi8(block, backslash)));
        unsigned mask = (unsigned)_mm_movemask_epi8(special);
        _mm_storeu_si128((__m128i *)out, block);
        if (mask == 0) {
            out += 16;
            at += 16;
            continue;
        }
        if (_mm_movemask_epi8(block) != 0) return -1;
        unsigned first = (unsigned)__builtin_ctz(mask);
        out = escape(bytes[at + first], out + first);
        at += first + 1;
    }
    // The last bytes (a short string's all), padded with spaces to a block: most need
    // no escaping and are stored at once (the room has space for the padding: see the
    // header).
    size_t rest = length - at;
    if (rest > 0) {
        uint8_t tail[16];
        memset(tail, ' ', sizeof tail);
        memcpy(tail, bytes + at, rest);
        __m128i block = _mm_loadu_si128((const __m128i *)tail);
        __m128i special = _mm_or_si128(_mm_cmplt_epi8(block, space),
                                       _mm_or_si128(_mm_cmpeq_epi8(block, quote), _mm_cmpeq_epi8(block, backslash)));
        if (_mm_movemask_epi8(special) == 0) {
            _mm_storeu_si128((__m128i *)out, block);
            return out + rest - start;
        }
    }
#endif
    for (; at < length; at++) {
        if (bytes[at] >= 0x80) return -1;
        out = escape(bytes[at], out);
    }
    return out - start;
}
