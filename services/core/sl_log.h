/* sl_log.h — one log call, logfmt lines on stderr.
 *
 * Each line: ts=… level=… daemon=… node=… [fields…] msg="…". Leading words of the
 * formatted text that look like key=value (a lowercase key, a value without
 * spaces) become fields, so `sl_log(SL_LOG_WARN, "msg_id=%s code=%s envelope
 * rejected", id, code)` gives `msg_id=… code=… msg="envelope rejected"`.
 * Messages follow postgres style: lowercase, no final period.
 *
 * sl_log is a macro (Redis serverLog): below the configured level it
 * evaluates nothing, not even its arguments, so a debug line may format
 * freely. The level is read without a lock (an int set at start). */
#ifndef SL_LOG_H
#define SL_LOG_H

enum { SL_LOG_DEBUG = 0, SL_LOG_INFO = 1, SL_LOG_WARN = 2, SL_LOG_ERROR = 3 };

/* Sets the program name (daemon=) and node code (node=) written on every line. */
void sl_log_init(const char *daemon, const char *node);
void sl_log_set_node(const char *node);
void sl_log_set_level(int level);
int sl_log_level(void);
/* Parses "debug", "info", "warn"/"warning", "error"; returns -1 if unknown. */
int sl_log_level_parse(const char *s);

/* Holds this thread's debug and info lines from now until sl_log_release,
 * which writes them in one go (a line of a warning or an error writes them
 * and itself at once; past 64 KiB they are written too): for work that logs
 * a line per row of a batch, one write instead of one a line. Other threads
 * log as before. */
void sl_log_hold(void);
void sl_log_release(void);

/* The configured level; read through sl_log. Internal. */
extern int sl__log_level;
/* Writes one line unconditionally (sl_log checks the level first). Internal. */
void sl__log(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Logs FMT at LEVEL if LEVEL reaches the configured level; otherwise
 * evaluates nothing. */
#define sl_log(level, ...)                                                                         \
    do {                                                                                           \
        int sl__lvl = (level);                                                                     \
        if (sl__lvl >= sl__log_level)                                                              \
            sl__log(sl__lvl, __VA_ARGS__);                                                         \
    } while (0)

#endif
