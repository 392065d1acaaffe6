/* fuzz_config.c — libFuzzer target: a node's configuration file.
 *
 * The bytes are written to an in-memory file (memfd) and loaded by
 * sl_config_load as a daemon loads /etc/safeloop/node.ini: the INI syntax,
 * the key table (an unknown key is an error), the value checks and the
 * required keys. A file that loads is then read through the accessors the
 * daemons use. */
#include "sl_config.h"
#include "sl_log.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
    sl_log_set_level(SL_LOG_ERROR + 1);
    int fd = memfd_create("fuzz-config", 0);
    if (fd < 0)
        return 0;
    size_t off = 0;
    while (off < len) {
        ssize_t w = write(fd, data + off, len - off);
        if (w <= 0)
            goto done;
        off += (size_t)w;
    }
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    for (int instance = 1; instance <= 2; instance++) {
        char *err = NULL;
        sl_config_t *cfg = sl_config_load(path, instance, &err);
        if (!cfg) {
            if (!err)
                __builtin_trap(); /* a refusal always says why */
            free(err);
            continue;
        }
        if (!sl_config_node(cfg) || !sl_config_str(cfg, "database", "conninfo"))
            __builtin_trap(); /* required keys were checked */
        const char *const *names = NULL;
        size_t n = sl_config_family(cfg, "producer", &names);
        for (size_t i = 0; i < n; i++) {
            char section[160];
            snprintf(section, sizeof section, "producer.%s", names[i]);
            (void)sl_config_str(cfg, section, "public_key");
        }
        const char *section, *key;
        for (size_t i = 0; sl_config_key_at(i, &section, &key); i++)
            if (!strchr(section, '.'))
                (void)sl_config_str(cfg, section, key);
        sl_config_destroy(&cfg);
        if (cfg)
            __builtin_trap();
    }
done:
    close(fd);
    return 0;
}
