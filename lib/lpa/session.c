/* The LPA's session record (lpa.h §session): what a download was doing, written before each phase
 * starts (temp file, fsync, rename), so that an LPA killed in the middle knows at its next start that
 * a download did not finish, and where. Key=value lines; the file is ours, but it is read back
 * strictly: an unknown key or a bad value makes the record unusable (RSP_ERR_FORMAT), never half-read. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rsp/lpa.h"

rsp_err rsp_lpa_session_save(const char *path, const rsp_lpa_session_rec *r)
{
    char tmp[4096];
    if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
        return RSP_ERR_RANGE;
    char body[1024];
    int n = snprintf(body, sizeof(body), "phase=%s\ntid=%s\naddress=%s\nmatching_id=%s\niccid=%s\n",
                     rsp_lpa_phase_name(r->phase), r->tid, r->address, r->matching_id, r->iccid);
    if (n < 0 || n >= (int)sizeof(body))
        return RSP_ERR_RANGE;
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0)
        return RSP_ERR_IO;
    bool ok = write(fd, body, (size_t)n) == n && fsync(fd) == 0;
    ok = close(fd) == 0 && ok;
    if (!ok || rename(tmp, path) != 0) {
        unlink(tmp);
        return RSP_ERR_IO;
    }
    return RSP_OK;
}

static bool field(const char *line, const char *key, char *out, size_t outlen)
{
    size_t k = strlen(key);
    if (strncmp(line, key, k) || line[k] != '=')
        return false;
    const char *v = line + k + 1;
    size_t n = strcspn(v, "\n");
    if (n >= outlen)
        return false;
    memcpy(out, v, n);
    out[n] = 0;
    return true;
}

rsp_err rsp_lpa_session_load(const char *path, rsp_lpa_session_rec *r, rsp_diag *diag)
{
    memset(r, 0, sizeof(*r));
    FILE *f = fopen(path, "r");
    if (!f)
        return RSP_ERR_NOT_FOUND;
    char line[600], phase[32] = "";
    unsigned seen = 0;
    rsp_err e = RSP_OK;
    while (!e && fgets(line, sizeof(line), f)) {
        if (field(line, "phase", phase, sizeof(phase)))
            seen |= 1;
        else if (field(line, "tid", r->tid, sizeof(r->tid)))
            seen |= 2;
        else if (field(line, "address", r->address, sizeof(r->address)))
            seen |= 4;
        else if (field(line, "matching_id", r->matching_id, sizeof(r->matching_id)))
            seen |= 8;
        else if (field(line, "iccid", r->iccid, sizeof(r->iccid)))
            seen |= 16;
        else
            e = rsp_diag_set(diag, RSP_ERR_FORMAT, "session record %s: unexpected line '%.40s'", path, line);
    }
    fclose(f);
    r->phase = RSP_LPA_PH_DONE;
    for (int p = RSP_LPA_PH_CLOCK; !e && p <= RSP_LPA_PH_DONE; p++)
        if (!strcmp(phase, rsp_lpa_phase_name((rsp_lpa_phase)p)))
            r->phase = (rsp_lpa_phase)p;
    if (!e && (seen != 31 || strcmp(phase, rsp_lpa_phase_name(r->phase))))
        e = rsp_diag_set(diag, RSP_ERR_FORMAT, "session record %s: incomplete", path);
    return e;
}

void rsp_lpa_session_clear(const char *path)
{
    unlink(path);
}
