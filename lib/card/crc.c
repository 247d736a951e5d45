/* Bitwise CRCs: RC packets are rare and short, so a 1 KiB table per CRC buys nothing here. */
#include "crc.h"

uint16_t rsp_crc16_update(uint16_t state, const uint8_t *p, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        state ^= p[i];
        for (int b = 0; b < 8; b++)
            state = (uint16_t)((state & 1) ? (state >> 1) ^ 0x8408 : state >> 1);
    }
    return state;
}

uint32_t rsp_crc32_update(uint32_t state, const uint8_t *p, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        state ^= p[i];
        for (int b = 0; b < 8; b++)
            state = (state & 1) ? (state >> 1) ^ 0xEDB88320u : state >> 1;
    }
    return state;
}
