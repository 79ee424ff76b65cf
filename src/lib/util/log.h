/* SPDX-License-Identifier: MIT */
/* Logging to stderr with a level, a timestamp and the program name.
 * Messages are for people: say what went wrong and what to do. */
#ifndef VMIO_UTIL_LOG_H
#define VMIO_UTIL_LOG_H

enum log_level { LOG_ERROR = 0, LOG_WARN = 1, LOG_INFO = 2, LOG_DEBUG = 3 };

void log_init(const char *prog, enum log_level level);
void log_set_level(enum log_level level);
enum log_level log_get_level(void);
void log_msg(enum log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* While a capture is active on this thread, the last error or warning
 * logged is also copied into buf: the RPC server returns it to the client
 * that caused it, so every layer's human message reaches the operator. */
void log_capture_begin(char *buf, unsigned long len);
void log_capture_end(void);

#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARN, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...)                                                         \
	do {                                                                   \
		if (log_get_level() >= LOG_DEBUG)                              \
			log_msg(LOG_DEBUG, __VA_ARGS__);                       \
	} while (0)

#endif
