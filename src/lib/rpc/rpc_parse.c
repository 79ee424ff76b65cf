/* SPDX-License-Identifier: MIT */
/*
 * One JSON-RPC 2.0 request (or batch) in, one response text out: no
 * sockets, no state, so it can be fuzzed and unit-tested directly.
 */
#include "rpc/rpc.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/log.h"

#define REQUEST_SHAPE                                                          \
	"a request is {\"jsonrpc\":\"2.0\",\"method\":STRING,"                 \
	"\"params\":{...},\"id\":NUMBER|STRING}"

/* msg may hold bytes from anywhere (a file name, a cut-off UTF-8
 * sequence): what is not valid UTF-8 is shown as '?'. */
static json_t *error_obj(int code, const char *msg)
{
	json_t *m = json_string(msg);

	if (!m) {
		char safe[1024];
		size_t i;

		for (i = 0; msg[i] && i < sizeof(safe) - 1; i++)
			safe[i] = (unsigned char)msg[i] < 0x80 ? msg[i] : '?';
		safe[i] = '\0';
		m = json_string(safe);
	}
	return json_pack("{s:i,s:o}", "code", code, "message", m);
}

/* The response object; steals result or error. */
static json_t *response(json_t *id, json_t *result, json_t *error)
{
	json_t *r = json_pack("{s:s,s:O}", "jsonrpc", "2.0", "id",
			      id ? id : json_null());

	if (!r) {
		json_decref(result);
		json_decref(error);
		return NULL;
	}
	if (error)
		json_object_set_new(r, "error", error);
	else
		json_object_set_new(r, "result", result ? result : json_null());
	return r;
}

static bool valid_id(json_t *id)
{
	return !id || json_is_string(id) || json_is_integer(id) ||
	       json_is_null(id);
}

/* Why req is not a request, or NULL when it is one. */
static const char *shape_error(json_t *req)
{
	json_t *params = json_object_get(req, "params");
	const char *v = json_string_value(json_object_get(req, "jsonrpc"));

	if (!json_is_object(req))
		return REQUEST_SHAPE;
	if (!v || strcmp(v, "2.0"))
		return "\"jsonrpc\" must be \"2.0\"";
	if (!json_is_string(json_object_get(req, "method")))
		return "\"method\" must be a string";
	if (!valid_id(json_object_get(req, "id")))
		return "\"id\" must be a number, a string or null";
	if (params && !json_is_object(params) && !json_is_array(params))
		return "\"params\" must be an object";
	return NULL;
}

static const struct rpc_method *find(const struct rpc_method *methods,
				     const char *name)
{
	for (const struct rpc_method *m = methods; m->name; m++)
		if (!strcmp(m->name, name))
			return m;
	return NULL;
}

/* Runs m; returns 0 with *result, or an error object in *error. */
static void call(const struct rpc_method *m, void *ctx, json_t *params,
		 json_t **result, json_t **error)
{
	char err[1024] = "", logged[1024] = "";
	int ret;

	*result = NULL;
	*error = NULL;
	/* Lower layers log why they failed; that sentence is what the
	 * client should see when the method itself says nothing. */
	log_capture_begin(logged, sizeof(logged));
	ret = m->fn(ctx, params, result, err, sizeof(err));
	log_capture_end();
	if (!ret)
		return;
	json_decref(*result);
	*result = NULL;
	*error = error_obj(ret, err[0] ? err : logged[0] ? logged : "failed");
}

/* The response to one parsed request, or NULL for a notification. */
static json_t *handle_one(const struct rpc_method *methods, void *ctx,
			  json_t *req)
{
	const char *why = shape_error(req);
	const struct rpc_method *m;
	json_t *id, *params, *result, *error;
	char msg[256];

	if (why)
		return response(json_is_object(req) && valid_id(json_object_get(
				req, "id")) ? json_object_get(req, "id") : NULL,
				NULL, error_obj(RPC_INVALID_REQUEST, why));
	id = json_object_get(req, "id");
	params = json_object_get(req, "params");
	m = find(methods, json_string_value(json_object_get(req, "method")));
	if (!m) {
		snprintf(msg, sizeof(msg), "unknown method '%.64s' (rpc_methods "
			 "lists them)", json_string_value(json_object_get(req, "method")));
		error = error_obj(RPC_METHOD_NOT_FOUND, msg);
		result = NULL;
	} else if (json_is_array(params)) {
		error = error_obj(RPC_INVALID_PARAMS, "\"params\" must be an "
				  "object of named members, not an array");
		result = NULL;
	} else {
		call(m, ctx, params, &result, &error);
	}
	if (!id) {
		/* A notification is never answered, even on error. */
		json_decref(result);
		json_decref(error);
		return NULL;
	}
	return response(id, result, error);
}

static json_t *handle_batch(const struct rpc_method *methods, void *ctx,
			    json_t *batch)
{
	json_t *out, *req;
	size_t i;

	if (!json_array_size(batch))
		return response(NULL, NULL, error_obj(RPC_INVALID_REQUEST,
				"an empty batch; " REQUEST_SHAPE));
	if (json_array_size(batch) > RPC_MAX_BATCH)
		return response(NULL, NULL, error_obj(RPC_INVALID_REQUEST,
				"a batch may hold at most 128 requests"));
	out = json_array();
	json_array_foreach(batch, i, req) {
		json_t *r = handle_one(methods, ctx, req);

		if (r)
			json_array_append_new(out, r);
	}
	if (json_array_size(out))
		return out;
	json_decref(out);
	return NULL;
}

char *rpc_handle_line(const struct rpc_method *methods, void *ctx,
		      const char *line, size_t len)
{
	json_error_t jerr;
	json_t *req, *resp;
	char msg[256], *out;

	req = json_loadb(line, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr);
	if (!req) {
		snprintf(msg, sizeof(msg), "not JSON: %s (line %d, column %d)",
			 jerr.text, jerr.line, jerr.column);
		resp = response(NULL, NULL, error_obj(RPC_PARSE_ERROR, msg));
	} else if (json_is_array(req)) {
		resp = handle_batch(methods, ctx, req);
	} else {
		resp = handle_one(methods, ctx, req);
	}
	json_decref(req);
	if (!resp)
		return NULL;
	out = json_dumps(resp, JSON_COMPACT | JSON_ENCODE_ANY);
	json_decref(resp);
	return out;
}
