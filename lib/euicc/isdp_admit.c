/* The one admission rule of a profile package for both cards (see isdp_admit.h). */
#include <string.h>

#include "isdp_admit.h"

eu_admit eu_isdp_admit(const char *iccid, size_t pkg_len, const eu_admit_room *room)
{
    for (size_t i = 0; i < room->n_iccids; i++)
        if (room->iccids[i][0] && strcmp(room->iccids[i], iccid) == 0)
            return EU_ADMIT_ICCID_EXISTS;
    if ((uint64_t)pkg_len > room->free_bytes)
        return EU_ADMIT_NO_MEMORY;
    return EU_ADMIT_OK;
}
