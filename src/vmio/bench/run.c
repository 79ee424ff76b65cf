/* SPDX-License-Identifier: MIT */
#include "bench/run.h"
#include "bench/stall.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

int run_prepare_file(const char *path, uint64_t size, char *err, size_t errlen)
{
	struct stat st;
	char *buf;
	int fd;
	bool exists = stat(path, &st) == 0;

	if (exists && !S_ISREG(st.st_mode))
		return 0; /* a block device: its data is what it is */
	/* Size 0: an existing file as it is, a new one of 1 GiB. */
	if (!size)
		size = exists && st.st_size > 0 ? (uint64_t)st.st_size : 1ull << 30;
	if (exists && (uint64_t)st.st_size >= size &&
	    (uint64_t)st.st_blocks * 512 >= size)
		return 0;
	fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0) {
		snprintf(err, errlen, "cannot create %s: %s", path, strerror(errno));
		return -errno;
	}
	/* Real data, not holes or unwritten extents: reading those costs
	 * no device I/O and would flatter every target. */
	buf = malloc(1 << 20);
	for (size_t i = 0; i < (1 << 20); i++)
		buf[i] = (char)(i * 131 + 7);
	for (uint64_t off = 0; off < size; off += 1 << 20)
		if (pwrite(fd, buf, 1 << 20, (off_t)off) != 1 << 20) {
			snprintf(err, errlen, "cannot fill %s: %s", path,
				 strerror(errno));
			free(buf);
			close(fd);
			return -EIO;
		}
	fdatasync(fd);
	free(buf);
	close(fd);
	return 0;
}

/* CPU seconds all cores have spent busy (not idle, not waiting for I/O)
 * since boot, from /proc/stat. */
double run_host_busy_s(void)
{
	unsigned long long v[8] = { 0 };
	FILE *f = fopen("/proc/stat", "r");
	int n;

	if (!f)
		return 0;
	n = fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1],
		   &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]);
	fclose(f);
	if (n < 8)
		return 0;
	/* user nice system [idle iowait] irq softirq steal */
	return (double)(v[0] + v[1] + v[2] + v[5] + v[6] + v[7]) /
	       (double)sysconf(_SC_CLK_TCK);
}

double run_self_cpu_s(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
	       (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

int run_one(const struct run_spec *s, struct run_result *out, char *err,
	    size_t errlen)
{
	struct target t = { .kind = s->kind, .queues = s->job.queues, .ndisks = 1,
			    .vmiod_args = s->vmiod_args, .scsi = s->job.scsi,
			    .lun = s->job.lun, .rbd_conf = s->rbd_conf,
			    .rbd_user = s->rbd_user };
	double cpu0 = 0, busy0, runtime = s->job.runtime_s + s->job.ramp_s;
	struct stall_watch stalls;
	int ret;

	memset(out, 0, sizeof(*out));
	t.disks[0] = (struct target_disk){ .file = s->file, .rbd = s->rbd,
					   .rbd_size = s->rbd_size,
					   .null_size = s->null_size,
					   .vmiod_extra = s->vmiod_disk_extra };
	if (s->kind == TARGET_VMIOD || s->kind == TARGET_QSD) {
		ret = target_start(&t, err, errlen);
		if (ret)
			return ret;
		snprintf(out->cmdline, sizeof(out->cmdline), "%s", t.cmdline);
		cpu0 = target_cpu_s(&t);
	}
	busy0 = run_host_busy_s();
	stall_watch_start(&stalls);
	switch (s->kind) {
	case TARGET_HOST:
		ret = job_run_host(s->file, &s->job, &out->r);
		snprintf(out->cmdline, sizeof(out->cmdline),
			 "io_uring O_DIRECT on %s (in vmio)", s->file);
		break;
	case TARGET_SOCKET:
		ret = job_run_vhost(s->socket, &s->job, &out->r);
		break;
	default:
		ret = job_run_vhost(t.disks[0].socket, &s->job, &out->r);
		out->target_cpu_s = target_cpu_s(&t) - cpu0;
		target_stop(&t);
	}
	stall_watch_stop(&stalls);
	out->stalls = stalls.stalls;
	out->stall_max_ms = stalls.max_ms;
	/* Whatever else ran meanwhile (other jobs, interrupts): a busy
	 * machine makes every figure of this run suspect. */
	out->other_cpu_s = run_host_busy_s() - busy0 - out->r.frontend_cpu_s -
			   out->target_cpu_s;
	if (out->other_cpu_s < 0)
		out->other_cpu_s = 0;
	if (s->kind == TARGET_HOST)
		/* The host baseline does its I/O in our own process. */
		out->target_cpu_s = out->r.frontend_cpu_s;
	if (ret && out->r.error[0])
		snprintf(err, errlen, "%s", out->r.error);
	if (ret)
		return ret;
	out->iops = out->r.ios / s->job.runtime_s;
	out->bw_bytes = out->r.bytes / s->job.runtime_s;
	/* CPU covers ramp and run; scale it to the measured part. */
	if (out->r.ios)
		out->cpu_us_per_io = out->target_cpu_s * (s->job.runtime_s / runtime) *
				     1e6 / out->r.ios;
	/* Little's law, L = lambda W, with L sampled independently: a check
	 * that what was counted, timed and kept in flight agree. */
	if (out->r.avg_inflight > 0)
		out->little_ratio = out->iops * hist_mean(&out->r.lat) / 1e9 /
				    out->r.avg_inflight;
	return 0;
}

void run_command(const struct run_spec *s, char *buf, size_t len)
{
	char rw[32], target[300], backend[600] = "", extra[300] = "";
	size_t n;

	if (s->kind == TARGET_SOCKET)
		snprintf(target, sizeof(target), "socket:%s", s->socket);
	else
		snprintf(target, sizeof(target), "%s", target_name(s->kind));
	if (s->kind != TARGET_SOCKET && s->rbd)
		snprintf(backend, sizeof(backend), " --backend rbd:%s%s%s%s%s",
			 s->rbd, s->rbd_conf ? " --rbd-conf " : "",
			 s->rbd_conf ? s->rbd_conf : "",
			 s->rbd_user ? " --rbd-user " : "",
			 s->rbd_user ? s->rbd_user : "");
	else if (s->kind != TARGET_SOCKET)
		snprintf(backend, sizeof(backend), " --backend %s%s",
			 s->file ? "file:" : "null", s->file ? s->file : "");
	if (s->job.rate_iops)
		snprintf(extra, sizeof(extra), " --rate-iops %g", s->job.rate_iops);
	n = strlen(extra);
	if (s->vmiod_disk_extra && s->kind == TARGET_VMIOD)
		snprintf(extra + n, sizeof(extra) - n, " --vmiod-disk-opts %s",
			 s->vmiod_disk_extra);
	n = strlen(extra);
	if (s->vmiod_args && s->kind == TARGET_VMIOD)
		snprintf(extra + n, sizeof(extra) - n, " --vmiod-args '%s'",
			 s->vmiod_args);
	n = strlen(extra);
	if (s->job.size)
		snprintf(extra + n, sizeof(extra) - n, " --size %llu",
			 (unsigned long long)s->job.size);
	n = strlen(extra);
	if (!s->job.want_irq)
		snprintf(extra + n, sizeof(extra) - n, " --no-irq");
	n = strlen(extra);
	if (s->job.dirty_log)
		snprintf(extra + n, sizeof(extra) - n, " --dirty-log");
	n = strlen(extra);
	if (s->job.packed)
		snprintf(extra + n, sizeof(extra) - n, " --packed");
	n = strlen(extra);
	if (s->job.scsi)
		snprintf(extra + n, sizeof(extra) - n, " --device scsi");
	n = strlen(extra);
	if (s->job.scsi && s->job.lun)
		snprintf(extra + n, sizeof(extra) - n, " --lun %u", s->job.lun);
	snprintf(buf, len, "vmio bench run --target %s%s --rw %s --bs %u "
		 "--iodepth %u --queues %u --runtime %g --ramp %g%s", target,
		 backend, job_rw_name(&s->job, rw, sizeof(rw)), s->job.bs,
		 s->job.iodepth, s->job.queues, s->job.runtime_s, s->job.ramp_s,
		 extra);
}

static json_t *lat_json(const struct hist *h)
{
	return json_pack("{s:f,s:f,s:f,s:f,s:f,s:f}",
			 "mean", hist_mean(h) / 1e3,
			 "p50", hist_quantile(h, 0.50) / 1e3,
			 "p90", hist_quantile(h, 0.90) / 1e3,
			 "p99", hist_quantile(h, 0.99) / 1e3,
			 "p999", hist_quantile(h, 0.999) / 1e3,
			 "max", h->max / 1e3);
}

json_t *run_to_json(const struct run_spec *s, const struct run_result *r)
{
	char rw[32], rbd[300];
	json_t *j;

	snprintf(rbd, sizeof(rbd), "rbd:%s", s->rbd ? s->rbd : "");
	j = json_pack(
		"{s:s,s:s,s:s,s:i,s:i,s:i,s:f,s:I,s:f,s:f,s:o,s:f,s:f,s:f,s:I,s:I,s:s}",
		"target", target_name(s->kind),
		"backend", s->rbd ? rbd : s->file ? s->file : "null",
		"rw", job_rw_name(&s->job, rw, sizeof(rw)),
		"bs", (int)s->job.bs, "iodepth", (int)s->job.iodepth,
		"queues", (int)s->job.queues, "runtime_s", s->job.runtime_s,
		"ios", (json_int_t)r->r.ios, "iops", r->iops,
		"bw_bytes", r->bw_bytes, "lat_us", lat_json(&r->r.lat),
		"target_cpu_s", r->target_cpu_s,
		"frontend_cpu_s", r->r.frontend_cpu_s,
		"cpu_us_per_io", r->cpu_us_per_io,
		"errors", (json_int_t)r->r.errors,
		"target_errors", (json_int_t)r->r.target_errors,
		"command", r->cmdline);

	if (s->job.rate_iops)
		json_object_set_new(j, "rate_iops", json_real(s->job.rate_iops));
	json_object_set_new(j, "device", json_string(s->job.scsi ? "scsi" : "blk"));
	if (s->job.scsi)
		json_object_set_new(j, "lun", json_integer(s->job.lun));
	json_object_set_new(j, "littles_law_ratio", json_real(r->little_ratio));
	/* Open-loop latency counts from the arrival, which may wait for a
	 * free slot, so only a closed loop is held to L = lambda W. */
	json_object_set_new(j, "littles_law_ok", s->job.rate_iops ? json_null() :
			    json_boolean(r->little_ratio > 0.9 && r->little_ratio < 1.1));
	{
		char cmd[2048];

		run_command(s, cmd, sizeof(cmd));
		json_object_set_new(j, "rerun", json_string(cmd));
	}
	json_object_set_new(j, "avg_inflight", json_real(r->r.avg_inflight));
	json_object_set_new(j, "other_cpu_s", json_real(r->other_cpu_s));
	json_object_set_new(j, "machine_stalls", json_integer(r->stalls));
	json_object_set_new(j, "machine_stall_max_ms", json_real(r->stall_max_ms));
	json_object_set_new(j, "other_cpu_share", json_real(run_other_share(s, r)));
	json_object_set_new(j, "queue_fill", json_real(
		r->r.avg_inflight / (s->job.iodepth * s->job.queues)));
	return j;
}

double run_other_share(const struct run_spec *s, const struct run_result *r)
{
	double wall = s->job.runtime_s + s->job.ramp_s;
	long cores = sysconf(_SC_NPROCESSORS_ONLN);

	return wall > 0 && cores > 0 ? r->other_cpu_s / (wall * (double)cores) : 0;
}

void run_print(const struct run_spec *s, const struct run_result *r)
{
	char rw[32];

	printf("%-6s %-4s %-9s bs=%-7u qd=%-3u q=%u  %9.0f IOPS %8.1f MB/s  lat us "
	       "mean %7.1f p50 %7.1f p99 %8.1f p99.9 %8.1f  target CPU %5.2f s "
	       "(%5.2f us/IO)  others' CPU %3.0f%%  errors %llu\n",
	       target_name(s->kind),
	       s->kind == TARGET_HOST ? "-" : s->job.scsi ? "scsi" : "blk",
	       job_rw_name(&s->job, rw, sizeof(rw)),
	       s->job.bs, s->job.iodepth, s->job.queues, r->iops,
	       r->bw_bytes / 1e6, hist_mean(&r->r.lat) / 1e3,
	       hist_quantile(&r->r.lat, 0.5) / 1e3,
	       hist_quantile(&r->r.lat, 0.99) / 1e3,
	       hist_quantile(&r->r.lat, 0.999) / 1e3, r->target_cpu_s,
	       r->cpu_us_per_io, 100 * run_other_share(s, r),
	       (unsigned long long)(r->r.errors + r->r.target_errors));
	if (r->stalls)
		fprintf(stderr, "vmio bench: this machine stood still %u time%s "
			"during the run (the longest %.0f ms; every thread waited, "
			"its host paused it): the latency tail is the machine's, "
			"not the target's (docs/environment.md)\n", r->stalls,
			r->stalls == 1 ? "" : "s", r->stall_max_ms);
	if (run_other_share(s, r) > RUN_BUSY_SHARE)
		fprintf(stderr, "vmio bench: other processes%s used %.0f%% of this "
			"machine's CPU during the run: its figures are not reliable\n",
			s->kind == TARGET_SOCKET ? " (the target among them)" : "",
			100 * run_other_share(s, r));
}
