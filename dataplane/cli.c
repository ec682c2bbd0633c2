/* SPDX-License-Identifier: BSD-3-Clause */
/* Command-line parsing and the --help text. */
#include <getopt.h>
#include <string.h>

#include "cli.h"
#include "log.h"

enum {
	OPT_CONFIG = 'c',
	OPT_HELP = 'h',
	OPT_VERSION = 'V',
	OPT_STATS_FILE = 256,
	OPT_CHECK,
	OPT_LOG_LEVEL,
	OPT_LIST_DROPS,
};

static const struct option long_options[] = {
    {"config", required_argument, NULL, OPT_CONFIG},
    {"stats-file", required_argument, NULL, OPT_STATS_FILE},
    {"check", no_argument, NULL, OPT_CHECK},
    {"log-level", required_argument, NULL, OPT_LOG_LEVEL},
    {"list-drops", no_argument, NULL, OPT_LIST_DROPS},
    {"help", no_argument, NULL, OPT_HELP},
    {"version", no_argument, NULL, OPT_VERSION},
    {NULL, 0, NULL, 0},
};

void dp_cli_usage(FILE *out)
{
	fputs(
	    "usage: sipsteer [--config FILE] [--stats-file PATH] [--check] [--log-level LEVEL]\n"
	    "                [--list-drops] [--help] [--version] [-- EAL-ARGS...]\n"
	    "\n"
	    "Stateless SIP load balancer on DPDK: requests to the virtual IP are forwarded to the\n"
	    "backend Maglev picks over the Call-ID, responses are relayed back (RFC 3261 16.11).\n"
	    "\n"
	    "options:\n"
	    "  -c, --config FILE     YAML configuration (docs/config.md). Without it the built-in\n"
	    "                        demo topology runs: port lan0 = net_tap0,iface=sst0, VIP\n"
	    "                        198.18.0.10/24 port 5060, backends 198.18.0.21-23:5060.\n"
	    "      --stats-file PATH write the counters as JSON to PATH on SIGUSR1 and at exit\n"
	    "                        (atomically: PATH.tmp, then rename).\n"
	    "      --check           validate the configuration (no DPDK start), print 'FILE: ok'\n"
	    "                        and exit 0, or print the error and exit 1.\n"
	    "      --log-level LEVEL debug, info, warning or error (default: the config's, info).\n"
	    "      --list-drops      print every drop reason of the stats file and exit.\n"
	    "  -h, --help            this text.\n"
	    "  -V, --version         print the version and exit.\n"
	    "\n"
	    "EAL arguments: sipsteer builds them; the config's 'eal:' list and then everything "
	    "after\n"
	    "'--' are appended and win where they repeat an option. Built in:\n"
	    "  --file-prefix=sipsteer-PID   unless one is given\n"
	    "  --no-huge                    unless '--huge' (a sipsteer word, removed before the\n"
	    "                               EAL sees it), --no-huge or a hugepage-only option\n"
	    "                               (--socket-mem, --socket-limit, --huge-dir) is given\n"
	    "  -m 512                       unless '--huge', -m or --socket-mem is given\n"
	    "  --no-pci                     when every port is a vdev and no -a/--allow/--no-pci\n"
	    "                               is given\n"
	    "  --vdev DEVICE                per vdev port;  -a PCI  per PCI port\n"
	    "  --lcores=0@CPU,1@CPU,...     lcore 0 = control thread, lcores 1..workers = "
	    "workers,\n"
	    "                               laid on the CPUs this process may use, wrapping "
	    "around\n"
	    "                               when there are fewer; not added when -l, -c or\n"
	    "                               --lcores is given\n"
	    "  --log-level=lib.eal:notice   quiet EAL start\n"
	    "\n"
	    "signals: SIGHUP reloads the configuration file (as 'sipsteerctl reload'); SIGUSR1\n"
	    "writes the stats file; SIGINT and SIGTERM stop the workers, write the stats file,\n"
	    "close the ports and exit 0.\n"
	    "\n"
	    "When the ports are up and the workers run, one line starting with 'sipsteer: ready'\n"
	    "goes to stderr. Other log lines: 'TIMESTAMP LEVEL: message' on stderr.\n"
	    "\n"
	    "exit status: 0 success, 1 bad configuration or startup failure, 2 bad command line.\n",
	    out);
}

static int usage_error(const char *what, const char *arg)
{
	fprintf(stderr, "sipsteer: %s '%s'\nTry 'sipsteer --help' for more information.\n", what,
	        arg);
	return -1;
}

int dp_cli_parse(int argc, char **argv, struct dp_cli *cli)
{
	enum log_level level;
	int opt;

	memset(cli, 0, sizeof(*cli));
	opterr = 0;
	optind = 1;
	/* '+': stop at the first non-option, so nothing after "--" is reordered. */
	while ((opt = getopt_long(argc, argv, "+:c:hV", long_options, NULL)) != -1) {
		switch (opt) {
		case OPT_CONFIG:
			cli->config = optarg;
			break;
		case OPT_STATS_FILE:
			cli->stats_file = optarg;
			break;
		case OPT_CHECK:
			cli->check = true;
			break;
		case OPT_LOG_LEVEL:
			if (log_level_parse(optarg, &level) != 0)
				return usage_error(
				    "--log-level: expected debug, info, warning or error, got",
				    optarg);
			cli->log_level = optarg;
			break;
		case OPT_LIST_DROPS:
			cli->list_drops = true;
			break;
		case OPT_HELP:
			cli->help = true;
			break;
		case OPT_VERSION:
			cli->version = true;
			break;
		case ':':
			return usage_error("option needs an argument:", argv[optind - 1]);
		default:
			return usage_error("unknown option", argv[optind - 1]);
		}
	}
	if (optind < argc && strcmp(argv[optind - 1], "--") != 0)
		return usage_error("unexpected argument", argv[optind]);
	cli->eal_argc = argc - optind;
	cli->eal_argv = argv + optind;
	return 0;
}
