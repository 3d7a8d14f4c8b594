// SPDX-License-Identifier: GPL-2.0
/*
 * Runs a command on a fresh pseudo-terminal and checks that it leaves the terminal as it found
 * it: the way a user's shell sees nestvm end.
 *
 * ptyrun [--name NAME] [--wait-for TEXT] [--input TEXT]
 *        [--then term|int|hup|quit|segv|abrt|ctrl-a-x|none] [--status N | --killed-by SIG]
 *        [--timeout S] -- CMD [ARGS...]
 *
 * The pty gets a known cooked termios; CMD runs as a session leader with the pty as its
 * controlling terminal and as fds 0, 1 and 2. Everything CMD writes is copied to stdout. Once
 * TEXT has appeared, the terminal must be raw (ICANON and ECHO off: CMD took it over, so the
 * final check is not vacuous); then TEXT of --input (with \r, \n, \t, \\ and \xHH escapes) is
 * typed, and --then acts: that signal to CMD, Ctrl-A x typed, or nothing (CMD ends on its
 * own). CMD must then exit with status N (default 0), or die of signal number SIG, within S
 * seconds (default 120; also the limit for TEXT), and the terminal's flags, control
 * characters, speeds and the open file's O_NONBLOCK must equal what they were before CMD ran.
 * Prints "ok - ..." or "not ok - ..." lines; exits 1 on any failure, 2 on bad usage.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "expect.h"

/* Setup that must work: silent when it does, "not ok" and exit 1 when it does not. */
#define NEED(cond, ...)                              \
	do {                                         \
		bool need_ = (cond);                 \
		if (!need_)                          \
			REQUIRE(need_, __VA_ARGS__); \
	} while (0)

struct opts {
	const char *name;
	const char *wait_for;
	const char *input;
	const char *then;
	int status;
	int killed_by; /* expect death by this signal instead of an exit status */
	int timeout_s;
	char **cmd;
};

static int master = -1;
static bool at_line_start = true; /* of what we copied to stdout */

/* The signal --then sends, or 0. */
static int then_signal(const char *then)
{
	static const struct {
		const char *name;
		int sig;
	} sigs[] = {
		{ "term", SIGTERM }, { "int", SIGINT },	  { "hup", SIGHUP },
		{ "quit", SIGQUIT }, { "segv", SIGSEGV }, { "abrt", SIGABRT },
	};

	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		if (!strcmp(then, sigs[i].name))
			return sigs[i].sig;
	return 0;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: ptyrun [--name NAME] [--wait-for TEXT] [--input TEXT]\n"
		"              [--then term|int|hup|quit|segv|abrt|ctrl-a-x|none]\n"
		"              [--status N | --killed-by SIG] [--timeout S] -- CMD [ARGS...]\n");
	exit(2);
}

static int parse_int(const char *s, int min)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 0);
	if (errno || end == s || *end || v < min || v > 100000)
		usage();
	return v;
}

static void parse(int argc, char **argv, struct opts *o)
{
	*o = (struct opts){ .then = "none", .timeout_s = 120 };
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "--")) {
			o->cmd = &argv[i + 1];
			break;
		}
		if (i + 1 >= argc)
			usage();
		if (!strcmp(a, "--name"))
			o->name = argv[++i];
		else if (!strcmp(a, "--wait-for"))
			o->wait_for = argv[++i];
		else if (!strcmp(a, "--input"))
			o->input = argv[++i];
		else if (!strcmp(a, "--then"))
			o->then = argv[++i];
		else if (!strcmp(a, "--status"))
			o->status = parse_int(argv[++i], 0);
		else if (!strcmp(a, "--killed-by"))
			o->killed_by = parse_int(argv[++i], 1);
		else if (!strcmp(a, "--timeout"))
			o->timeout_s = parse_int(argv[++i], 1);
		else
			usage();
	}
	if (!o->cmd || !o->cmd[0] || (o->wait_for && !*o->wait_for))
		usage();
	if (!then_signal(o->then) && strcmp(o->then, "ctrl-a-x") && strcmp(o->then, "none"))
		usage();
	if (!o->name)
		o->name = o->then;
}

/* --input's escapes, decoded in place. Returns the length. */
static size_t unescape(char *s)
{
	char *start = s, *out = s;

	for (; *s; s++) {
		if (*s != '\\' || !s[1]) {
			*out++ = *s;
			continue;
		}
		switch (*++s) {
		case 'r':
			*out++ = '\r';
			break;
		case 'n':
			*out++ = '\n';
			break;
		case 't':
			*out++ = '\t';
			break;
		case 'x': {
			char hex[3] = { 0 };

			for (int i = 0; i < 2 && isxdigit((unsigned char)s[1]); i++)
				hex[i] = *++s;
			*out++ = strtoul(hex, NULL, 16);
			break;
		}
		default:
			*out++ = *s;
		}
	}
	return out - start;
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/*
 * Copies what the master has to stdout, waiting up to @wait_ms for the first byte. Returns the
 * bytes copied, and the last of them in @buf (up to @size).
 */
static size_t pump(int wait_ms, char *buf, size_t size)
{
	struct pollfd pfd = { .fd = master, .events = POLLIN };
	char data[4096];
	ssize_t n;

	if (poll(&pfd, 1, wait_ms) <= 0)
		return 0;
	n = read(master, data, sizeof(data));
	if (n <= 0)
		return 0;
	fwrite(data, 1, n, stdout);
	fflush(stdout);
	at_line_start = data[n - 1] == '\n';
	if (buf && size) {
		size_t keep = (size_t)n < size ? (size_t)n : size;

		memcpy(buf, data + n - keep, keep);
		return keep;
	}
	return n;
}

/* Starts our own lines on a line of their own, whatever CMD's output ended with. */
static void newline(void)
{
	if (!at_line_start)
		putchar('\n');
	at_line_start = true;
}

/*
 * Waits for @text in CMD's output. Returns 0 when seen, -ETIMEDOUT, or -ECHILD when CMD ended
 * first (its wait status in @wstatus).
 */
static int wait_for_text(const char *text, pid_t pid, long long deadline, int *wstatus)
{
	size_t len = strlen(text), have = 0;
	char *window = calloc(1, 2 * len + 4096);

	NEED(window, "memory");
	while (now_ms() < deadline) {
		size_t n = pump(100, window + have, 4096);

		have += n;
		window[have] = '\0';
		if (memmem(window, have, text, len)) {
			free(window);
			return 0;
		}
		if (have >= len) { /* keep the last len - 1 bytes: a match may straddle reads */
			memmove(window, window + have - (len - 1), len - 1);
			have = len - 1;
		}
		if (!n && waitpid(pid, wstatus, WNOHANG) == pid) {
			free(window);
			return -ECHILD;
		}
	}
	free(window);
	return -ETIMEDOUT;
}

/* Waits for CMD to end, copying its output; kills it at @deadline. Returns whether it ended. */
static bool wait_for_exit(pid_t pid, long long deadline, int *wstatus)
{
	while (now_ms() < deadline) {
		if (waitpid(pid, wstatus, WNOHANG) == pid)
			return true;
		pump(100, NULL, 0);
	}
	kill(pid, SIGKILL);
	waitpid(pid, wstatus, 0);
	return false;
}

static void describe(char *buf, size_t size, int wstatus)
{
	if (WIFEXITED(wstatus))
		snprintf(buf, size, "status %d", WEXITSTATUS(wstatus));
	else if (WIFSIGNALED(wstatus))
		snprintf(buf, size, "killed by signal %d (%s)", WTERMSIG(wstatus),
			 strsignal(WTERMSIG(wstatus)));
	else
		snprintf(buf, size, "wait status %#x", wstatus);
}

/* A cooked terminal as a login shell would leave it. */
static void cooked(struct termios *t)
{
	memset(t, 0, sizeof(*t));
	t->c_iflag = BRKINT | ICRNL | IXON | IMAXBEL | IUTF8;
	t->c_oflag = OPOST | ONLCR;
	t->c_cflag = CS8 | CREAD;
	t->c_lflag = ISIG | ICANON | IEXTEN | ECHO | ECHOE | ECHOK | ECHOCTL | ECHOKE;
	t->c_cc[VINTR] = 0x03;
	t->c_cc[VQUIT] = 0x1c;
	t->c_cc[VERASE] = 0x7f;
	t->c_cc[VKILL] = 0x15;
	t->c_cc[VEOF] = 0x04;
	t->c_cc[VSTART] = 0x11;
	t->c_cc[VSTOP] = 0x13;
	t->c_cc[VSUSP] = 0x1a;
	t->c_cc[VREPRINT] = 0x12;
	t->c_cc[VDISCARD] = 0x0f;
	t->c_cc[VWERASE] = 0x17;
	t->c_cc[VLNEXT] = 0x16;
	t->c_cc[VMIN] = 1;
	t->c_cc[VTIME] = 0;
	cfsetispeed(t, B38400);
	cfsetospeed(t, B38400);
}

static pid_t start(char **cmd, int slave)
{
	pid_t pid = fork();

	NEED(pid >= 0, "fork (%s)", strerror(errno));
	if (pid)
		return pid;
	/* The child: CMD on the pty as its controlling terminal, as a shell would start it. */
	close(master);
	if (setsid() < 0 || ioctl(slave, TIOCSCTTY, 0) < 0 || dup2(slave, 0) < 0 ||
	    dup2(slave, 1) < 0 || dup2(slave, 2) < 0) {
		dprintf(slave, "ptyrun: child setup failed: %s\n", strerror(errno));
		_exit(127);
	}
	if (slave > 2)
		close(slave);
	execvp(cmd[0], cmd);
	fprintf(stderr, "ptyrun: cannot run %s: %s\n", cmd[0], strerror(errno));
	_exit(127);
}

static void act(const struct opts *o, pid_t pid)
{
	int sig = then_signal(o->then);

	if (sig) {
		EXPECT(!kill(pid, sig), "%s: sent %s to pid %d", o->name, strsignal(sig), pid);
	} else if (!strcmp(o->then, "ctrl-a-x")) {
		EXPECT(write(master, "\x01x", 2) == 2, "%s: typed Ctrl-A x", o->name);
	}
}

static void compare(const char *name, const struct termios *before, const struct termios *after)
{
	EXPECT(after->c_iflag == before->c_iflag, "%s: c_iflag restored (%#o, want %#o)", name,
	       after->c_iflag, before->c_iflag);
	EXPECT(after->c_oflag == before->c_oflag, "%s: c_oflag restored (%#o, want %#o)", name,
	       after->c_oflag, before->c_oflag);
	EXPECT(after->c_cflag == before->c_cflag, "%s: c_cflag restored (%#o, want %#o)", name,
	       after->c_cflag, before->c_cflag);
	EXPECT(after->c_lflag == before->c_lflag, "%s: c_lflag restored (%#o, want %#o)", name,
	       after->c_lflag, before->c_lflag);
	EXPECT(!memcmp(after->c_cc, before->c_cc, sizeof(before->c_cc)),
	       "%s: c_cc restored (VMIN %u VTIME %u VINTR %#x, want %u %u %#x)", name,
	       after->c_cc[VMIN], after->c_cc[VTIME], after->c_cc[VINTR], before->c_cc[VMIN],
	       before->c_cc[VTIME], before->c_cc[VINTR]);
	EXPECT(cfgetispeed(after) == cfgetispeed(before) &&
		   cfgetospeed(after) == cfgetospeed(before),
	       "%s: speeds restored", name);
}

int main(int argc, char **argv)
{
	struct termios want, before, during, after;
	int slave, fl_before, fl_after, wstatus = 0, ret;
	struct winsize ws = { .ws_row = 24, .ws_col = 80 };
	char *pts, what[64];
	struct opts o;
	long long deadline;
	pid_t pid;

	parse(argc, argv, &o);
	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGPIPE, SIG_IGN);

	master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	NEED(master >= 0, "%s: posix_openpt (%s)", o.name, strerror(errno));
	NEED(!grantpt(master) && !unlockpt(master) && (pts = ptsname(master)),
	     "%s: grantpt/unlockpt/ptsname (%s)", o.name, strerror(errno));
	slave = open(pts, O_RDWR | O_NOCTTY | O_CLOEXEC);
	NEED(slave >= 0, "%s: open %s (%s)", o.name, pts, strerror(errno));
	fcntl(master, F_SETFL, fcntl(master, F_GETFL) | O_NONBLOCK);
	ioctl(slave, TIOCSWINSZ, &ws);

	/* Compare against what the kernel kept of our settings, read back. */
	cooked(&want);
	NEED(!tcsetattr(slave, TCSANOW, &want) && !tcgetattr(slave, &before),
	     "%s: cooked termios on %s (%s)", o.name, pts, strerror(errno));
	fl_before = fcntl(slave, F_GETFL);
	printf("# %s: %s on %s\n", o.name, o.cmd[0], pts);

	/* The child's fds 0-2 share the open file @slave: its status flags are visible here. */
	pid = start(o.cmd, slave);

	if (o.wait_for) {
		deadline = now_ms() + o.timeout_s * 1000LL;
		ret = wait_for_text(o.wait_for, pid, deadline, &wstatus);
		if (ret) {
			newline();
			if (ret == -ECHILD)
				describe(what, sizeof(what), wstatus);
			EXPECT(false, "%s: '%s' within %d s (%s)", o.name, o.wait_for, o.timeout_s,
			       ret == -ECHILD ? what : "timed out");
			if (ret != -ECHILD)
				wait_for_exit(pid, 0, &wstatus);
			return expect_exit();
		}
		NEED(!tcgetattr(slave, &during), "%s: tcgetattr while it runs (%s)", o.name,
		     strerror(errno));
		newline();
		EXPECT(!(during.c_lflag & (ICANON | ECHO)),
		       "%s: the terminal is raw while %s runs (c_lflag %#o)", o.name, o.cmd[0],
		       during.c_lflag);
	}
	if (o.input) {
		char *text = strdup(o.input);
		size_t len;

		NEED(text, "memory");
		len = unescape(text);
		EXPECT(write(master, text, len) == (ssize_t)len, "%s: typed %zu bytes of input",
		       o.name, len);
		free(text);
	}
	act(&o, pid);

	deadline = now_ms() + o.timeout_s * 1000LL;
	ret = wait_for_exit(pid, deadline, &wstatus);
	while (pump(0, NULL, 0)) /* what it wrote last */
		;
	newline();
	EXPECT(ret, "%s: %s ended within %d s", o.name, o.cmd[0], o.timeout_s);
	describe(what, sizeof(what), wstatus);
	if (o.killed_by)
		EXPECT(WIFSIGNALED(wstatus) && WTERMSIG(wstatus) == o.killed_by,
		       "%s: %s (want killed by signal %d)", o.name, what, o.killed_by);
	else
		EXPECT(WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == o.status,
		       "%s: %s (want status %d)", o.name, what, o.status);

	NEED(!tcgetattr(slave, &after), "%s: tcgetattr after the exit (%s)", o.name,
	     strerror(errno));
	compare(o.name, &before, &after);
	fl_after = fcntl(slave, F_GETFL);
	EXPECT((fl_after & O_NONBLOCK) == (fl_before & O_NONBLOCK),
	       "%s: O_NONBLOCK on the terminal as before (%s)", o.name,
	       fl_after & O_NONBLOCK ? "set" : "clear");
	close(slave);
	close(master);
	return expect_exit();
}
