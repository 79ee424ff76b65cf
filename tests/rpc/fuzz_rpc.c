/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer harness for the JSON-RPC request path (rpc_handle_line, the
 * pure function behind vmiod's socket), with methods that read params
 * the way vmiod's do. The oracle, beyond no crash, leak or UB: every
 * answer is one line of JSON; a single request is answered by an object
 * with exactly one of result/error, a batch by an array of such objects,
 * and a request with a valid id gets that id back.
 * Build and run: tests/rpc/run-fuzz.sh [SECONDS]
 */
#include <assert.h>
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rpc/rpc.h"
#include "util/log.h"

static int m_echo(void *c, json_t *p, json_t **r, char *err, size_t len)
{
	*r = p ? json_deep_copy(p) : NULL;
	return 0;
}

static int m_disk(void *c, json_t *p, json_t **r, char *err, size_t len)
{
	const char *id = json_string_value(json_object_get(p, "id"));
	json_t *size = json_object_get(p, "size");

	if (!id) {
		snprintf(err, len, "params.id is required");
		return RPC_INVALID_PARAMS;
	}
	if (size && !json_is_integer(size)) {
		log_warn("size of %s is not an integer", id); /* captured */
		return RPC_APP_ERROR;
	}
	*r = json_pack("{s:s,s:I}", "id", id, "size",
		       size ? json_integer_value(size) : (json_int_t)0);
	return 0;
}

static const struct rpc_method methods[] = {
	{ "echo", m_echo, "" },
	{ "disk_info", m_disk, "" },
	{ NULL, NULL, NULL },
};

static void check_response(json_t *r)
{
	assert(json_is_object(r));
	assert(!strcmp(json_string_value(json_object_get(r, "jsonrpc")), "2.0"));
	assert(!!json_object_get(r, "result") != !!json_object_get(r, "error"));
	assert(json_object_get(r, "id"));
	if (json_object_get(r, "error"))
		assert(json_is_string(json_object_get(json_object_get(r, "error"),
						      "message")));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *out = rpc_handle_line(methods, NULL, (const char *)data, size);
	json_t *req = json_loadb((const char *)data, size,
				 JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, NULL);
	json_t *resp, *e;
	size_t i;

	if (!out) {
		/* Silence only for notifications (or a batch of them). */
		assert(json_is_object(req) || json_array_size(req));
		json_decref(req);
		return 0;
	}
	assert(!strchr(out, '\n'));
	resp = json_loads(out, JSON_DECODE_ANY, NULL);
	assert(resp);
	if (json_is_array(resp)) {
		assert(json_array_size(resp));
		json_array_foreach(resp, i, e)
			check_response(e);
	} else {
		check_response(resp);
		if (json_is_object(req) && (json_is_integer(json_object_get(req, "id")) ||
					    json_is_string(json_object_get(req, "id"))))
			assert(json_equal(json_object_get(req, "id"),
					  json_object_get(resp, "id")));
	}
	json_decref(resp);
	json_decref(req);
	free(out);
	return 0;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	log_init("fuzz_rpc", LOG_ERROR);
	log_set_level(LOG_ERROR);
	return 0;
}
