/* cmd_keys.c — `slctl keys gen`: the node's CURVE key pair and sealing key pair.
 *
 * Each key file holds one key as 40 characters of Z85 text and a newline;
 * secret files are created 0600 and never overwritten without --force. The
 * CURVE pair secures the node's TCP endpoints; the sealing pair (libsodium
 * crypto_box) seals reporters' personal data. */
#include "slctl.h"

#include "sl_util.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zmq.h>

/* Writes TEXT and a newline to PATH with MODE; refuses an existing file unless FORCE. */
static int
s_write_key(const char *path, const char *text, mode_t mode, bool force)
{
    int flags = O_WRONLY | O_CREAT | (force ? O_TRUNC : O_EXCL);
    int fd = open(path, flags, mode);
    if (fd < 0) {
        fprintf(stderr, "slctl: cannot write %s: %s%s\n", path, strerror(errno),
                errno == EEXIST ? " (use --force to replace it)" : "");
        return -1;
    }
    fchmod(fd, mode);
    size_t n = strlen(text);
    int rc = (write(fd, text, n) == (ssize_t)n && write(fd, "\n", 1) == 1) ? 0 : -1;
    if (close(fd) != 0 || rc != 0) {
        fprintf(stderr, "slctl: cannot write %s: %s\n", path, strerror(errno));
        return -1;
    }
    return 0;
}

static int
s_mkdirs(const char *dir)
{
    char *p = sl_strdup(dir);
    for (char *s = p + 1; *s; s++) {
        if (*s == '/') {
            *s = '\0';
            mkdir(p, 0755);
            *s = '/';
        }
    }
    int rc = mkdir(p, 0700);
    free(p);
    return rc == 0 || errno == EEXIST ? 0 : -1;
}

int
sl_ctl_keys(sl_ctl_t *ctl, int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "gen") != 0)
        sl_ctl_die(SL_EXIT_USAGE, "usage: slctl keys gen [--dir DIR] [--curve-only] [--force]");
    const char *dir = NULL;
    bool curve_only = false, force = false;
    static const struct option opts[] = {{"dir", required_argument, NULL, 'd'},
                                         {"curve-only", no_argument, NULL, 'C'},
                                         {"force", no_argument, NULL, 'f'},
                                         {NULL, 0, NULL, 0}};
    int opt;
    argv[1] = argv[0];
    while ((opt = getopt_long(argc - 1, argv + 1, "", opts, NULL)) != -1) {
        if (opt == 'd')
            dir = optarg;
        else if (opt == 'C')
            curve_only = true;
        else if (opt == 'f')
            force = true;
        else
            return SL_EXIT_USAGE;
    }
    if (optind + 1 < argc)
        sl_ctl_die(SL_EXIT_USAGE, "keys gen: unexpected argument \"%s\"", argv[optind + 1]);
    if (sodium_init() < 0)
        sl_ctl_die(SL_EXIT_FAIL, "libsodium could not be initialised");

    /* Where the files go: --dir, else the paths in the config's [keys]. */
    char *cpub, *csec, *spub, *ssec;
    if (dir) {
        if (s_mkdirs(dir) != 0)
            sl_ctl_die(SL_EXIT_FAIL, "cannot create %s: %s", dir, strerror(errno));
        cpub = sl_asprintf("%s/curve.pub", dir);
        csec = sl_asprintf("%s/curve.key", dir);
        spub = sl_asprintf("%s/seal.pub", dir);
        ssec = sl_asprintf("%s/seal.key", dir);
    } else {
        sl_config_t *cfg = sl_ctl_config(ctl);
        cpub = sl_strdup(sl_config_str(cfg, "keys", "curve_public"));
        csec = sl_strdup(sl_config_str(cfg, "keys", "curve_secret"));
        spub = sl_strdup(sl_config_str(cfg, "keys", "seal_public"));
        ssec = sl_strdup(sl_config_str(cfg, "keys", "seal_secret"));
        char *d = sl_strdup(csec);
        char *slash = strrchr(d, '/');
        if (slash) {
            *slash = '\0';
            s_mkdirs(d);
        }
        free(d);
    }
    int rc = SL_EXIT_OK;
    char zpub[41], zsec[41];
    if (zmq_curve_keypair(zpub, zsec) != 0) {
        fprintf(stderr, "slctl: libzmq has no CURVE support: %s\n", zmq_strerror(errno));
        rc = SL_EXIT_FAIL;
        goto done;
    }
    if (s_write_key(csec, zsec, 0600, force) != 0 || s_write_key(cpub, zpub, 0644, force) != 0) {
        rc = SL_EXIT_FAIL;
        goto done;
    }
    printf("curve\t%s\t%s\n", cpub, zpub);
    if (!curve_only) {
        unsigned char pk[crypto_box_PUBLICKEYBYTES], sk[crypto_box_SECRETKEYBYTES];
        crypto_box_keypair(pk, sk);
        char zp[41], zs[41];
        zmq_z85_encode(zp, pk, sizeof pk);
        zmq_z85_encode(zs, sk, sizeof sk);
        sodium_memzero(sk, sizeof sk);
        if (s_write_key(ssec, zs, 0600, force) != 0 || s_write_key(spub, zp, 0644, force) != 0)
            rc = SL_EXIT_FAIL;
        else
            printf("seal\t%s\t%s\n", spub, zp);
        sodium_memzero(zs, sizeof zs);
    }
done:
    sodium_memzero(zsec, sizeof zsec);
    free(cpub);
    free(csec);
    free(spub);
    free(ssec);
    return rc;
}
