/* SPDX-License-Identifier: MIT */
/*
 * vmio reactors [--watch]: per reactor, where its time went (polling with
 * work, polling without, asleep), its wake-ups, and what its polling
 * policy does now and measured. A single sample shows shares since the
 * reactor started; a watch refresh, those of the last interval.
 */
#include <stdio.h>
#include <string.h>

#include "ctl/ctl.h"
#include "ctl/ctl_common.h"
#include "ctl/ctl_table.h"

struct reactor_row {
	long long id, cpu, pollers;
	const char *policy, *mode;
	double busy, poll_idle, sleep; /* shares of the time */
	double wakeups;                /* a count, or per second in a watch */
	double wake_us, sleep_cpu_us, budget_guest_us, budget_device_us, price;
};

static json_t *find_reactor(json_t *arr, long long id)
{
	json_t *r;
	size_t i;

	json_array_foreach(arr, i, r)
		if (ctl_int(r, "id") == id)
			return r;
	return NULL;
}

static double num(json_t *o, const char *key)
{
	return json_number_value(json_object_get(o, key));
}

/* Figures of reactor r; with prev, of the interval since it (dt s). */
static void row_of(json_t *r, json_t *prev, double dt, struct reactor_row *o)
{
	static const char *const time_keys[] = { "poll_work_ns", "poll_idle_ns",
						 "sleep_ns" };
	double t[3], total = 0;
	json_t *budget = json_object_get(r, "poll_budget_ns");

	memset(o, 0, sizeof(*o));
	o->id = ctl_int(r, "id");
	o->cpu = ctl_int(r, "cpu");
	o->pollers = ctl_int(r, "pollers");
	o->policy = ctl_str(r, "policy");
	o->mode = ctl_str(r, "mode");
	for (int k = 0; k < 3; k++) {
		t[k] = (double)(ctl_int(r, time_keys[k]) -
				(prev ? ctl_int(prev, time_keys[k]) : 0));
		total += t[k];
	}
	if (total > 0) {
		o->busy = t[0] / total;
		o->poll_idle = t[1] / total;
		o->sleep = t[2] / total;
	}
	o->wakeups = (double)(ctl_int(r, "wakeups") -
			      (prev ? ctl_int(prev, "wakeups") : 0));
	if (prev)
		o->wakeups = dt > 0 ? o->wakeups / dt : 0;
	o->wake_us = (double)ctl_int(r, "wake_latency_ns") / 1e3;
	o->sleep_cpu_us = (double)ctl_int(r, "sleep_cpu_ns") / 1e3;
	o->budget_guest_us = (double)ctl_int(budget, "guest") / 1e3;
	o->budget_device_us = (double)ctl_int(budget, "device") / 1e3;
	o->price = num(r, "cpu_price");
}

static void print_table(json_t *now, json_t *prev, double dt)
{
	const char *head[] = { "REACTOR", "CPU", "POLLERS", "POLICY", "MODE",
		"BUSY%", "POLL_IDLE%", "SLEEP%", prev ? "WAKEUPS/S" : "WAKEUPS",
		"WAKE_US", "SLEEP_CPU_US", "BUDGET_US", "CPU_PRICE" };
	struct table t;
	json_t *r;
	size_t i;

	table_init(&t, 13, head, "rrrllrrrrrrrr");
	json_array_foreach(now, i, r) {
		struct reactor_row o;

		row_of(r, prev ? find_reactor(prev, ctl_int(r, "id")) : NULL, dt, &o);
		table_cell(&t, "%lld", o.id);
		if (o.cpu < 0)
			table_cell(&t, "any");
		else
			table_cell(&t, "%lld", o.cpu);
		table_cell(&t, "%lld", o.pollers);
		table_cell(&t, "%s", o.policy);
		table_cell(&t, "%s", o.mode);
		table_cell(&t, "%.1f", 100 * o.busy);
		table_cell(&t, "%.1f", 100 * o.poll_idle);
		table_cell(&t, "%.1f", 100 * o.sleep);
		table_cell(&t, "%.0f", o.wakeups);
		table_cell(&t, "%.1f", o.wake_us);
		table_cell(&t, "%.1f", o.sleep_cpu_us);
		table_cell(&t, "%.0f/%.0f", o.budget_guest_us, o.budget_device_us);
		table_cell(&t, "%.1f", o.price);
	}
	table_print(&t, stdout);
	table_free(&t);
}

static void print_json_line(json_t *now, json_t *prev, double dt, double t)
{
	json_t *out = json_array(), *r;
	size_t i;

	json_array_foreach(now, i, r) {
		struct reactor_row o;

		row_of(r, find_reactor(prev, ctl_int(r, "id")), dt, &o);
		json_array_append_new(out, json_pack(
			"{s:I,s:s,s:s,s:f,s:f,s:f,s:f,s:f,s:f,s:f,s:f,s:f}",
			"id", (json_int_t)o.id, "policy", o.policy, "mode", o.mode,
			"busy_share", o.busy, "poll_idle_share", o.poll_idle,
			"sleep_share", o.sleep, "wakeups_per_s", o.wakeups,
			"wake_latency_us", o.wake_us, "sleep_cpu_us", o.sleep_cpu_us,
			"poll_budget_guest_us", o.budget_guest_us,
			"poll_budget_device_us", o.budget_device_us,
			"cpu_price", o.price));
	}
	ctl_print_json_line(json_pack("{s:f,s:f,s:o}", "time", t, "interval", dt,
				      "reactors", out));
}

int ctl_reactors_main(int argc, char **argv)
{
	static const struct ctl_listing l = {
		.method = "reactor_list",
		.usage = "usage: vmio reactors [--watch [--interval S] [--count N]] "
			 "[--json] [--rpc PATH]",
		.table = print_table, .json_line = print_json_line,
	};

	return ctl_listing_main(&l, argc, argv);
}
