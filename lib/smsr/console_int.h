/* Internals of the SM-SR web console (lib/smsr/console*.c). */
#ifndef RSP_SMSR_CONSOLE_INT_H
#define RSP_SMSR_CONSOLE_INT_H

#include <jansson.h>

#include "rsp/http.h"
#include "rsp/smsr_console.h"
#include "rsp/store_console.h"

typedef struct console_token {
    char *token;             /* secret: wiped on free */
    size_t len;
    char identity[RSP_STORE_ID_LEN];
} console_token;

struct rsp_smsr_console {
    rsp_smsr *e;
    rsp_store *st;
    bool actions, mtls;
    char *m2msp_ids, *smdp_ids;
    console_token *tokens;
    size_t ntokens;
    rsp_tls_ctx *tls;
    rsp_http_server *srv;
};

/* An API answer: status and a JSON document (owned; NULL with an error text). */
typedef struct console_reply {
    int status;
    json_t *doc;
} console_reply;

/* A JSON string of outside text: as is when it is valid UTF-8, else with every byte outside
 * printable ASCII replaced by '?' (jansson refuses invalid UTF-8; the page shows text only). */
json_t *console_jstr(const char *s);
/* {"error": msg} with status. */
console_reply console_error(int status, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The role an identity has at ES4 (--m2msp-ids, --smdp-ids, else Operator). */
rsp_smsr_role console_role(const rsp_smsr_console *c, const char *identity);

/* GET handlers of /api/ (console_api.c); q is the parsed query string. */
console_reply console_api_search(rsp_smsr_console *c, const rsp_smsr_console_query *q);
console_reply console_api_card(rsp_smsr_console *c, const rsp_smsr_console_query *q);
console_reply console_api_ops(rsp_smsr_console *c, const rsp_smsr_console_query *q);
console_reply console_api_op(rsp_smsr_console *c, const rsp_smsr_console_query *q);
console_reply console_api_campaigns(rsp_smsr_console *c, const rsp_smsr_console_query *q, int64_t now);
console_reply console_api_campaign(rsp_smsr_console *c, const rsp_smsr_console_query *q, int64_t now);
/* One operation as the lists show it (console_api.c). */
json_t *console_op_json(const rsp_store_op *op, int64_t updated);
/* POST actions (console_act.c). */
console_reply console_act_cancel(rsp_smsr_console *c, const char *identity, const rsp_smsr_console_query *q,
                                 int64_t now);
console_reply console_act_retry(rsp_smsr_console *c, const char *identity, const rsp_smsr_console_query *q,
                                int64_t now);

/* The page (console_assets.c). */
extern const char console_index_html[], console_js[], console_css[], console_login_html[];

#endif
