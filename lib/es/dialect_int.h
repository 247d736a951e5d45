/* Internal to lib/es: the dialect tables (lib/es/dialect.c, dialect_njiwa.c) that the SOAP codec reads.
 *
 * A dialect is data: its envelope (SOAP version, WS-A namespace and spelling), and rows that map its
 * element names, wrappers and value spellings onto our descriptors. Where a dialect has no row for a
 * struct or a function, our own table (the gsma form) is used inside that dialect's envelope. */
#ifndef RSP_ES_DIALECT_INT_H
#define RSP_ES_DIALECT_INT_H

#include "es_int.h"

/* How a value is spelled when it differs from the plain form of our type. */
enum {
    RSP_ES_FORM_PLAIN = 0,
    RSP_ES_FORM_ECC,      /* INT 256 <-> "ECC-256" */
    RSP_ES_FORM_BYTE_DEC, /* HEX of one byte <-> xs:byte in decimal (-128..127) */
    RSP_ES_FORM_HEX_LONG, /* HEX (big-endian, <= 8 bytes) <-> xs:long in decimal */
};

/* The dialect's schema requires the element (a Java primitive on njiwa's side): written as 0 when absent,
 * and 0 read back as absent, since that peer cannot tell the two apart. INT members, and HEX ones in
 * the HEX_LONG form. */
#define RSP_ES_R_ALWAYS 1u
#define RSP_ES_R_ATTR 2u /* carried as an attribute of the parent element (scalars only) */
/* The dialect's schema has no element for the member and the loss is accepted (written never, so that
 * what we send still validates): only where the peer's contract cannot carry it, each row saying why.
 * Read back by our own name like any element the dialect does not list. */
#define RSP_ES_R_DROP 4u

/* One element of a struct (or one part of an rpc message) in a dialect, in the dialect's order. */
typedef struct rsp_es_drow {
    const char *name; /* the element as the dialect writes it (exactly) */
    const char *ours; /* the rsp_es_field.xml it carries; NULL: `name`, compared leniently */
    const char *item; /* a list wrapped in <name>: the element of one item; NULL: <name> repeats */
    uint8_t form;     /* RSP_ES_FORM_* */
    uint8_t flags;    /* RSP_ES_R_* */
    const char *sub;  /* nested struct: the layout to use (rsp_es_layout.name); NULL: by descriptor */
} rsp_es_drow;

typedef struct rsp_es_layout {
    const char *name; /* the descriptor's name (rsp_es_struct.name) or a layout named by a row */
    const rsp_es_drow *rows;
    size_t n;
} rsp_es_layout;

/* One function in a dialect. Request rows are the parts of the request, in order; result rows the
 * elements of the result (inside the `ret` part, or the callback wrapper). NULL rows: our descriptor. */
typedef struct rsp_es_dop {
    rsp_es_iface iface;
    const char *func;       /* catalogue name */
    const char *op;         /* request wrapper (rpc operation); the HTTP response wrapper is op+"Response" */
    const char *alias;      /* another name the dialect gives the function in Actions, or NULL */
    const char *req_action; /* Action/SOAPAction of the request */
    const rsp_es_drow *req;
    size_t nreq;
    const char *ret;        /* the part holding the result in the HTTP response */
    const char *ret_action; /* Action of that HTTP response */
    const char *cb_op;      /* wrapper of the result sent as a request of its own (callback) */
    const char *cb_action;
    const char *cb_ret;     /* the part wrapping the callback's result, or NULL (its members directly) */
    const char *res;        /* layout of the result in the HTTP response (by name); NULL: by descriptor */
    const char *cb_res;     /* layout of the result in the callback; NULL: `res` */
    uint8_t cb_relates_lower; /* the callback's header spells relatesTo */
    uint8_t cb_ack;           /* what the HTTP answer to that callback holds: RSP_ES_ACK_* */
} rsp_es_dop;

/* The acknowledgement of a callback in the HTTP answer (njiwa's callback operations are
 * request-response: <CallbackOpResponse><return>...</return>). */
enum {
    RSP_ES_ACK_NONE = 0, /* 202, no body */
    RSP_ES_ACK_STRING,   /* return xs:string */
    RSP_ES_ACK_STATUS,   /* return baseResponseType, EXECUTED_SUCCESS */
};

/* An enum value the dialect spells differently. */
typedef struct rsp_es_dvalue {
    const rsp_es_enum *en;
    int value;
    const char *spelling;
} rsp_es_dvalue;

typedef struct rsp_es_dialect_def {
    const char *name;
    int soap_version;
    const char *wsa_ns;
    const char *wsa_prefix;    /* prefix bound to wsa_ns in what we write */
    bool address_qualified;   /* <wsa:Address> (gsma) or an unqualified <Address> (njiwa) */
    bool rpc_result;          /* results in the HTTP response go inside the dop's `ret` part */
    bool request_response;    /* every request is answered with its result in the HTTP response (JAX-WS) */
    const rsp_es_dop *ops;
    size_t nops;
    const rsp_es_layout *layouts;
    size_t nlayouts;
    const rsp_es_dvalue *values;
    size_t nvalues;
} rsp_es_dialect_def;

extern const rsp_es_dialect_def rsp_es_dialect_gsma, rsp_es_dialect_njiwa;

const rsp_es_dialect_def *rsp_es_dialect_get(rsp_es_dialect d);
/* The function's row in a dialect, or NULL. */
const rsp_es_dop *rsp_es_dialect_op(const rsp_es_dialect_def *dd, const rsp_es_func *f);
/* A layout by name, or NULL. */
const rsp_es_layout *rsp_es_dialect_layout(const rsp_es_dialect_def *dd, const char *name);
/* Resolves a name a dialect gives a function (operation, alias, callback wrapper, optionally with a
 * "Request"/"Response" suffix) within one interface, across all dialects. *response is set when the
 * name designates the result. NULL if no dialect knows it. */
const rsp_es_func *rsp_es_dialect_func_by_name(rsp_es_iface iface, const char *name, size_t len, bool *response);
/* The dialect's spelling of an enum value, or NULL (ours is used). */
const char *rsp_es_dialect_value(const rsp_es_dialect_def *dd, const rsp_es_enum *en, int v);
/* The value a dialect spelling stands for, or -1. */
int rsp_es_dialect_value_parse(const rsp_es_dialect_def *dd, const rsp_es_enum *en, const char *s, size_t len);

#endif
