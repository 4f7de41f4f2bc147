/* crc32: CRC-32 (IEEE 802.3, as zlib and gzip compute it), the checksum of
 * the records flowsad keeps on disk (spool, history). */
#ifndef FLOWSAD_CRC32_H
#define FLOWSAD_CRC32_H

#include <stddef.h>
#include <stdint.h>

uint32_t crc32_ieee(const void *data, size_t len);

#endif
