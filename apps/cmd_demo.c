/* `rsp demo`: the fleet switch from operator A to operator B with every role a real process. This
 * file reads the options; demo_run.c runs the phases (see demo.h for the parts). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "demo.h"
#include "demo22.h"
#include "rsp/crypto.h"

static const char USAGE[] =
    "usage: rsp demo sgp22 [--devices N] [--json] ...   the consumer story (SGP.22): rsp demo sgp22 --help\n"
    "usage: rsp demo [--euiccs N] [--transport auto|sms|https] [--store sqlite|postgres[:URI]] [--keep DIR]\n"
    "                [--concurrency N] [--smdp-workers N] [--profile PKG.der] [--faults SEED] [--smsr-change]\n"
    "                [--json]\n"
    "  An IoT service provider (M2M SP SP1) moves N cards from operator MNO-A to MNO-B, every role a\n"
    "  real process of this binary on loopback ports: rsp smsc, rsp smsr run, rsp smdp run (MNO-B's\n"
    "  SM-DP), rsp euicc run (the N cards). Phases: PKI (rsp ci), manufacture (rsp eum make, MNO-A's\n"
    "  profile), ES1 registration over HTTPS, ES4A PLMAs, ES2 DownloadProfile(enable) for every EID,\n"
    "  fall-back moved and MNO-A's profile deleted (ES4, SP1 under the PLMA), ES4 AuditEIS on a sample\n"
    "  compared with each card's own state. A phase this build cannot do is reported, not faked.\n"
    "  --euiccs N        cards (1..100000, default 100)\n"
    "  --concurrency N   ES calls in flight (default 64; also the SM-DP's workers, at most 64)\n"
    "  --transport T     how the SM-SR reaches the cards: auto (default: SMS, HTTPS admin sessions for\n"
    "                    what does not fit an SMS and the download), https (admin sessions for all), sms\n"
    "                    (SCP80 over SMPP only, no admin server: the download by SMS too, slow)\n"
    "  --smdp-workers N  downloads the SM-DP runs at once (default: --concurrency; more ES2 calls wait)\n"
    "  --store S         the SM-SR's store: sqlite (DIR/smsr.db), postgres (RSP_PG_DSN) or postgres:URI\n"
    "  --keep DIR        run in DIR (must be empty or absent) and keep the PKI, fleet, stores and logs;\n"
    "                    default: a temporary directory, removed at the end\n"
    "  --json            the summary as one JSON object, the last line of stdout (tables on stderr)\n"
    "  --faults SEED     the switch under faults drawn from SEED (0: a random seed, printed): kill -9 and\n"
    "                    restart of rsp smsr, smdp and euicc run, drop-sms, offline cards; lost answers\n"
    "                    resent (same FunctionCallIdentifier); a failed download tried once more; then\n"
    "                    ES4.GetEIS of EVERY card compared with the card. Exit 0 when every card agrees\n"
    "                    with the SM-SR (cards that could not switch are listed, with the reason)\n"
    "  --smsr-change     then the fleet moves to a second SM-SR (SMSR-2, its own store and MSISDN): MNO-B\n"
    "                    runs rsp op smsr-change (ES4 PrepareSMSRChange/SMSRChange, ES7 between the SM-SRs;\n"
    "                    docs/modules/smsr_change.md); every card must move\n"
    "  Ctrl-C stops every process it started. Exit: 0 every card ended on MNO-B's profile with MNO-A's\n"
    "  deleted, 1 otherwise (failures listed; a phase not available says so), 2 usage.\n";

int rsp_cmd_demo(int argc, char **argv)
{
    if (argc >= 2 && !strcmp(argv[1], "sgp22")) /* the consumer story (demo22_run.c) */
        return rsp_demo22(argc - 1, argv + 1);
    if (rsp_cli_take_flag(&argc, argv, "--help")) {
        fputs(USAGE, stdout);
        return RSP_EXIT_OK;
    }
    demo_opts o = {100, "auto", "sqlite", NULL, false, 64, NULL, 0, false, 0, false};
    o.json = rsp_cli_take_flag(&argc, argv, "--json");
    o.smsr_change = rsp_cli_take_flag(&argc, argv, "--smsr-change");
    char pbuf[1024], store[1024];
    const char *shared = getenv("RSP_SHARED_DIR");
    snprintf(pbuf, sizeof(pbuf), "%s/profiles/TS48v7_SAIP2.3_NoBERTLV.der", shared && *shared ? shared : "../shared");
    o.profile = pbuf;
    static const struct option opts[] = {{"euiccs", 1, 0, 'n'}, {"transport", 1, 0, 't'}, {"store", 1, 0, 's'},
                                         {"keep", 1, 0, 'k'},   {"concurrency", 1, 0, 'c'}, {"profile", 1, 0, 'p'},
                                         {"smdp-workers", 1, 0, 'w'}, {"faults", 1, 0, 'f'},
                                         {0, 0, 0, 0}};
    int c;
    char *end;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'n':
            o.euiccs = (int)strtol(optarg, &end, 10);
            if (*end || o.euiccs < 1 || o.euiccs > 100000)
                return rsp_cli_usage_error("demo: --euiccs must be 1..100000, not '%s'", optarg);
            break;
        case 'c': {
            long v = strtol(optarg, &end, 10);
            if (*end || v < 1 || v > 256)
                return rsp_cli_usage_error("demo: --concurrency must be 1..256, not '%s'", optarg);
            o.concurrency = (unsigned)v;
            break;
        }
        case 'w': {
            long v = strtol(optarg, &end, 10);
            if (*end || v < 1 || v > 64)
                return rsp_cli_usage_error("demo: --smdp-workers must be 1..64, not '%s'", optarg);
            o.smdp_workers = (unsigned)v;
            break;
        }
        case 't':
            if (strcmp(optarg, "auto") && strcmp(optarg, "sms") && strcmp(optarg, "https"))
                return rsp_cli_usage_error("demo: --transport must be auto, sms or https");
            o.transport = optarg;
            break;
        case 'f':
            o.fault_seed = strtoull(optarg, &end, 10);
            if (*end || !*optarg || optarg[0] == '-')
                return rsp_cli_usage_error("demo: --faults takes a seed (a number; 0 = random), not '%s'", optarg);
            o.faults = true;
            break;
        case 's': o.store = optarg; break;
        case 'k': o.keep = optarg; break;
        case 'p': o.profile = optarg; break;
        default: return RSP_EXIT_USAGE;
        }
    }
    if (optind != argc)
        return rsp_cli_usage_error("demo: unexpected argument '%s'\n%s", argv[optind], USAGE);
    if (!strcmp(o.store, "postgres")) {
        const char *dsn = getenv("RSP_PG_DSN");
        if (!dsn || !*dsn)
            return rsp_cli_usage_error("demo: --store postgres needs RSP_PG_DSN (or --store postgres:URI)");
        snprintf(store, sizeof(store), "%s", dsn);
        o.store = store;
    } else if (!strncmp(o.store, "postgres:", 9) && strncmp(o.store, "postgres://", 11)) {
        snprintf(store, sizeof(store), "%s", o.store + 9);
        o.store = store;
    } else if (strcmp(o.store, "sqlite") && strncmp(o.store, "postgres", 8)) {
        return rsp_cli_usage_error("demo: --store must be sqlite, postgres or postgres:URI");
    }
    if (o.faults && o.fault_seed == 0) { /* a random seed, printed by the run so that it replays */
        uint8_t r[4] = {0};
        if (rsp_random(r, sizeof(r)) != RSP_OK)
            r[0] = 1;
        o.fault_seed = 1 + (((unsigned long long)r[0] << 24 | (unsigned long long)r[1] << 16 | r[2] << 8 | r[3]) % 999999999ULL);
    }
    FILE *f = fopen(o.profile, "rb");
    if (!f)
        return rsp_cli_usage_error("demo: cannot read the profile package %s (set RSP_SHARED_DIR or --profile)",
                                   o.profile);
    fclose(f);
    return demo_run(&o);
}
