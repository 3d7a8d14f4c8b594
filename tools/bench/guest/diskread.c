// SPDX-License-Identifier: GPL-2.0
/*
 * Guest side of tools/bench/guest-tables: reads a block device with O_DIRECT (so every read
 * is a request and its DMA buffers are mapped and unmapped) and prints
 *   bench SEQ_MBPS QD1_PER_S P50_US P99_US
 * sequential 1 MiB reads of the first SEQ_MIB, then QD1 4 KiB reads, one at a time, at
 * pseudo-random 4 KiB offsets, each one timed. No two pages of the buffer are physically
 * adjacent, so a 1 MiB read is 256 DMA segments. Static, for a busybox guest.
 *
 * Usage: diskread DEVICE [SEQ_MIB] [QD1_READS]
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdint.h>
#include <sys/mman.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Says on stderr how many of the buffer's pages follow their neighbour physically (root). */
static void report_adjacent(const uint8_t *buf, long page)
{
	uint64_t prev = 0, e;
	int fd = open("/proc/self/pagemap", O_RDONLY), adjacent = 0;

	if (fd < 0)
		return;
	for (long off = 0; off < 1 << 20; off += page) {
		uint64_t pfn;

		if (pread(fd, &e, sizeof(e), (off_t)((uintptr_t)(buf + off) / page) * 8) != 8)
			break;
		pfn = e & ((1ULL << 55) - 1); /* bits 0-54; 0 without CAP_SYS_ADMIN */
		adjacent += off && pfn && pfn == prev + 1;
		prev = pfn;
	}
	close(fd);
	if (adjacent)
		fprintf(stderr,
			"diskread: %d of the buffer's 255 page pairs are physically adjacent\n",
			adjacent);
}

/*
 * 1 MiB whose pages are never physically adjacent, so a 1 MiB read is 256 DMA segments
 * (256 maps and unmaps) on every boot. Pages that happen to be adjacent merge into one
 * segment, and how many do differed from boot to boot, and so did the figures. Each page is
 * faulted in right after a page of a spacer mapping: the two take turns in the allocator.
 */
static void *scattered_buffer(void)
{
	long page = sysconf(_SC_PAGESIZE);
	uint8_t *buf =
	    mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint8_t *spacer =
	    mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (buf == MAP_FAILED || spacer == MAP_FAILED)
		return NULL;
	/* No huge page either (EINVAL where the kernel has none: nothing to turn off). */
	madvise(buf, 1 << 20, MADV_NOHUGEPAGE);
	madvise(spacer, 1 << 20, MADV_NOHUGEPAGE);
	for (long off = 0; off < 1 << 20; off += page) {
		spacer[off] = 1;
		buf[off] = 1;
	}
	report_adjacent(buf, page);
	return buf;
}

int main(int argc, char **argv)
{
	long seq_mib = argc > 2 ? atol(argv[2]) : 64, reads = argc > 3 ? atol(argv[3]) : 2000;
	unsigned long blocks, x = 88172645463325252UL;
	double t0, t1, *lat;
	void *buf;
	off_t size;
	int fd;

	fd = argc > 1 ? open(argv[1], O_RDONLY | O_DIRECT) : -1;
	buf = scattered_buffer();
	if (fd < 0 || !buf) {
		perror("diskread");
		return 1;
	}
	size = lseek(fd, 0, SEEK_END);
	blocks = size / 4096;
	lat = calloc(reads, sizeof(*lat));
	if (!lat || !blocks)
		return 1;

	t0 = now_us();
	for (long i = 0; i < seq_mib; i++)
		if (pread(fd, buf, 1 << 20, (off_t)i << 20) != 1 << 20) {
			perror("diskread: sequential read");
			return 1;
		}
	t1 = now_us();
	printf("bench %.1f", seq_mib / ((t1 - t0) / 1e6));

	t0 = now_us();
	for (long i = 0; i < reads; i++) {
		double s;

		x ^= x << 13, x ^= x >> 7, x ^= x << 17; /* xorshift: the same offsets every run */
		s = now_us();
		if (pread(fd, buf, 4096, (off_t)(x % blocks) * 4096) != 4096) {
			perror("diskread: 4 KiB read");
			return 1;
		}
		lat[i] = now_us() - s;
	}
	t1 = now_us();
	qsort(lat, reads, sizeof(*lat), cmp);
	printf(" %.0f %.0f %.0f\n", reads / ((t1 - t0) / 1e6), lat[reads / 2],
	       lat[reads * 99 / 100]);
	return 0;
}
