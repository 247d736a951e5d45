/* Internal: the redundancy checks of TS 102 225 (RC), which names ISO/IEC 13239: the HDLC frame check
 * sequences. CRC16 is CRC-16/X-25 (poly 1021 reflected, init FFFF, final xor FFFF); CRC32 is
 * CRC-32/ISO-HDLC (poly 04C11DB7 reflected, init and xor FFFFFFFF). Both are streamed over parts so
 * the SCP80 code can checksum a packet without copying it together. */
#ifndef RSP_CARD_CRC_H
#define RSP_CARD_CRC_H

#include <stddef.h>
#include <stdint.h>

/* Start with state = rsp_crc16_init(), feed parts, finish with rsp_crc16_final. */
static inline uint16_t rsp_crc16_init(void) { return 0xFFFF; }
uint16_t rsp_crc16_update(uint16_t state, const uint8_t *p, size_t len);
static inline uint16_t rsp_crc16_final(uint16_t state) { return (uint16_t)(state ^ 0xFFFF); }

static inline uint32_t rsp_crc32_init(void) { return 0xFFFFFFFFu; }
uint32_t rsp_crc32_update(uint32_t state, const uint8_t *p, size_t len);
static inline uint32_t rsp_crc32_final(uint32_t state) { return state ^ 0xFFFFFFFFu; }

#endif
