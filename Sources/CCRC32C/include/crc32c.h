#ifndef WEIR_CRC32C_H
#define WEIR_CRC32C_H

#include <stddef.h>
#include <stdint.h>

/// Extends a CRC-32C (Castagnoli) over `length` bytes. Start with crc = 0;
/// the pre- and post-inversion are applied inside, so calls chain:
/// weir_crc32c(weir_crc32c(0, a, n), b, m) == crc of a‖b.
uint32_t weir_crc32c(uint32_t crc, const void *bytes, size_t length);

#endif
