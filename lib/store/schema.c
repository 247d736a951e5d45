/* Versioned schema migrations: an ordered list of SQL steps per backend; step i brings the schema
 * from version i to i+1. All pending steps and the version bump run in one transaction (DDL is
 * transactional in both SQLite and PostgreSQL), so a crash mid-migration leaves the old version. */
#include <stdio.h>
#include <string.h>

#include "rsp/log.h"
#include "store_int.h"

/* v4 lanes from the live operations: head = the one in flight, else the oldest queued. */
#define LANE_FILL "INSERT INTO lane(eid, head, busy) SELECT eid," \
    " COALESCE(MIN(CASE WHEN state IN (1,2) THEN id END), MIN(id))," \
    " MAX(CASE WHEN state IN (1,2) THEN 1 ELSE 0 END) FROM op WHERE state < 3 GROUP BY eid;"

/* v5: due rows by owner (claims), sent rows by age (pruning). */
#define OUTBOX_INDEXES "CREATE INDEX outbox_due ON outbox(owner, next_attempt, id) WHERE state = 0;" \
    "CREATE INDEX outbox_sent ON outbox(updated) WHERE state = 1;"

/* v7: the SM-DP download journal; the same text on both backends (INTEGER holds a step or a time
 * in seconds, which fits PostgreSQL's 32 bits until 2038: BIGINT for times). live = not finished. */
#define SMDP_DL_TABLE "CREATE TABLE smdp_dl(id TEXT PRIMARY KEY, op TEXT NOT NULL, type TEXT NOT NULL," \
    " eid TEXT NOT NULL, iccid TEXT NOT NULL, enable INTEGER NOT NULL, isdp INTEGER NOT NULL," \
    " step INTEGER NOT NULL, outcome TEXT NOT NULL, status TEXT NOT NULL, live INTEGER NOT NULL," \
    " created BIGINT NOT NULL, updated BIGINT NOT NULL);" \
    "CREATE INDEX smdp_dl_live ON smdp_dl(live, id);" \
    "CREATE INDEX smdp_dl_prof ON smdp_dl(eid, iccid);"

/* v8: the web console's indexes (one macro each: clang refuses adjacent literals in the arrays). */
#define CONSOLE_INDEXES_SQLITE "CREATE INDEX profile_msisdn ON profile(msisdn, iccid);" \
    "CREATE INDEX op_by_eid ON op(eid, id);"
#define CONSOLE_INDEXES_PG "CREATE INDEX eis_eid_c ON eis((eid COLLATE \"C\"));" \
    "CREATE INDEX profile_iccid_c ON profile((iccid COLLATE \"C\"));" \
    "CREATE INDEX profile_msisdn_c ON profile((msisdn COLLATE \"C\"), (iccid COLLATE \"C\"));" \
    "CREATE INDEX op_by_eid ON op(eid, id);" \
    "CREATE INDEX op_fcid_c ON op(requester, (fcid COLLATE \"C\"));"

/* v9: at most one enabled profile (state 3) per eUICC, as a constraint of the store (the same
 * text on both backends). A database that already breaks it is refused before this runs
 * (one_enabled_check), naming the eUICCs: which profile is really enabled is the card's to say. */
#define PROFILE_ONE_ENABLED "CREATE UNIQUE INDEX profile_one_enabled ON profile(eid) WHERE state = 3;"

/* v10: operations that reached done / failed / expired, counted as they get there (op.c), one row
 * per worker key and state, so /metrics reads the few live operations plus these instead of counting
 * every operation ever kept; a worker only touches its own rows (no contention between workers on
 * PostgreSQL). Filled from the operations already there (key ""). */
#define OP_TALLY "CREATE TABLE op_tally(worker TEXT NOT NULL, state INTEGER NOT NULL, n BIGINT NOT NULL," \
    " PRIMARY KEY(worker, state));" \
    "INSERT INTO op_tally(worker, state, n) SELECT '', state, COUNT(*) FROM op WHERE state >= 3 GROUP BY state;"

/* v11: the SM-DS's event records (SGP.22 ES12 RegisterEvent, read by ES11 authenticateClient for
 * the EID, removed by DeleteEvent or once the LPA has consumed them). One event per (eid, eventId):
 * ES12.DeleteEvent names the event by both. registered_by is the SM-DP+ (its TLS identity) that
 * registered it: only that one may delete it. Same DDL on both backends. */
#define SMDS_EVENT "CREATE TABLE smds_event(eid TEXT NOT NULL, event_id TEXT NOT NULL," \
    " rsp_server_address TEXT NOT NULL, forwarding INTEGER NOT NULL, registered_by TEXT NOT NULL," \
    " created BIGINT NOT NULL, PRIMARY KEY(eid, event_id));"

/* SQLite: INTEGER is 64-bit; AUTOINCREMENT so ids are never reused after deletes. */
static const char *const sqlite_steps[] = {
    /* v1: EIS, profiles, key sets, operations, audit. */
    "CREATE TABLE eis(eid TEXT PRIMARY KEY, eum_id TEXT NOT NULL, production_date TEXT NOT NULL,"
    " platform_type TEXT NOT NULL, platform_version TEXT NOT NULL, caps INTEGER NOT NULL,"
    " cattp_version TEXT NOT NULL, http_version TEXT NOT NULL, sp_version TEXT NOT NULL,"
    " rp_version TEXT NOT NULL, remaining_memory INTEGER NOT NULL,"
    " available_memory INTEGER NOT NULL, last_audit INTEGER NOT NULL, smsr_id TEXT NOT NULL,"
    " signed_blob BLOB NOT NULL);"
    "CREATE TABLE profile(iccid TEXT PRIMARY KEY,"
    " eid TEXT NOT NULL REFERENCES eis(eid) ON DELETE CASCADE, isdp_aid TEXT NOT NULL,"
    " mno_id TEXT NOT NULL, smdp_id TEXT NOT NULL, profile_type TEXT NOT NULL,"
    " msisdn TEXT NOT NULL, imsi TEXT NOT NULL, state INTEGER NOT NULL, fallback INTEGER NOT NULL,"
    " pol2 INTEGER NOT NULL, allocated_memory INTEGER NOT NULL, UNIQUE(eid, isdp_aid));"
    "CREATE TABLE keyset(eid TEXT NOT NULL REFERENCES eis(eid) ON DELETE CASCADE,"
    " kvn INTEGER NOT NULL, type INTEGER NOT NULL, keys BLOB NOT NULL, counter INTEGER NOT NULL,"
    " PRIMARY KEY(eid, kvn));"
    "CREATE TABLE op(id INTEGER PRIMARY KEY AUTOINCREMENT, eid TEXT NOT NULL,"
    " function TEXT NOT NULL, requester TEXT NOT NULL, fcid TEXT NOT NULL,"
    " created INTEGER NOT NULL, deadline INTEGER NOT NULL, state INTEGER NOT NULL,"
    " attempts INTEGER NOT NULL, next_attempt INTEGER NOT NULL, lease_until INTEGER NOT NULL,"
    " worker TEXT NOT NULL, script BLOB NOT NULL, result BLOB, updated INTEGER NOT NULL,"
    " UNIQUE(requester, fcid));"
    "CREATE INDEX op_eid ON op(eid, id) WHERE state < 3;"
    "CREATE INDEX op_live ON op(id) WHERE state < 3;"
    "CREATE TABLE audit(id INTEGER PRIMARY KEY AUTOINCREMENT, ts INTEGER NOT NULL,"
    " actor TEXT NOT NULL, eid TEXT NOT NULL, iccid TEXT NOT NULL, op_id INTEGER NOT NULL,"
    " event TEXT NOT NULL, detail TEXT NOT NULL);"
    "CREATE INDEX audit_eid ON audit(eid, id);"
    "CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit"
    " BEGIN SELECT RAISE(ABORT, 'audit is append-only'); END;"
    "CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit"
    " BEGIN SELECT RAISE(ABORT, 'audit is append-only'); END;",
    /* v2: PLMA, ONC, SM-DP inventory. */
    "CREATE TABLE plma(operator TEXT NOT NULL, m2msp TEXT NOT NULL, profile_type TEXT NOT NULL,"
    " functions INTEGER NOT NULL, PRIMARY KEY(operator, m2msp, profile_type));"
    "CREATE TABLE onc(operator TEXT NOT NULL, profile_type TEXT NOT NULL,"
    " notifications INTEGER NOT NULL, PRIMARY KEY(operator, profile_type));"
    "CREATE TABLE inv(iccid TEXT PRIMARY KEY, profile_type TEXT NOT NULL, state INTEGER NOT NULL,"
    " eid TEXT NOT NULL, package_path TEXT NOT NULL, package BLOB NOT NULL,"
    " added INTEGER NOT NULL, updated INTEGER NOT NULL);"
    "CREATE INDEX inv_avail ON inv(profile_type, added, iccid) WHERE state = 0;",
    /* v3: the claim generation (the fence of operation-scoped writes). */
    "ALTER TABLE op ADD COLUMN gen INTEGER NOT NULL DEFAULT 0;",
    /* v4: per-eUICC lanes for claims that never scan the queue (sql.c, "Claims"), filled from the
     * live operations; lapsed leases found by index. */
    "CREATE TABLE lane(eid TEXT PRIMARY KEY, head INTEGER, busy INTEGER NOT NULL);"
    LANE_FILL
    "CREATE INDEX lane_ready ON lane(head) WHERE busy = 0 AND head IS NOT NULL;"
    "CREATE INDEX op_lease ON op(lease_until) WHERE state IN (1,2);",
    /* v5: the outbox (messages to deliver, durably) and the pending replies they are built from
     * (outbox.c). "key" de-duplicates (UNIQUE allows many NULLs: rows without a key). */
    "CREATE TABLE outbox(id INTEGER PRIMARY KEY AUTOINCREMENT, owner TEXT NOT NULL, key TEXT UNIQUE,"
    " url TEXT NOT NULL, ctype TEXT NOT NULL, action TEXT NOT NULL, body BLOB NOT NULL,"
    " created INTEGER NOT NULL, next_attempt INTEGER NOT NULL, attempts INTEGER NOT NULL,"
    " state INTEGER NOT NULL, last_error TEXT NOT NULL, op_id INTEGER NOT NULL,"
    " lease_until INTEGER NOT NULL, worker TEXT NOT NULL, gen INTEGER NOT NULL,"
    " updated INTEGER NOT NULL);"
    OUTBOX_INDEXES
    "CREATE TABLE outbox_reply(id INTEGER PRIMARY KEY AUTOINCREMENT, owner TEXT NOT NULL,"
    " key TEXT NOT NULL UNIQUE, op_id INTEGER NOT NULL, caller TEXT NOT NULL, function TEXT NOT NULL,"
    " reply_to TEXT NOT NULL, message_id TEXT NOT NULL, fcid TEXT NOT NULL, eid TEXT NOT NULL,"
    " iccid TEXT NOT NULL, flags INTEGER NOT NULL, created INTEGER NOT NULL);"
    "CREATE INDEX outbox_reply_owner ON outbox_reply(owner, id);",
    /* v6: the emergency profile attribute (ES4.SetEmergencyProfileAttribute); existing rows: none. */
    "ALTER TABLE profile ADD COLUMN emergency INTEGER NOT NULL DEFAULT 0;",
    /* v7: the SM-DP's download journal (smdp_dl.c; was a file per download). */
    SMDP_DL_TABLE,
    /* v8: the web console's searches and lists (console_sql.h): MSISDN prefix paged by (msisdn,
     * iccid); a card's operations (op_eid only covers live ones). EID and ICCID ride on the keys. */
    CONSOLE_INDEXES_SQLITE,
    /* v9: one enabled profile per eUICC. */
    PROFILE_ONE_ENABLED,
    /* v10: the settled operations' tally. */
    OP_TALLY,
    /* v11: the SM-DS's event records. */
    SMDS_EVENT,
    /* v12: a card's notification sequence numbers already handled (rsp_store_audit_notif_seen). */
    "CREATE INDEX audit_notif ON audit(eid, detail) WHERE event = 'smsr.notif';",
    /* v13: the SM-DP's sealed ISD-P keys (lib/smdp/isdp.c) beside the profile they open, committed
     * with the download's "downloaded" mark (was a file per profile, 2 fsyncs and a rename). */
    "ALTER TABLE inv ADD COLUMN isdp_keys BLOB;",
};

static const char *const pg_steps[] = {
    /* v1 */
    "CREATE TABLE eis(eid TEXT PRIMARY KEY, eum_id TEXT NOT NULL, production_date TEXT NOT NULL,"
    " platform_type TEXT NOT NULL, platform_version TEXT NOT NULL, caps INTEGER NOT NULL,"
    " cattp_version TEXT NOT NULL, http_version TEXT NOT NULL, sp_version TEXT NOT NULL,"
    " rp_version TEXT NOT NULL, remaining_memory BIGINT NOT NULL,"
    " available_memory BIGINT NOT NULL, last_audit BIGINT NOT NULL, smsr_id TEXT NOT NULL,"
    " signed_blob BYTEA NOT NULL);"
    "CREATE TABLE profile(iccid TEXT PRIMARY KEY,"
    " eid TEXT NOT NULL REFERENCES eis(eid) ON DELETE CASCADE, isdp_aid TEXT NOT NULL,"
    " mno_id TEXT NOT NULL, smdp_id TEXT NOT NULL, profile_type TEXT NOT NULL,"
    " msisdn TEXT NOT NULL, imsi TEXT NOT NULL, state INTEGER NOT NULL, fallback INTEGER NOT NULL,"
    " pol2 BIGINT NOT NULL, allocated_memory BIGINT NOT NULL, UNIQUE(eid, isdp_aid));"
    "CREATE TABLE keyset(eid TEXT NOT NULL REFERENCES eis(eid) ON DELETE CASCADE,"
    " kvn INTEGER NOT NULL, type INTEGER NOT NULL, keys BYTEA NOT NULL, counter BIGINT NOT NULL,"
    " PRIMARY KEY(eid, kvn));"
    "CREATE TABLE op(id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, eid TEXT NOT NULL,"
    " function TEXT NOT NULL, requester TEXT NOT NULL, fcid TEXT NOT NULL,"
    " created BIGINT NOT NULL, deadline BIGINT NOT NULL, state INTEGER NOT NULL,"
    " attempts INTEGER NOT NULL, next_attempt BIGINT NOT NULL, lease_until BIGINT NOT NULL,"
    " worker TEXT NOT NULL, script BYTEA NOT NULL, result BYTEA, updated BIGINT NOT NULL,"
    " UNIQUE(requester, fcid));"
    "CREATE INDEX op_eid ON op(eid, id) WHERE state < 3;"
    "CREATE INDEX op_live ON op(id) WHERE state < 3;"
    "CREATE TABLE audit(id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, ts BIGINT NOT NULL,"
    " actor TEXT NOT NULL, eid TEXT NOT NULL, iccid TEXT NOT NULL, op_id BIGINT NOT NULL,"
    " event TEXT NOT NULL, detail TEXT NOT NULL);"
    "CREATE INDEX audit_eid ON audit(eid, id);"
    "CREATE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql AS"
    " $$BEGIN RAISE EXCEPTION 'audit is append-only'; END$$;"
    "CREATE TRIGGER audit_ro BEFORE UPDATE OR DELETE ON audit"
    " FOR EACH ROW EXECUTE FUNCTION audit_append_only();",
    /* v2 */
    "CREATE TABLE plma(operator TEXT NOT NULL, m2msp TEXT NOT NULL, profile_type TEXT NOT NULL,"
    " functions BIGINT NOT NULL, PRIMARY KEY(operator, m2msp, profile_type));"
    "CREATE TABLE onc(operator TEXT NOT NULL, profile_type TEXT NOT NULL,"
    " notifications BIGINT NOT NULL, PRIMARY KEY(operator, profile_type));"
    "CREATE TABLE inv(iccid TEXT PRIMARY KEY, profile_type TEXT NOT NULL, state INTEGER NOT NULL,"
    " eid TEXT NOT NULL, package_path TEXT NOT NULL, package BYTEA NOT NULL,"
    " added BIGINT NOT NULL, updated BIGINT NOT NULL);"
    "CREATE INDEX inv_avail ON inv(profile_type, added, iccid) WHERE state = 0;",
    /* v3: the claim generation; and statistics kept current on the op table, whose contents
     * swing fast (a queue): analyse after 1% / 200 rows changed instead of 10% / 50. */
    "ALTER TABLE op ADD COLUMN gen BIGINT NOT NULL DEFAULT 0;"
    "ALTER TABLE op SET (autovacuum_analyze_scale_factor = 0.01,"
    " autovacuum_analyze_threshold = 200, autovacuum_vacuum_scale_factor = 0.02);",
    /* v4 */
    "CREATE TABLE lane(eid TEXT PRIMARY KEY, head BIGINT, busy INTEGER NOT NULL);"
    "ALTER TABLE lane SET (autovacuum_analyze_scale_factor = 0.01,"
    " autovacuum_analyze_threshold = 200);"
    LANE_FILL
    "CREATE INDEX lane_ready ON lane(head) WHERE busy = 0 AND head IS NOT NULL;"
    "CREATE INDEX op_lease ON op(lease_until) WHERE state IN (1,2);",
    /* v5 */
    "CREATE TABLE outbox(id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, owner TEXT NOT NULL,"
    " key TEXT UNIQUE, url TEXT NOT NULL, ctype TEXT NOT NULL, action TEXT NOT NULL,"
    " body BYTEA NOT NULL, created BIGINT NOT NULL, next_attempt BIGINT NOT NULL,"
    " attempts INTEGER NOT NULL, state INTEGER NOT NULL, last_error TEXT NOT NULL,"
    " op_id BIGINT NOT NULL, lease_until BIGINT NOT NULL, worker TEXT NOT NULL, gen BIGINT NOT NULL,"
    " updated BIGINT NOT NULL);"
    OUTBOX_INDEXES
    "CREATE TABLE outbox_reply(id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
    " owner TEXT NOT NULL, key TEXT NOT NULL UNIQUE, op_id BIGINT NOT NULL, caller TEXT NOT NULL,"
    " function TEXT NOT NULL, reply_to TEXT NOT NULL, message_id TEXT NOT NULL, fcid TEXT NOT NULL,"
    " eid TEXT NOT NULL, iccid TEXT NOT NULL, flags BIGINT NOT NULL, created BIGINT NOT NULL);"
    "CREATE INDEX outbox_reply_owner ON outbox_reply(owner, id);",
    /* v6 */
    "ALTER TABLE profile ADD COLUMN emergency INTEGER NOT NULL DEFAULT 0;",
    /* v7 */
    SMDP_DL_TABLE,
    /* v8: the console's prefix ranges compare in the "C" collation (console_sql.h), whatever the
     * database's default, so their indexes are on the "C" forms. */
    CONSOLE_INDEXES_PG,
    /* v9 */
    PROFILE_ONE_ENABLED,
    /* v10 */
    OP_TALLY,
    /* v11 */
    SMDS_EVENT,
    /* v12: the detail in "C", as rsp_store_audit_notif_seen compares it */
    "CREATE INDEX audit_notif ON audit(eid, (detail COLLATE \"C\")) WHERE event = 'smsr.notif';",
    /* v13 */
    "ALTER TABLE inv ADD COLUMN isdp_keys BYTEA;",
};

_Static_assert(sizeof sqlite_steps / sizeof sqlite_steps[0] == RSP_STORE_SCHEMA_VERSION,
               "one SQLite migration step per schema version");
_Static_assert(sizeof pg_steps / sizeof pg_steps[0] == RSP_STORE_SCHEMA_VERSION,
               "one PostgreSQL migration step per schema version");

/* Before v9: the eUICCs with more than one enabled profile, if any, refuse the migration with
 * their EIDs (docs/modules/store.md "One enabled profile per eUICC" says how to repair). */
static rsp_err one_enabled_check(rsp_store *s, rsp_diag *diag)
{
    char list[8 * 34 + 1] = "";
    size_t len = 0;
    rsp_err e = s->ops->run(s, RSP_STMT_PROF_ENABLED_DUP, NULL, 0);
    while (e == RSP_OK && (e = s->ops->next(s)) == RSP_OK) {
        const char *eid = s->ops->col_text(s, 0);
        int w = snprintf(list + len, sizeof list - len, "%s%.32s", len ? "," : "", eid ? eid : "");
        if (w > 0 && (size_t)w < sizeof list - len)
            len += (size_t)w;
    }
    s->ops->finish(s);
    if (e != RSP_ERR_END)
        return rsp_diag_set(diag, e, "store: cannot check the enabled profiles");
    if (!len)
        return RSP_OK;
    RSP_LOGE(RSP_SS_STORE, "migration refused: eUICCs with several enabled profiles", "eids=%s",
             list);
    return rsp_diag_set(diag, RSP_ERR_STATE,
                        "store: schema v9 refused, eUICCs with several enabled profiles (see "
                        "docs/modules/store.md): %s", list);
}

static rsp_err migrate_locked(rsp_store *s, int max_version, rsp_diag *diag)
{
    const bool pg = s->ops->id == RSP_STORE_BE_PG;
    const char *const *steps = pg ? pg_steps : sqlite_steps;
    int64_t have = 0, v = 0;
    rsp_err e;

    if (pg) {
        /* Two processes opening a fresh database at once: one migrates, the other waits here
         * (the lock is per database; the key is arbitrary but fixed). */
        RSP_STORE_TRY(s->ops->exec(s, "SELECT pg_advisory_xact_lock(5289436201)"));
        e = s->ops->query_int(s, "SELECT COUNT(*) FROM pg_catalog.pg_tables WHERE schemaname ="
                                 " current_schema() AND tablename = 'schema_version'", &have);
    } else {
        e = s->ops->query_int(s, "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table'"
                                 " AND name = 'schema_version'", &have);
    }
    if (e != RSP_OK)
        return rsp_diag_set(diag, e, "store: cannot read the schema catalogue");
    if (!have) {
        RSP_STORE_TRY(s->ops->exec(s, "CREATE TABLE schema_version(version INTEGER NOT NULL);"
                                      "INSERT INTO schema_version(version) VALUES (0)"));
    } else if ((e = s->ops->query_int(s, "SELECT version FROM schema_version", &v)) != RSP_OK) {
        return rsp_diag_set(diag, e == RSP_ERR_END ? RSP_ERR_DB : e,
                            "store: schema_version table is empty");
    }
    if (v > RSP_STORE_SCHEMA_VERSION)
        return rsp_diag_set(diag, RSP_ERR_UNSUPPORTED,
                            "store: database schema version %lld is newer than this build "
                            "supports (%d); upgrade OpenRSP", (long long)v,
                            RSP_STORE_SCHEMA_VERSION);
    if (v < 0)
        return rsp_diag_set(diag, RSP_ERR_DB, "store: bad schema version %lld", (long long)v);
    for (int i = (int)v; i < max_version; i++) {
        char bump[64];
        if (i == 8 && (e = one_enabled_check(s, diag)) != RSP_OK)
            return e;
        if ((e = s->ops->exec(s, steps[i])) != RSP_OK)
            return rsp_diag_set(diag, e, "store: migration to schema version %d failed", i + 1);
        snprintf(bump, sizeof bump, "UPDATE schema_version SET version = %d", i + 1);
        RSP_STORE_TRY(s->ops->exec(s, bump));
        RSP_LOGN(RSP_SS_STORE, "schema migrated", "backend=%s version=%d", s->ops->name, i + 1);
    }
    return RSP_OK;
}

rsp_err rsp_store__migrate(rsp_store *s, int max_version, rsp_diag *diag)
{
    if (max_version < 0 || max_version > RSP_STORE_SCHEMA_VERSION)
        return RSP_ERR_INVAL;
    rsp_err e = rsp_store__begin(s);
    if (e != RSP_OK)
        return rsp_diag_set(diag, e, "store: cannot start the migration transaction");
    if ((e = migrate_locked(s, max_version, diag)) != RSP_OK) {
        rsp_store__rollback(s);
        return rsp_diag_set(diag, e, "store: migration failed");
    }
    return rsp_store__commit(s);
}

rsp_err rsp_store_schema_version(rsp_store *s, int *version)
{
    int64_t v = 0;
    if (!s || !version)
        return RSP_ERR_INVAL;
    RSP_STORE_TRY(s->ops->query_int(s, "SELECT version FROM schema_version", &v));
    *version = (int)v;
    return RSP_OK;
}
