/* SPDX-License-Identifier: MIT */
#include "vhost/mem_guard.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

/*
 * A slot's state and generation share one word, so that the signal
 * handler can read a slot's range and then see, from the word alone,
 * whether the slot changed meanwhile (a seqlock without a retry loop: a
 * slot that changes under the handler is not the one it faulted in).
 */
enum slot_state {
	SLOT_FREE,
	SLOT_FILLING,   /* being set up by mem_guard_watch */
	SLOT_WATCHED,
	SLOT_REPLACING, /* a handler is mapping zero pages over it */
	SLOT_REPLACED,  /* zero pages now: broken */
	SLOT_FAILED,    /* the zero pages could not be mapped */
};

struct guard_slot {
	uint64_t word; /* generation << 8 | enum slot_state */
	uintptr_t base;
	size_t len;
	int *flag;
	int notify_fd;
};

static struct guard_slot slots[MEM_GUARD_SLOTS];
/* Slots below this index may be in use: the handler looks no further. */
static unsigned int slots_top;
/* The SIGBUS handler ours replaced, for faults that are not ours. */
static struct sigaction previous;

static inline unsigned int word_state(uint64_t w)
{
	return (unsigned int)(w & 0xff);
}

static inline uint64_t word_make(uint64_t w, unsigned int state, bool next_gen)
{
	return ((w >> 8) + (next_gen ? 1 : 0)) << 8 | state;
}

bool mem_guard_fd_sealed(int fd)
{
	int seals = fcntl(fd, F_GET_SEALS);

	return seals >= 0 && (seals & F_SEAL_SHRINK);
}

/* What a SIGBUS outside every watched range gets: the handler that was
 * installed before ours (a sanitizer's report), or the default action,
 * which ends the process with this very signal. */
static void pass_on(int sig, siginfo_t *si, void *ctx)
{
	struct sigaction dfl = { .sa_handler = SIG_DFL };

	/* sa_handler and sa_sigaction share their storage: either way,
	 * SIG_DFL and SIG_IGN are not functions to call. */
	if (previous.sa_handler != SIG_DFL && previous.sa_handler != SIG_IGN) {
		if (previous.sa_flags & SA_SIGINFO)
			previous.sa_sigaction(sig, si, ctx);
		else
			previous.sa_handler(sig);
		return;
	}
	sigemptyset(&dfl.sa_mask);
	sigaction(sig, &dfl, NULL);
	/* Delivered as the handler returns (the signal is blocked until
	 * then), whether the kernel or kill() sent the first one. */
	raise(sig);
}

/* Maps zero pages over the slot's range. True when the faulting access
 * can be retried: this handler, or another thread's, has replaced it. */
static bool replace(struct guard_slot *s, uint64_t w)
{
	uint64_t one = 1;
	long p;

	if (word_state(w) == SLOT_REPLACING || word_state(w) == SLOT_REPLACED)
		return true; /* another thread got there first */
	if (word_state(w) != SLOT_WATCHED)
		return false;
	if (!__atomic_compare_exchange_n(&s->word, &w,
					 word_make(w, SLOT_REPLACING, false),
					 false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
		return true; /* changed meanwhile: a retry finds out how */
	/* The raw system call: nothing between us and the kernel (no
	 * interposed mmap, no lock) may run in a signal handler. */
	p = syscall(SYS_mmap, s->base, s->len, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE,
		    -1, 0);
	if (p == -1) {
		__atomic_store_n(&s->word, word_make(w, SLOT_FAILED, false),
				 __ATOMIC_RELEASE);
		return false;
	}
	__atomic_store_n(&s->word, word_make(w, SLOT_REPLACED, false),
			 __ATOMIC_RELEASE);
	__atomic_store_n(s->flag, 1, __ATOMIC_RELEASE);
	if (s->notify_fd >= 0) {
		/* A write that fails leaves the flag, which the owner also
		 * reads whenever it handles a message. */
		ssize_t n = write(s->notify_fd, &one, sizeof(one));

		(void)n;
	}
	return true;
}

/* The watched range holding addr: replaced, and true; or false. */
static bool absorb(uintptr_t addr)
{
	unsigned int top = __atomic_load_n(&slots_top, __ATOMIC_ACQUIRE);

	for (unsigned int i = 0; i < top; i++) {
		struct guard_slot *s = &slots[i];
		uint64_t w = __atomic_load_n(&s->word, __ATOMIC_ACQUIRE);
		uintptr_t base;
		size_t len;

		if (word_state(w) == SLOT_FREE || word_state(w) == SLOT_FILLING)
			continue;
		base = __atomic_load_n(&s->base, __ATOMIC_RELAXED);
		len = __atomic_load_n(&s->len, __ATOMIC_RELAXED);
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		if (__atomic_load_n(&s->word, __ATOMIC_RELAXED) != w)
			continue;
		if (addr - base < len)
			return replace(s, w);
	}
	return false;
}

static void on_sigbus(int sig, siginfo_t *si, void *ctx)
{
	int saved_errno = errno;

	/* si_code > 0: raised by the kernel for an access, so si_addr is
	 * real (a process can only send codes <= 0). */
	if (si->si_code > 0 && absorb((uintptr_t)si->si_addr)) {
		errno = saved_errno;
		return;
	}
	pass_on(sig, si, ctx);
	errno = saved_errno;
}

/* Ours, in front of whatever handles SIGBUS now. Checked on every watch:
 * a library (or a test harness) may have put its own in place since; a
 * fault outside guest memory still reaches it through pass_on. */
static int install(void)
{
	static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	struct sigaction cur, sa = { .sa_sigaction = on_sigbus,
				     .sa_flags = SA_SIGINFO };
	int ret = 0;

	sigemptyset(&sa.sa_mask);
	pthread_mutex_lock(&lock);
	if (sigaction(SIGBUS, NULL, &cur) < 0) {
		ret = -errno;
	} else if (!(cur.sa_flags & SA_SIGINFO) || cur.sa_sigaction != on_sigbus) {
		previous = cur;
		if (sigaction(SIGBUS, &sa, NULL) < 0)
			ret = -errno;
	}
	pthread_mutex_unlock(&lock);
	return ret;
}

int mem_guard_watch(void *base, size_t len, int *flag, int notify_fd)
{
	int ret = install();

	if (ret)
		return ret;
	for (unsigned int i = 0; i < MEM_GUARD_SLOTS; i++) {
		struct guard_slot *s = &slots[i];
		uint64_t w = __atomic_load_n(&s->word, __ATOMIC_RELAXED);
		unsigned int top;

		if (word_state(w) != SLOT_FREE ||
		    !__atomic_compare_exchange_n(&s->word, &w,
						 word_make(w, SLOT_FILLING, true),
						 false, __ATOMIC_ACQUIRE,
						 __ATOMIC_RELAXED))
			continue;
		__atomic_store_n(&s->base, (uintptr_t)base, __ATOMIC_RELAXED);
		__atomic_store_n(&s->len, len, __ATOMIC_RELAXED);
		s->flag = flag;
		s->notify_fd = notify_fd;
		top = __atomic_load_n(&slots_top, __ATOMIC_RELAXED);
		while (top <= i &&
		       !__atomic_compare_exchange_n(&slots_top, &top, i + 1, false,
						    __ATOMIC_RELEASE,
						    __ATOMIC_RELAXED))
			;
		w = __atomic_load_n(&s->word, __ATOMIC_RELAXED);
		__atomic_store_n(&s->word, word_make(w, SLOT_WATCHED, false),
				 __ATOMIC_RELEASE);
		return (int)i;
	}
	return -ENOSPC;
}

void mem_guard_unwatch(int handle)
{
	struct guard_slot *s;
	uint64_t w;

	if (handle < 0 || handle >= MEM_GUARD_SLOTS)
		return;
	s = &slots[handle];
	w = __atomic_load_n(&s->word, __ATOMIC_RELAXED);
	__atomic_store_n(&s->word, word_make(w, SLOT_FREE, true),
			 __ATOMIC_RELEASE);
}

bool mem_guard_broken(int handle)
{
	unsigned int st;

	if (handle < 0 || handle >= MEM_GUARD_SLOTS)
		return false;
	st = word_state(__atomic_load_n(&slots[handle].word, __ATOMIC_ACQUIRE));
	return st == SLOT_REPLACING || st == SLOT_REPLACED || st == SLOT_FAILED;
}
