/* SPDX-License-Identifier: MIT */
/* rpc_handle_line: every shape of request, good and hostile. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "rpc/rpc.h"
#include "util/log.h"

static int calls;

static int m_echo(void *c, json_t *p, json_t **r, char *err, size_t len)
{
	calls++;
	*r = p ? json_incref(p) : NULL;
	return 0;
}

static int m_fail(void *c, json_t *p, json_t **r, char *err, size_t len)
{
	*r = json_true(); /* must be dropped, not leaked or sent */
	snprintf(err, len, "disk 'vm7' not found");
	return RPC_NOT_FOUND;
}

/* Fails without a message, after a lower layer logged why. */
static int m_logs(void *c, json_t *p, json_t **r, char *err, size_t len)
{
	log_error("the image is locked by another process");
	return RPC_APP_ERROR;
}

static const struct rpc_method methods[] = {
	{ "echo", m_echo, "" },
	{ "fail", m_fail, "" },
	{ "logs", m_logs, "" },
	{ NULL, NULL, NULL },
};

/* The parsed response to text (NULL when none was produced). */
static json_t *ask(const char *text)
{
	char *out = rpc_handle_line(methods, NULL, text, strlen(text));
	json_t *j;

	if (!out)
		return NULL;
	assert_null(strchr(out, '\n')); /* one line: the framing depends on it */
	j = json_loads(out, 0, NULL);
	assert_non_null(j);
	free(out);
	return j;
}

static int code_of(json_t *resp)
{
	return (int)json_integer_value(json_object_get(
		json_object_get(resp, "error"), "code"));
}

static void expect_error(const char *text, int code)
{
	json_t *r = ask(text);

	assert_non_null(r);
	assert_int_equal(code_of(r), code);
	assert_null(json_object_get(r, "result"));
	assert_string_equal(json_string_value(json_object_get(r, "jsonrpc")), "2.0");
	assert_non_null(json_string_value(json_object_get(json_object_get(
		r, "error"), "message")));
	json_decref(r);
}

static void test_round_trip(void **state)
{
	json_t *r = ask("{\"jsonrpc\":\"2.0\",\"method\":\"echo\","
			"\"params\":{\"a\":1},\"id\":7}");

	assert_int_equal(json_integer_value(json_object_get(r, "id")), 7);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(
		r, "result"), "a")), 1);
	assert_null(json_object_get(r, "error"));
	json_decref(r);
	/* String ids come back as strings; no params gives a null result. */
	r = ask("{\"jsonrpc\":\"2.0\",\"method\":\"echo\",\"id\":\"x1\"}");
	assert_string_equal(json_string_value(json_object_get(r, "id")), "x1");
	assert_true(json_is_null(json_object_get(r, "result")));
	json_decref(r);
}

static void test_notifications_are_silent(void **state)
{
	calls = 0;
	assert_null(ask("{\"jsonrpc\":\"2.0\",\"method\":\"echo\"}"));
	assert_int_equal(calls, 1); /* run, just not answered */
	assert_null(ask("{\"jsonrpc\":\"2.0\",\"method\":\"fail\"}"));
	assert_null(ask("{\"jsonrpc\":\"2.0\",\"method\":\"nope\"}"));
}

static void test_bad_json_and_shapes(void **state)
{
	expect_error("{not json", RPC_PARSE_ERROR);
	expect_error("", RPC_PARSE_ERROR);
	expect_error("{\"a\":1,\"a\":2}", RPC_PARSE_ERROR); /* duplicate keys */
	expect_error("42", RPC_INVALID_REQUEST);
	expect_error("\"echo\"", RPC_INVALID_REQUEST);
	expect_error("{\"method\":\"echo\",\"id\":1}", RPC_INVALID_REQUEST);
	expect_error("{\"jsonrpc\":\"1.0\",\"method\":\"echo\",\"id\":1}",
		     RPC_INVALID_REQUEST);
	expect_error("{\"jsonrpc\":\"2.0\",\"method\":42,\"id\":1}",
		     RPC_INVALID_REQUEST);
	expect_error("{\"jsonrpc\":\"2.0\",\"method\":\"echo\",\"id\":{}}",
		     RPC_INVALID_REQUEST);
	expect_error("{\"jsonrpc\":\"2.0\",\"method\":\"echo\",\"id\":1.5}",
		     RPC_INVALID_REQUEST);
	expect_error("{\"jsonrpc\":\"2.0\",\"method\":\"echo\",\"params\":3,\"id\":1}",
		     RPC_INVALID_REQUEST);
	expect_error("{\"jsonrpc\":\"2.0\",\"method\":\"echo\",\"params\":[1],\"id\":1}",
		     RPC_INVALID_PARAMS);
}

static void test_unknown_method_named(void **state)
{
	json_t *r = ask("{\"jsonrpc\":\"2.0\",\"method\":\"format_c\",\"id\":1}");
	const char *msg = json_string_value(json_object_get(json_object_get(
		r, "error"), "message"));

	assert_int_equal(code_of(r), RPC_METHOD_NOT_FOUND);
	assert_non_null(strstr(msg, "format_c"));
	json_decref(r);
}

static void test_method_errors_carry_the_message(void **state)
{
	json_t *r = ask("{\"jsonrpc\":\"2.0\",\"method\":\"fail\",\"id\":1}");

	assert_int_equal(code_of(r), RPC_NOT_FOUND);
	assert_string_equal(json_string_value(json_object_get(json_object_get(
		r, "error"), "message")), "disk 'vm7' not found");
	json_decref(r);
	r = ask("{\"jsonrpc\":\"2.0\",\"method\":\"logs\",\"id\":1}");
	assert_string_equal(json_string_value(json_object_get(json_object_get(
		r, "error"), "message")), "the image is locked by another process");
	json_decref(r);
}

static void test_batch(void **state)
{
	json_t *r = ask("[{\"jsonrpc\":\"2.0\",\"method\":\"echo\",\"params\":{},\"id\":1},"
			"{\"jsonrpc\":\"2.0\",\"method\":\"echo\"},"
			"{\"jsonrpc\":\"2.0\",\"method\":\"fail\",\"id\":3},"
			"17]");

	assert_true(json_is_array(r));
	assert_int_equal(json_array_size(r), 3); /* the notification is silent */
	assert_int_equal(json_integer_value(json_object_get(json_array_get(r, 0),
							     "id")), 1);
	assert_int_equal(code_of(json_array_get(r, 1)), RPC_NOT_FOUND);
	assert_int_equal(code_of(json_array_get(r, 2)), RPC_INVALID_REQUEST);
	json_decref(r);
	expect_error("[]", RPC_INVALID_REQUEST);
	assert_null(ask("[{\"jsonrpc\":\"2.0\",\"method\":\"echo\"}]"));
}

static void test_batch_cap(void **state)
{
	size_t n = RPC_MAX_BATCH + 1, len = 0;
	char *text = malloc(n * 64 + 2);

	text[len++] = '[';
	for (size_t i = 0; i < n; i++)
		len += (size_t)sprintf(text + len, "%s{\"jsonrpc\":\"2.0\","
				       "\"method\":\"echo\",\"id\":%zu}",
				       i ? "," : "", i);
	text[len++] = ']';
	text[len] = '\0';
	calls = 0;
	expect_error(text, RPC_INVALID_REQUEST);
	assert_int_equal(calls, 0);
	free(text);
}

/* Deep nesting must not exhaust the stack; bytes that are not UTF-8
 * must not reach the output unescaped. */
static void test_hostile_bytes(void **state)
{
	size_t n = 200000;
	char *deep = malloc(n + 1);

	memset(deep, '[', n);
	deep[n] = '\0';
	expect_error(deep, RPC_PARSE_ERROR);
	free(deep);
	expect_error("{\"jsonrpc\":\"2.0\",\"method\":\"\xff\xfe\",\"id\":1}",
		     RPC_PARSE_ERROR);
	/* A NUL inside a string would cut names short: refused. */
	expect_error("{\"jsonrpc\":\"2.0\",\"method\":\"echo\\u0000x\",\"id\":1}",
		     RPC_PARSE_ERROR);
}

/* A NUL does not end the input early: the length is what counts. */
static void test_embedded_nul(void **state)
{
	static const char text[] =
		"{\"jsonrpc\":\"2.0\",\"method\":\"echo\",\"id\":1}\0junk";
	char *out = rpc_handle_line(methods, NULL, text, sizeof(text) - 1);
	json_t *r = json_loads(out, 0, NULL);

	assert_int_equal(code_of(r), RPC_PARSE_ERROR);
	json_decref(r);
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_notifications_are_silent),
		cmocka_unit_test(test_bad_json_and_shapes),
		cmocka_unit_test(test_unknown_method_named),
		cmocka_unit_test(test_method_errors_carry_the_message),
		cmocka_unit_test(test_batch),
		cmocka_unit_test(test_batch_cap),
		cmocka_unit_test(test_hostile_bytes),
		cmocka_unit_test(test_embedded_nul),
	};

	log_init("test_rpc_parse", LOG_ERROR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
