/* The console's read statements (lib/store/console.c): kept out of sql.c so that the SM-SR console
 * can evolve without touching the engine's statement catalogue. store_int.h appends
 * RSP_STORE_CONSOLE_STMTS to its statement list and sql.c RSP_STORE_CONSOLE_SQL to its table.
 *
 * Searches are keyset-paged ranges on an index: the caller passes an inclusive lower bound (the
 * prefix, or the last key of the previous page followed by \x01, the smallest text above it) and the
 * exclusive upper bound (prefix followed by '~', above every digit and letter), so a page costs
 * what it returns, whatever its depth, with 100,000 cards. PostgreSQL compares in the "C" collation
 * (byte order, as SQLite does) on expression indexes of schema v7; a database whose default
 * collation sorts otherwise would break the range. */
#ifndef RSP_STORE_CONSOLE_SQL_H
#define RSP_STORE_CONSOLE_SQL_H

#define RSP_STORE_CONSOLE_STMTS(X) \
    X(CON_EIS_PAGE) X(CON_EIS_COUNT) X(CON_ICCID_PAGE) X(CON_ICCID_COUNT) X(CON_MSISDN_PAGE) \
    X(CON_MSISDN_COUNT) X(CON_OP_PAGE) X(CON_OP_PAGE_EID) X(CON_OP_PAGE_LIVE) X(CON_AUD_OP) \
    X(CON_OP_RECENT) X(CON_CAMP_STATS) X(CON_CAMP_FAIL) X(CON_OP_LIVE_COUNT)

#define RSP_CON_OP_COLS "id,eid,function,requester,fcid,created,deadline,state,attempts,next_attempt," \
    "lease_until,worker,updated,gen,result"
#define RSP_CON_PROF_COLS "p.iccid,p.eid,p.msisdn,p.state,p.mno_id,p.profile_type,p.fallback"
#define RSP_CON_COUNT_CAP "10001"
/* Operation filters: id below $1, state in [$2, $3], function $4, requester $5 ('' = any). */
#define RSP_CON_OP_FILTER " id < $1 AND state >= $2 AND state <= $3 AND ($4 = '' OR function = $4)" \
    " AND ($5 = '' OR requester = $5)"
#define RSP_CON_OP_FILTER_PG " id < $1 AND state >= $2::int AND state <= $3::int" \
    " AND ($4::text = '' OR function = $4) AND ($5::text = '' OR requester = $5)"
/* A campaign: requester $1, FCIDs in [$2, $3) and LIKE $4 (its pattern; '\' escapes). */
#define RSP_CON_CAMP_WHERE " WHERE requester = $1 AND fcid >= $2 AND fcid < $3 AND fcid LIKE $4 ESCAPE '\\'"
#define RSP_CON_CAMP_WHERE_PG " WHERE requester = $1 AND fcid COLLATE \"C\" >= $2 AND fcid COLLATE \"C\" < $3" \
    " AND fcid LIKE $4 ESCAPE '\\'"

#define RSP_STORE_CONSOLE_SQL \
    [RSP_STMT_CON_EIS_PAGE] = {"SELECT e.eid, e.eum_id, e.last_audit, (SELECT COUNT(*) FROM profile p" \
        " WHERE p.eid = e.eid) FROM eis e WHERE e.eid >= $1 AND e.eid < $2 ORDER BY e.eid LIMIT $3", \
        "SELECT e.eid, e.eum_id, e.last_audit, (SELECT COUNT(*) FROM profile p WHERE p.eid = e.eid)" \
        " FROM eis e WHERE e.eid COLLATE \"C\" >= $1 AND e.eid COLLATE \"C\" < $2" \
        " ORDER BY e.eid COLLATE \"C\" LIMIT $3"}, \
    [RSP_STMT_CON_EIS_COUNT] = {"SELECT COUNT(*) FROM (SELECT 1 FROM eis WHERE eid >= $1 AND eid < $2" \
        " LIMIT " RSP_CON_COUNT_CAP ") t", \
        "SELECT COUNT(*) FROM (SELECT 1 FROM eis WHERE eid COLLATE \"C\" >= $1" \
        " AND eid COLLATE \"C\" < $2 LIMIT " RSP_CON_COUNT_CAP ") t"}, \
    [RSP_STMT_CON_ICCID_PAGE] = {"SELECT " RSP_CON_PROF_COLS " FROM profile p WHERE p.iccid >= $1" \
        " AND p.iccid < $2 ORDER BY p.iccid LIMIT $3", \
        "SELECT " RSP_CON_PROF_COLS " FROM profile p WHERE p.iccid COLLATE \"C\" >= $1" \
        " AND p.iccid COLLATE \"C\" < $2 ORDER BY p.iccid COLLATE \"C\" LIMIT $3"}, \
    [RSP_STMT_CON_ICCID_COUNT] = {"SELECT COUNT(*) FROM (SELECT 1 FROM profile WHERE iccid >= $1" \
        " AND iccid < $2 LIMIT " RSP_CON_COUNT_CAP ") t", \
        "SELECT COUNT(*) FROM (SELECT 1 FROM profile WHERE iccid COLLATE \"C\" >= $1" \
        " AND iccid COLLATE \"C\" < $2 LIMIT " RSP_CON_COUNT_CAP ") t"}, \
    /* (msisdn, iccid) above ($1, $4): the page after the previous one's last row */ \
    [RSP_STMT_CON_MSISDN_PAGE] = {"SELECT " RSP_CON_PROF_COLS " FROM profile p WHERE" \
        " (p.msisdn, p.iccid) > ($1, $4) AND p.msisdn < $2 ORDER BY p.msisdn, p.iccid LIMIT $3", \
        "SELECT " RSP_CON_PROF_COLS " FROM profile p WHERE (p.msisdn COLLATE \"C\", p.iccid COLLATE \"C\")" \
        " > ($1, $4) AND p.msisdn COLLATE \"C\" < $2" \
        " ORDER BY p.msisdn COLLATE \"C\", p.iccid COLLATE \"C\" LIMIT $3"}, \
    [RSP_STMT_CON_MSISDN_COUNT] = {"SELECT COUNT(*) FROM (SELECT 1 FROM profile WHERE msisdn >= $1" \
        " AND msisdn < $2 LIMIT " RSP_CON_COUNT_CAP ") t", \
        "SELECT COUNT(*) FROM (SELECT 1 FROM profile WHERE msisdn COLLATE \"C\" >= $1" \
        " AND msisdn COLLATE \"C\" < $2 LIMIT " RSP_CON_COUNT_CAP ") t"}, \
    [RSP_STMT_CON_OP_PAGE] = {"SELECT " RSP_CON_OP_COLS " FROM op WHERE" RSP_CON_OP_FILTER \
        " ORDER BY id DESC LIMIT $6", \
        "SELECT " RSP_CON_OP_COLS " FROM op WHERE" RSP_CON_OP_FILTER_PG " ORDER BY id DESC LIMIT $6"}, \
    [RSP_STMT_CON_OP_PAGE_EID] = {"SELECT " RSP_CON_OP_COLS " FROM op WHERE eid = $7 AND" \
        RSP_CON_OP_FILTER " ORDER BY id DESC LIMIT $6", \
        "SELECT " RSP_CON_OP_COLS " FROM op WHERE eid = $7 AND" RSP_CON_OP_FILTER_PG \
        " ORDER BY id DESC LIMIT $6"}, \
    /* the literal "state < 3" lets SQLite use the partial index op_live */ \
    [RSP_STMT_CON_OP_PAGE_LIVE] = {"SELECT " RSP_CON_OP_COLS " FROM op WHERE state < 3 AND" \
        RSP_CON_OP_FILTER " ORDER BY id DESC LIMIT $6", \
        "SELECT " RSP_CON_OP_COLS " FROM op WHERE state < 3 AND" RSP_CON_OP_FILTER_PG \
        " ORDER BY id DESC LIMIT $6"}, \
    [RSP_STMT_CON_AUD_OP] = {"SELECT id,ts,actor,eid,iccid,op_id,event,detail FROM audit" \
        " WHERE eid = $1 AND op_id = $2 ORDER BY id LIMIT $3", NULL}, \
    [RSP_STMT_CON_OP_RECENT] = {"SELECT requester, fcid, function, state FROM op ORDER BY id DESC LIMIT $1", \
        NULL}, \
    [RSP_STMT_CON_CAMP_STATS] = {"SELECT state, COUNT(*), MIN(created), MAX(updated), MIN(function)," \
        " MAX(function) FROM op" RSP_CON_CAMP_WHERE " GROUP BY state", \
        "SELECT state, COUNT(*), MIN(created), MAX(updated), MIN(function), MAX(function) FROM op" \
        RSP_CON_CAMP_WHERE_PG " GROUP BY state"}, \
    [RSP_STMT_CON_CAMP_FAIL] = {"SELECT state, result FROM op" RSP_CON_CAMP_WHERE \
        " AND state >= 4 ORDER BY id DESC LIMIT $5", \
        "SELECT state, result FROM op" RSP_CON_CAMP_WHERE_PG " AND state >= 4 ORDER BY id DESC LIMIT $5"}, \
    /* live operations by state: the partial index op_live, never the settled history */ \
    [RSP_STMT_CON_OP_LIVE_COUNT] = {"SELECT state, COUNT(*) FROM op WHERE state < 3 GROUP BY state", NULL},

#endif
