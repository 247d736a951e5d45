/* The statement catalogue: one SQL text per rsp_store_stmt, shared by both backends unless a
 * backend needs its own (claiming: PostgreSQL adds FOR UPDATE SKIP LOCKED, SQLite relies on the
 * BEGIN IMMEDIATE write lock instead). Column orders here are what the entity files read. */
#include "store_int.h"

#define EIS_COLS "eid,eum_id,production_date,platform_type,platform_version,caps,cattp_version," \
    "http_version,sp_version,rp_version,remaining_memory,available_memory,last_audit,smsr_id," \
    "signed_blob"
#define PROF_COLS "iccid,eid,isdp_aid,mno_id,smdp_id,profile_type,msisdn,imsi,state,fallback,pol2," \
    "allocated_memory,emergency"
#define OP_COLS "id,eid,function,requester,fcid,created,deadline,state,attempts,next_attempt," \
    "lease_until,worker,script,result,gen"
#define AUD_COLS "id,ts,actor,eid,iccid,op_id,event,detail"
#define INV_COLS "iccid,profile_type,state,eid,package_path,package,updated"
#define OB_COLS "id,owner,key,url,ctype,action,body,created,next_attempt,attempts,state,last_error," \
    "op_id,lease_until,worker,gen,updated"
#define RP_COLS "id,owner,key,op_id,caller,function,reply_to,message_id,fcid,eid,iccid,flags,created"
/* Outbox claims: due, unheld rows of one owner, oldest due first (partial index outbox_due).
 * PostgreSQL skips rows another claimer has locked instead of queueing behind them. */
#define OB_CLAIM_SET "UPDATE outbox SET lease_until = $4, worker = $3, gen = gen + 1, updated = $2" \
    " WHERE state = 0 AND lease_until < $2 AND id IN (SELECT id FROM outbox WHERE owner = $1" \
    " AND state = 0 AND next_attempt <= $2 AND lease_until < $2 ORDER BY next_attempt, id LIMIT $5"
/* The claimer's outcome, fenced by the generation its claim gave. */
#define OB_FENCED " WHERE id = $1 AND gen = $2 AND state = 0"

/* Claims (docs/modules/store.md, "Claims"). Each eUICC has a lane row: head = its operation in
 * flight (busy = 1) or else its oldest queued one (NULL if none). A claim never scans operations:
 * 1. takeover: the in-flight operation whose lease lapsed longest ago (partial index on
 *    lease_until of in-flight operations; the in-flight operation is always its lane's head);
 * 2. else the lowest head among idle lanes (partial index lane_ready) that is due and not past its
 *    deadline.
 * Both read only rows that can be claimed or that were skipped as not due, whatever the order
 * and number of queued operations, so the plan needs no statistics to be cheap. The literal
 * "state IN (1,2)" and "busy = 0 AND head IS NOT NULL" terms let SQLite use the partial indexes. */
#define OP_CLAIM_SET \
    "UPDATE op SET state = 1, attempts = attempts + (CASE WHEN state = 0 THEN 0 ELSE 1 END)," \
    " worker = $1, lease_until = $3, updated = $2, gen = gen + 1 WHERE state IN (0,1,2) AND id = "
#define OP_TAKEOVER_PICK "(SELECT id FROM op WHERE state IN (1,2) AND lease_until < $2" \
    " AND deadline > $2 ORDER BY lease_until, id LIMIT 1"
/* The head's own conditions are a scalar subquery, not a join: PostgreSQL cannot turn it into a
 * hash join over the whole op table (which it did, planning without statistics), so each idle
 * lane looked at costs one primary-key probe. */
#define OP_HEAD_PICK "(SELECT l.head FROM lane l WHERE l.busy = 0 AND l.head IS NOT NULL" \
    " AND (SELECT o.next_attempt FROM op o WHERE o.id = l.head AND o.state = 0" \
    " AND o.deadline > $2) <= $2 ORDER BY l.head LIMIT 1"
/* A card's live operations, on the partial index op_eid. SQLite names it: given the choice it took
 * op_by_eid (v8, the same columns over every operation ever kept) and read the card's whole history
 * at each settle (perf: 46 us per operation, growing). PostgreSQL plans by its statistics. */
#define OPQ_SQ "op q INDEXED BY op_eid"
#define OPQ_PG "op q"
/* Lane of op $1 after it left flight (retry or end): idle, head = the oldest queued one. */
#define LANE_NEXT_HEAD(opq) "(SELECT MIN(q.id) FROM " opq " WHERE q.eid = lane.eid AND q.state < 3" \
    " AND q.state = 0)"
#define OP_EID_OF "(SELECT eid FROM op WHERE id = $1)"
#define LANE_RELEASE_SQL(opq) "UPDATE lane SET busy = 0, head = " LANE_NEXT_HEAD(opq) " WHERE eid = " OP_EID_OF
#define LANE_ADVANCE_SQL(opq) "UPDATE lane SET head = " LANE_NEXT_HEAD(opq) \
    " WHERE eid = " OP_EID_OF " AND head = $1 AND busy = 0"
#define LANE_HEAL_SQL(opq) "UPDATE lane SET" \
    " head = COALESCE((SELECT MIN(q.id) FROM " opq " WHERE q.eid = lane.eid AND q.state < 3" \
    " AND q.state IN (1,2)), " LANE_NEXT_HEAD(opq) ")," \
    " busy = CASE WHEN EXISTS (SELECT 1 FROM " opq " WHERE q.eid = lane.eid AND q.state < 3" \
    " AND q.state IN (1,2)) THEN 1 ELSE 0 END" \
    " WHERE head IS NULL OR NOT EXISTS (SELECT 1 FROM op q WHERE q.id = lane.head" \
    " AND q.state < 3)"
/* Test hook only (rsp_store__test_break_claim): the claim without the per-eUICC rules. */
#define OP_CLAIM_BROKEN_WHERE \
    "((o.state = 0 AND o.next_attempt <= $2) OR (o.state IN (1,2) AND o.lease_until < $2))" \
    " AND o.deadline > $2"
/* The fence of an operation-scoped counter reservation: the op is in flight for this eUICC, under
 * the presented generation, with a live lease. PostgreSQL locks the op row FOR SHARE, so a
 * concurrent claim (which updates the row) is ordered before or after the reservation, never
 * beside it. */
#define KS_RESERVE_OP_SQL(lock) "UPDATE keyset SET counter = counter + 1" \
    " WHERE eid = $1 AND kvn = $2 AND counter < $3 AND EXISTS (SELECT 1 FROM op WHERE id = $4" \
    " AND gen = $5 AND eid = $1 AND state IN (1,2) AND lease_until >= $6" lock ") RETURNING counter"

#define INV_ALLOC_SET "UPDATE inv SET state = 1, eid = $2, updated = $3 WHERE state = 0 AND iccid = "

typedef struct stmt_sql {
    const char *common;
    const char *pg; /* NULL: same as common */
} stmt_sql;

static const stmt_sql stmts[RSP_STMT__COUNT] = {
    [RSP_STMT_EIS_PUT] = {"INSERT INTO eis(" EIS_COLS ") VALUES($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,"
        "$12,$13,$14,$15) ON CONFLICT(eid) DO UPDATE SET eum_id=excluded.eum_id,"
        "production_date=excluded.production_date,platform_type=excluded.platform_type,"
        "platform_version=excluded.platform_version,caps=excluded.caps,"
        "cattp_version=excluded.cattp_version,http_version=excluded.http_version,"
        "sp_version=excluded.sp_version,rp_version=excluded.rp_version,"
        "remaining_memory=excluded.remaining_memory,available_memory=excluded.available_memory,"
        "last_audit=excluded.last_audit,smsr_id=excluded.smsr_id,signed_blob=excluded.signed_blob",
        NULL},
    [RSP_STMT_EIS_GET] = {"SELECT " EIS_COLS " FROM eis WHERE eid = $1", NULL},
    [RSP_STMT_EIS_DEL] = {"DELETE FROM eis WHERE eid = $1", NULL},

    [RSP_STMT_PROF_PUT] = {"INSERT INTO profile(" PROF_COLS ") VALUES($1,$2,$3,$4,$5,$6,$7,$8,$9,"
        "$10,$11,$12,$13) ON CONFLICT(iccid) DO UPDATE SET eid=excluded.eid,isdp_aid=excluded.isdp_aid,"
        "mno_id=excluded.mno_id,smdp_id=excluded.smdp_id,profile_type=excluded.profile_type,"
        "msisdn=excluded.msisdn,imsi=excluded.imsi,state=excluded.state,"
        "fallback=excluded.fallback,pol2=excluded.pol2,allocated_memory=excluded.allocated_memory,"
        "emergency=excluded.emergency",
        NULL},
    [RSP_STMT_PROF_GET] = {"SELECT " PROF_COLS " FROM profile WHERE iccid = $1", NULL},
    [RSP_STMT_PROF_LIST] = {"SELECT " PROF_COLS " FROM profile WHERE eid = $1 ORDER BY isdp_aid",
        NULL},
    [RSP_STMT_PROF_SET_STATE] = {"UPDATE profile SET state = $2 WHERE iccid = $1", NULL},
    [RSP_STMT_PROF_SET_POL2] = {"UPDATE profile SET pol2 = $2 WHERE iccid = $1", NULL},
    [RSP_STMT_PROF_FB_CLEAR] = {"UPDATE profile SET fallback = 0 WHERE eid = $1", NULL},
    [RSP_STMT_PROF_FB_SET] = {"UPDATE profile SET fallback = 1 WHERE eid = $1 AND iccid = $2",
        NULL},
    /* v6: the emergency attribute moves (clear the others of the eUICC, then set), or is cleared */
    [RSP_STMT_PROF_EM_CLEAR] = {"UPDATE profile SET emergency = 0 WHERE eid = $1 AND iccid <> $2", NULL},
    [RSP_STMT_PROF_EM_SET] = {"UPDATE profile SET emergency = $3 WHERE eid = $1 AND iccid = $2", NULL},
    [RSP_STMT_PROF_DEL] = {"DELETE FROM profile WHERE iccid = $1", NULL},
    /* v9: one enabled profile per eUICC (schema.c): the other enabled profile of the eUICC, and
     * the eUICCs that break the rule (checked before the index is built). */
    [RSP_STMT_PROF_ENABLED_OTHER] = {"SELECT iccid FROM profile WHERE eid = $1 AND state = 3"
        " AND iccid <> $2 LIMIT 1", NULL},
    [RSP_STMT_PROF_ENABLED_MSISDN] = {"SELECT msisdn FROM profile WHERE eid = $1 AND state = 3 LIMIT 1", NULL},
    [RSP_STMT_PROF_ENABLED_DUP] = {"SELECT eid FROM profile WHERE state = 3 GROUP BY eid"
        " HAVING COUNT(*) > 1 ORDER BY eid LIMIT 8", NULL},
    /* rsp_store_profile_switch: the disable, then the enable, in one transaction */
    [RSP_STMT_PROF_DISABLE_OTHERS] = {"UPDATE profile SET state = 2 WHERE eid = $1 AND state = 3"
        " AND iccid <> $2", NULL},
    [RSP_STMT_PROF_ENABLE_ONE] = {"UPDATE profile SET state = 3 WHERE eid = $1 AND iccid = $2",
        NULL},
    /* an MSISDN held by a profile of another eUICC (a scan: once per import, not per SMS) */
    [RSP_STMT_PROF_BY_MSISDN] = {"SELECT iccid FROM profile WHERE msisdn = $1 AND eid <> $2 LIMIT 1", NULL},

    [RSP_STMT_KS_PUT] = {"INSERT INTO keyset(eid,kvn,type,keys,counter) VALUES($1,$2,$3,$4,$5)"
        " ON CONFLICT(eid,kvn) DO UPDATE SET type=excluded.type, keys=excluded.keys,"
        " counter = CASE WHEN excluded.counter > keyset.counter THEN excluded.counter"
        " ELSE keyset.counter END", NULL},
    [RSP_STMT_KS_GET] = {"SELECT eid,kvn,type,keys,counter FROM keyset WHERE eid = $1 AND kvn = $2",
        NULL},
    [RSP_STMT_KS_DEL] = {"DELETE FROM keyset WHERE eid = $1 AND kvn = $2", NULL},
    [RSP_STMT_KS_RESERVE] = {"UPDATE keyset SET counter = counter + 1"
        " WHERE eid = $1 AND kvn = $2 AND counter < $3 RETURNING counter", NULL},
    [RSP_STMT_KS_RESERVE_OP] = {KS_RESERVE_OP_SQL(""), KS_RESERVE_OP_SQL(" FOR SHARE")},
    [RSP_STMT_KS_RAISE] = {"UPDATE keyset SET counter = $3 WHERE eid = $1 AND kvn = $2"
        " AND counter < $3", NULL},
    [RSP_STMT_KS_COUNTER] = {"SELECT counter FROM keyset WHERE eid = $1 AND kvn = $2", NULL},

    [RSP_STMT_OP_INSERT] = {"INSERT INTO op(eid,function,requester,fcid,created,deadline,state,"
        "attempts,next_attempt,lease_until,worker,script,updated) VALUES($1,$2,$3,$4,$5,$6,0,0,$7,0,"
        "'',$8,$5) ON CONFLICT(requester,fcid) DO NOTHING RETURNING id", NULL},
    [RSP_STMT_OP_BY_FCID] = {"SELECT id FROM op WHERE requester = $1 AND fcid = $2", NULL},
    [RSP_STMT_OP_GET] = {"SELECT " OP_COLS " FROM op WHERE id = $1", NULL},
    [RSP_STMT_OP_CLAIM_TAKEOVER] = {
        OP_CLAIM_SET OP_TAKEOVER_PICK ") AND state IN (1,2) AND lease_until < $2 RETURNING " OP_COLS,
        OP_CLAIM_SET OP_TAKEOVER_PICK " FOR UPDATE SKIP LOCKED) AND state IN (1,2)"
        " AND lease_until < $2 RETURNING " OP_COLS},
    [RSP_STMT_OP_CLAIM_HEAD] = {
        OP_CLAIM_SET OP_HEAD_PICK ") AND state = 0 RETURNING " OP_COLS,
        OP_CLAIM_SET OP_HEAD_PICK " FOR UPDATE SKIP LOCKED) AND state = 0 RETURNING " OP_COLS},
    [RSP_STMT_OP_CLAIM_BROKEN] = {
        OP_CLAIM_SET "(SELECT o.id FROM op o WHERE " OP_CLAIM_BROKEN_WHERE " ORDER BY o.id LIMIT 1)"
        " RETURNING " OP_COLS,
        OP_CLAIM_SET "(SELECT o.id FROM op o WHERE " OP_CLAIM_BROKEN_WHERE " ORDER BY o.id LIMIT 1"
        " FOR UPDATE SKIP LOCKED) RETURNING " OP_COLS},
    /* $9: the fence's generation, or -1 from QUEUED (nobody holds the op). */
    [RSP_STMT_OP_TRANS] = {"UPDATE op SET state = $3, attempts = attempts + $4,"
        " next_attempt = COALESCE($5, next_attempt), lease_until = $6, result = COALESCE($7, result),"
        " updated = $8 WHERE id = $1 AND state = $2 AND ($9 < 0 OR gen = $9)", NULL},
    [RSP_STMT_OP_STATE] = {"SELECT state, gen FROM op WHERE id = $1", NULL},
    [RSP_STMT_OP_RENEW] = {"UPDATE op SET lease_until = $4, updated = $3 WHERE id = $1 AND gen = $2"
        " AND state IN (1,2) AND lease_until >= $3", NULL},
    /* The leading "state < 3" lets SQLite read the live operations only (partial index op_live):
     * the OR alone was a scan of every operation ever kept, once a second (perf: 5.5% of the
     * SM-SR's CPU after a few thousand operations). */
    [RSP_STMT_OP_EXPIRE] = {"UPDATE op SET state = 5, lease_until = 0, updated = $1"
        " WHERE state < 3 AND ((state = 0 AND deadline <= $1) OR (state IN (1,2) AND deadline <= $1"
        " AND lease_until < $1))", NULL},
    /* What RSP_STMT_OP_EXPIRE is about to expire, by function (same condition; run before it in
     * one transaction, so the metrics can name the functions). */
    [RSP_STMT_OP_EXPIRING] = {"SELECT function, COUNT(*) FROM op WHERE state < 3 AND ((state = 0 AND deadline <= $1)"
        " OR (state IN (1,2) AND deadline <= $1 AND lease_until < $1)) GROUP BY function", NULL},
    [RSP_STMT_OP_COUNT] = {"SELECT COUNT(*) FROM op WHERE state = $1", NULL},
    /* v10: the tally of settled operations (op.c), and the live ones by state (op_live's rows) */
    [RSP_STMT_OP_TALLY_ADD] = {"INSERT INTO op_tally(worker, state, n) VALUES($1, $2, $3)"
        " ON CONFLICT(worker, state) DO UPDATE SET n = op_tally.n + excluded.n", NULL},
    [RSP_STMT_OP_TALLY] = {"SELECT state, SUM(n) FROM op_tally GROUP BY state",
        "SELECT state, SUM(n)::BIGINT FROM op_tally GROUP BY state"},
    [RSP_STMT_OP_LIVE_COUNT] = {"SELECT state, COUNT(*) FROM op WHERE state < 3 GROUP BY state", NULL},

    /* A new op heads its lane if the lane is empty. PostgreSQL: ON CONFLICT DO UPDATE waits for
     * a concurrent holder of the lane row and re-reads its latest version. */
    [RSP_STMT_LANE_ADD] = {"INSERT INTO lane(eid, head, busy) VALUES($1, $2, 0) ON CONFLICT(eid)"
        " DO UPDATE SET head = excluded.head WHERE lane.head IS NULL", NULL},
    /* Taken before an op leaves its lane's head (PostgreSQL), so the next statement's snapshot
     * sees every op submitted before the lock was granted, and submits after it wait. */
    [RSP_STMT_LANE_LOCK] = {"SELECT busy FROM lane WHERE eid = " OP_EID_OF,
        "SELECT busy FROM lane WHERE eid = " OP_EID_OF " FOR UPDATE"},
    [RSP_STMT_LANE_BUSY] = {"UPDATE lane SET busy = 1, head = $2 WHERE eid = $1", NULL},
    [RSP_STMT_LANE_RELEASE] = {LANE_RELEASE_SQL(OPQ_SQ), LANE_RELEASE_SQL(OPQ_PG)},
    [RSP_STMT_LANE_ADVANCE] = {LANE_ADVANCE_SQL(OPQ_SQ), LANE_ADVANCE_SQL(OPQ_PG)},
    /* After the expiry sweep: lanes whose head is no longer live (or that lost track of queued
     * ops) get their head and busy flag back from the op table. */
    [RSP_STMT_LANE_HEAL] = {LANE_HEAL_SQL(OPQ_SQ), LANE_HEAL_SQL(OPQ_PG)},

    [RSP_STMT_AUD_APPEND] = {"INSERT INTO audit(ts,actor,eid,iccid,op_id,event,detail)"
        " VALUES($1,$2,$3,$4,$5,$6,$7) RETURNING id", NULL},
    /* Two arms rather than "(eid = $2 OR $2 = '')": with the OR neither engine could use
     * audit_eid(eid, id) for a prepared statement, and every look-up of one card's trail scanned
     * the whole table from $1 (the SM-SR walks a card's steps per PoR: it was most of its CPU under
     * load). The arm whose constant test is false is skipped before any row is read. */
    [RSP_STMT_AUD_LIST] = {"SELECT " AUD_COLS " FROM audit WHERE $2 <> '' AND eid = $2 AND id > $1"
        " UNION ALL SELECT " AUD_COLS " FROM audit WHERE $2 = '' AND id > $1 ORDER BY 1 LIMIT $3", NULL},
    /* one card's entries below $2, newest first (audit_eid read backwards) */
    [RSP_STMT_AUD_BACK] = {"SELECT " AUD_COLS " FROM audit WHERE eid = $1 AND id < $2 ORDER BY id DESC LIMIT $3",
        NULL},
    /* an "smsr.notif" entry of card $1 with a detail in [$2, $3): a prefix as a range, on the
     * partial index audit_notif (schema v12; its predicate is this literal). PostgreSQL compares in
     * "C" (the index's expression), so the range is bytewise whatever the database's collation. */
    [RSP_STMT_AUD_NOTIF] = {"SELECT 1 FROM audit WHERE event = 'smsr.notif' AND eid = $1 AND detail >= $2"
        " AND detail < $3 LIMIT 1",
        "SELECT 1 FROM audit WHERE event = 'smsr.notif' AND eid = $1 AND (detail COLLATE \"C\") >= $2"
        " AND (detail COLLATE \"C\") < $3 LIMIT 1"},

    [RSP_STMT_PLMA_SET] = {"INSERT INTO plma(operator,m2msp,profile_type,functions)"
        " VALUES($1,$2,$3,$4) ON CONFLICT(operator,m2msp,profile_type)"
        " DO UPDATE SET functions = excluded.functions", NULL},
    [RSP_STMT_PLMA_DEL] = {"DELETE FROM plma WHERE operator = $1 AND m2msp = $2"
        " AND profile_type = $3", NULL},
    [RSP_STMT_PLMA_GET] = {"SELECT functions FROM plma WHERE operator = $1 AND m2msp = $2"
        " AND profile_type = $3", NULL},
    [RSP_STMT_ONC_SET] = {"INSERT INTO onc(operator,profile_type,notifications) VALUES($1,$2,$3)"
        " ON CONFLICT(operator,profile_type) DO UPDATE SET notifications = excluded.notifications",
        NULL},
    [RSP_STMT_ONC_DEL] = {"DELETE FROM onc WHERE operator = $1 AND profile_type = $2", NULL},
    [RSP_STMT_ONC_GET] = {"SELECT notifications FROM onc WHERE operator = $1 AND profile_type = $2",
        NULL},

    [RSP_STMT_INV_ADD] = {"INSERT INTO inv(iccid,profile_type,state,eid,package_path,package,"
        "added,updated) VALUES($1,$2,0,'',$3,$4,$5,$5)", NULL},
    [RSP_STMT_INV_GET] = {"SELECT " INV_COLS " FROM inv WHERE iccid = $1", NULL},
    [RSP_STMT_INV_ALLOC] = {
        INV_ALLOC_SET "(SELECT iccid FROM inv WHERE profile_type = $1 AND state = 0"
        " ORDER BY added, iccid LIMIT 1) RETURNING " INV_COLS,
        INV_ALLOC_SET "(SELECT iccid FROM inv WHERE profile_type = $1 AND state = 0"
        " ORDER BY added, iccid LIMIT 1 FOR UPDATE SKIP LOCKED) RETURNING " INV_COLS},
    [RSP_STMT_INV_TRANS] = {"UPDATE inv SET state = $3, eid = COALESCE($4, eid), updated = $5"
        " WHERE iccid = $1 AND state = $2", NULL},
    [RSP_STMT_INV_STATE] = {"SELECT state FROM inv WHERE iccid = $1", NULL},
    [RSP_STMT_OB_ADD] = {"INSERT INTO outbox(owner,key,url,ctype,action,body,created,next_attempt,"
        "attempts,state,last_error,op_id,lease_until,worker,gen,updated) VALUES($1,$2,$3,$4,$5,$6,$7,$8,"
        "0,0,'',$9,0,'',0,$7) ON CONFLICT(key) DO NOTHING RETURNING id", NULL},
    [RSP_STMT_OB_GET] = {"SELECT " OB_COLS " FROM outbox WHERE id = $1", NULL},
    /* PostgreSQL: the candidates in a CTE (a locking CTE is materialised once); as a plain IN
     * subquery the planner may rescan it per row and claim past the LIMIT. */
    [RSP_STMT_OB_CLAIM] = {OB_CLAIM_SET ") RETURNING " OB_COLS,
        "WITH c AS (SELECT id AS cid FROM outbox WHERE owner = $1 AND state = 0 AND next_attempt <= $2"
        " AND lease_until < $2 ORDER BY next_attempt, id LIMIT $5 FOR UPDATE SKIP LOCKED)"
        " UPDATE outbox SET lease_until = $4, worker = $3, gen = gen + 1, updated = $2 FROM c"
        " WHERE id = c.cid RETURNING " OB_COLS},
    [RSP_STMT_OB_SENT] = {"UPDATE outbox SET state = 1, lease_until = 0, updated = $3" OB_FENCED, NULL},
    [RSP_STMT_OB_RETRY] = {"UPDATE outbox SET attempts = attempts + 1, next_attempt = $4,"
        " last_error = $5, lease_until = 0, updated = $3" OB_FENCED, NULL},
    [RSP_STMT_OB_DEAD] = {"UPDATE outbox SET state = 2, attempts = attempts + 1, last_error = $4,"
        " lease_until = 0, updated = $3" OB_FENCED, NULL},
    [RSP_STMT_OB_WHY] = {"SELECT state FROM outbox WHERE id = $1", NULL},
    [RSP_STMT_OB_PRUNE] = {"DELETE FROM outbox WHERE state = 1 AND updated < $1", NULL},
    [RSP_STMT_OB_STATS] = {"SELECT COALESCE(SUM(CASE WHEN state = 0 THEN 1 ELSE 0 END), 0),"
        " COALESCE(SUM(CASE WHEN state = 1 THEN 1 ELSE 0 END), 0),"
        " COALESCE(SUM(CASE WHEN state = 2 THEN 1 ELSE 0 END), 0),"
        " COALESCE(MIN(CASE WHEN state = 0 THEN created END), 0) FROM outbox WHERE owner = $1", NULL},
    [RSP_STMT_RP_ADD] = {"INSERT INTO outbox_reply(owner,key,op_id,caller,function,reply_to,message_id,"
        "fcid,eid,iccid,flags,created) VALUES($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12)"
        " ON CONFLICT(key) DO NOTHING RETURNING id", NULL},
    /* Ready: no operation to wait for, or its operation has settled (state >= 3). */
    [RSP_STMT_RP_READY] = {"SELECT " RP_COLS " FROM outbox_reply r WHERE owner = $1 AND (op_id = 0"
        " OR EXISTS (SELECT 1 FROM op o WHERE o.id = r.op_id AND o.state >= 3)) ORDER BY id LIMIT $2",
        NULL},
    [RSP_STMT_RP_DEL] = {"DELETE FROM outbox_reply WHERE id = $1", NULL},
    [RSP_STMT_INV_COUNT] = {"SELECT COUNT(*) FROM inv WHERE profile_type = $1 AND state = $2",
        NULL},
    RSP_STORE_CONSOLE_SQL /* console_sql.h */
    RSP_STORE_SMDP_DL_SQL /* smdp_dl_sql.h */
    RSP_STORE_SMDS_SQL    /* smds_sql.h */
};

const char *rsp_store__sql(rsp_store_backend_id be, rsp_store_stmt st)
{
    if ((unsigned)st >= RSP_STMT__COUNT)
        return NULL;
    if (be == RSP_STORE_BE_PG && stmts[st].pg)
        return stmts[st].pg;
    return stmts[st].common;
}
