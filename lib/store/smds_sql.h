/* The SM-DS event records' statements (lib/store/smds.c), kept out of sql.c as the console's are:
 * store_int.h appends RSP_STORE_SMDS_STMTS to its statement list and sql.c RSP_STORE_SMDS_SQL to its
 * table. Table smds_event: schema v11 (schema.c). Columns read in the order of smds.c's ev_read. */
#ifndef RSP_STORE_SMDS_SQL_H
#define RSP_STORE_SMDS_SQL_H

#define RSP_STORE_SMDS_STMTS(X) X(SMDS_ADD) X(SMDS_GET) X(SMDS_EID) X(SMDS_DEL) X(SMDS_COUNT)

#define RSP_SMDS_COLS "eid,event_id,rsp_server_address,forwarding,registered_by,created"

/* ADD writes nothing for a known (eid, eventId): the caller compares (idempotent replay or conflict).
 * EID: in registration order (created is in microseconds; eventId breaks a tie). */
#define RSP_STORE_SMDS_SQL \
    [RSP_STMT_SMDS_ADD] = {"INSERT INTO smds_event(" RSP_SMDS_COLS ") VALUES($1,$2,$3,$4,$5,$6)" \
        " ON CONFLICT(eid, event_id) DO NOTHING", NULL}, \
    [RSP_STMT_SMDS_GET] = {"SELECT " RSP_SMDS_COLS " FROM smds_event WHERE eid = $1 AND event_id = $2", NULL}, \
    [RSP_STMT_SMDS_EID] = {"SELECT " RSP_SMDS_COLS " FROM smds_event WHERE eid = $1" \
        " ORDER BY created, event_id LIMIT $2", NULL}, \
    [RSP_STMT_SMDS_DEL] = {"DELETE FROM smds_event WHERE eid = $1 AND event_id = $2", NULL}, \
    [RSP_STMT_SMDS_COUNT] = {"SELECT COUNT(*) FROM smds_event", NULL},

#endif
