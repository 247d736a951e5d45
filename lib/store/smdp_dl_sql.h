/* The SM-DP download journal's statements (lib/store/smdp_dl.c), kept out of sql.c as the console's
 * are: store_int.h appends RSP_STORE_SMDP_DL_STMTS to its statement list and sql.c RSP_STORE_SMDP_DL_SQL
 * to its table. Columns read in the order of smdp_dl.c's dl_read. */
#ifndef RSP_STORE_SMDP_DL_SQL_H
#define RSP_STORE_SMDP_DL_SQL_H

#define RSP_STORE_SMDP_DL_STMTS(X) X(DL_ADD) X(DL_SET) X(DL_GET) X(DL_LIST) X(DL_FIND) X(DL_EID) \
    X(DL_KEYS_SET) X(DL_KEYS_GET)

#define RSP_DL_COLS "id,op,type,eid,iccid,enable,isdp,step,outcome,status,updated"

/* ADD writes nothing when the id exists (the caller sees 0 rows: a replay). LIST: live >= 1 are the
 * unfinished ones (index smdp_dl_live), live >= 0 all. FIND: the profile's latest download. EID: all
 * downloads onto one eUICC (index smdp_dl_prof). KEYS_*: the profile's sealed ISD-P keys (inv.isdp_keys, v13; NULL: none). */
#define RSP_STORE_SMDP_DL_SQL \
    [RSP_STMT_DL_ADD] = {"INSERT INTO smdp_dl(id,op,type,eid,iccid,enable,isdp,step,outcome,status,live," \
        "created,updated) VALUES($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$12) ON CONFLICT(id) DO NOTHING", \
        NULL}, \
    [RSP_STMT_DL_SET] = {"UPDATE smdp_dl SET iccid = $2, enable = $3, isdp = $4, step = $5, outcome = $6," \
        " status = $7, live = $8, updated = $9 WHERE id = $1", NULL}, \
    [RSP_STMT_DL_GET] = {"SELECT " RSP_DL_COLS " FROM smdp_dl WHERE id = $1", NULL}, \
    [RSP_STMT_DL_LIST] = {"SELECT " RSP_DL_COLS " FROM smdp_dl WHERE live >= $1 ORDER BY id", NULL}, \
    [RSP_STMT_DL_FIND] = {"SELECT " RSP_DL_COLS " FROM smdp_dl WHERE eid = $1 AND iccid = $2" \
        " ORDER BY updated DESC, id DESC LIMIT 1", NULL}, \
    [RSP_STMT_DL_EID] = {"SELECT " RSP_DL_COLS " FROM smdp_dl WHERE eid = $1 ORDER BY id", NULL}, \
    [RSP_STMT_DL_KEYS_SET] = {"UPDATE inv SET isdp_keys = $2 WHERE iccid = $1", NULL}, \
    [RSP_STMT_DL_KEYS_GET] = {"SELECT isdp_keys FROM inv WHERE iccid = $1", NULL},

#endif
