/* SPDX-License-Identifier: MIT */
/*
 * JSON-RPC 2.0 over a unix stream socket (jansson), framed as one JSON
 * text per line. Built for a single-threaded control loop that must never
 * block: the server keeps its own epoll set and hands the owner one fd to
 * watch; every client has bounded input and output buffers, an idle
 * timeout and back-pressure, so a client that stalls, floods or sends
 * garbage costs nobody else anything.
 *
 * rpc_handle_line() is the whole request path without sockets: a pure
 * function of its input, fuzzed by tests/rpc/fuzz_rpc.c.
 */
#ifndef VMIO_RPC_RPC_H
#define VMIO_RPC_RPC_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

/* JSON-RPC error codes (spec) and ours. */
#define RPC_PARSE_ERROR -32700
#define RPC_INVALID_REQUEST -32600
#define RPC_METHOD_NOT_FOUND -32601
#define RPC_INVALID_PARAMS -32602
#define RPC_INTERNAL_ERROR -32603
#define RPC_APP_ERROR -32000 /* the request was understood but failed */
#define RPC_NOT_FOUND -32001 /* the object it names does not exist */
#define RPC_NOT_SUPPORTED -32002 /* this build or configuration cannot */

#define RPC_MAX_REQUEST (1u << 20) /* one request line, bytes */
#define RPC_MAX_CLIENTS 64
#define RPC_MAX_BATCH 128          /* requests in one batch array */
#define RPC_IDLE_MS 30000          /* a client silent this long is dropped */
#define RPC_REQUEST_MS 10000       /* a request must arrive whole this fast */

/*
 * A method: on success sets *result (a new reference; NULL means null) and
 * returns 0; on failure returns an error code and puts a sentence for a
 * person in err (if it does not, the last warning or error it logged is
 * used). params is an object or NULL (by-position params are refused
 * before a method sees them).
 */
typedef int (*rpc_method_fn)(void *ctx, json_t *params, json_t **result,
			     char *err, size_t errlen);

struct rpc_method {
	const char *name;
	rpc_method_fn fn;
	const char *help;
};

/* Handles one request or batch (len bytes, not NUL-terminated) against a
 * table ending in a NULL name. Returns the response text (malloc'd, no
 * newline), or NULL when nothing is to be sent (notifications only). */
char *rpc_handle_line(const struct rpc_method *methods, void *ctx,
		      const char *line, size_t len);

/* How the owner's event loop watches the server's one fd. */
struct rpc_hooks {
	int (*watch)(void *loop, int fd, void (*fn)(void *arg, unsigned int ev),
		     void *arg);
	void (*unwatch)(void *loop, int fd);
	void *loop;
};

/* Zero fields take the defaults above (mode 0660, owner unchanged). */
struct rpc_server_opts {
	unsigned int mode;      /* socket file permissions */
	bool set_owner;         /* chown the socket to uid:gid (-1 keeps one) */
	int uid, gid;
	size_t max_request;
	unsigned int max_clients;
	unsigned int idle_ms;
	unsigned int request_ms;
};

struct rpc_server;

/* path: a socket file to bind, or one handed in ("fd:N"; "systemd" for
 * the one named "rpc"; util/listen_fds.h). */
int rpc_server_create(const char *path, const struct rpc_method *methods,
		      void *ctx, const struct rpc_hooks *hooks,
		      const struct rpc_server_opts *opts,
		      struct rpc_server **out);
void rpc_server_destroy(struct rpc_server *s);
unsigned int rpc_server_nclients(const struct rpc_server *s);
/* Where clients connect: the path given, or "fd:3 (/run/vmio/vmiod.sock)"
 * for a socket handed in. Valid while s lives. */
const char *rpc_server_where(const struct rpc_server *s);

/*
 * The client side: connects to path, sends one request (params is stolen,
 * may be NULL) and waits up to timeout_ms for its answer. Returns 0 with
 * *result set (a new reference), -EREMOTEIO when the server answered with
 * an error (*code and err say which), or another -errno when the server
 * could not be reached or did not answer (err says what to do).
 */
int rpc_call(const char *path, const char *method, json_t *params,
	     int timeout_ms, json_t **result, int *code, char *err,
	     size_t errlen);

#endif
