// SPDX-License-Identifier: GPL-2.0
/*
 * share: one buffer seen by several processes.  Across fork(), and passed
 * with SCM_RIGHTS to a process that never had it (a forked process and an
 * exec'd one): both sides see the same memory and the same inode, and the
 * buffer lives until the last holder lets go.
 */
#define TH_CUSTOM_MAIN
#include <sys/socket.h>
#include <linux/dma-buf.h>

#include "harness.h"

#define LEN		(256 * TH_KiB)
#define FROM_SENDER	0xc3
#define FROM_RECEIVER	0x3c

/* What the sender tells the receiver, and what comes back. */
struct share_msg {
	uint64_t len;
	uint64_t ino;
	uint64_t dev;
	int32_t status;		/* receiver: 0 or the failing step */
	int32_t dmabufs_before;	/* receiver: dma-buf fds it had before */
};

static int send_fd(int sock, int fd, const struct share_msg *msg)
{
	char cbuf[CMSG_SPACE(sizeof(int))] = { 0 };
	struct iovec iov = { .iov_base = (void *)msg, .iov_len = sizeof(*msg) };
	struct msghdr mh = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);

	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	return sendmsg(sock, &mh, 0) == (ssize_t)sizeof(*msg) ? 0 : -1;
}

/* Returns the received fd, or -1. */
static int recv_fd(int sock, struct share_msg *msg)
{
	char cbuf[CMSG_SPACE(sizeof(int))] = { 0 };
	struct iovec iov = { .iov_base = msg, .iov_len = sizeof(*msg) };
	struct msghdr mh = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *cm;
	int fd;

	if (recvmsg(sock, &mh, MSG_CMSG_CLOEXEC) != (ssize_t)sizeof(*msg))
		return -1;
	cm = CMSG_FIRSTHDR(&mh);
	if (!cm || cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
		return -1;
	memcpy(&fd, CMSG_DATA(cm), sizeof(int));
	return fd;
}

/* dma-buf fds this process has open. */
static int count_dmabufs(void)
{
	DIR *dir = opendir("/proc/self/fd");
	struct dirent *de;
	int n = 0;

	if (!dir)
		return -1;
	while ((de = readdir(dir))) {
		char path[300], target[256];
		ssize_t len;

		snprintf(path, sizeof(path), "/proc/self/fd/%s", de->d_name);
		len = readlink(path, target, sizeof(target) - 1);
		if (len <= 0)
			continue;
		target[len] = '\0';
		if (strstr(target, "dmabuf"))
			n++;
	}
	closedir(dir);
	return n;
}

static int sync_buf(int fd, uint64_t flags)
{
	struct dma_buf_sync s = { .flags = flags };

	return ioctl(fd, DMA_BUF_IOCTL_SYNC, &s);
}

/*
 * The receiving side: get the fd, check it names the sender's buffer and
 * holds its data, write the second half, and report back.  Returns 0 or the
 * number of the step that failed.
 */
static int receiver(int sock)
{
	struct share_msg msg = { 0 };
	struct stat st;
	uint8_t *p;
	int fd, before = count_dmabufs(), status = 0;

	fd = recv_fd(sock, &msg);
	if (fd < 0)
		return 1;
	if (fstat(fd, &st))
		status = 2;
	else if ((uint64_t)st.st_ino != msg.ino || (uint64_t)st.st_dev != msg.dev)
		status = 3;
	else if (lseek(fd, 0, SEEK_END) != (off_t)msg.len)
		status = 4;
	if (!status) {
		p = mmap(NULL, msg.len, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
			 0);
		if (p == MAP_FAILED) {
			status = 5;
		} else {
			sync_buf(fd, DMA_BUF_SYNC_START | DMA_BUF_SYNC_RW);
			if (th_find_not(p, msg.len / 2, FROM_SENDER) != -1)
				status = 6;
			memset(p + msg.len / 2, FROM_RECEIVER, msg.len / 2);
			sync_buf(fd, DMA_BUF_SYNC_END | DMA_BUF_SYNC_RW);
			munmap(p, msg.len);
		}
	}
	msg.ino = (uint64_t)st.st_ino;
	msg.dev = (uint64_t)st.st_dev;
	msg.status = status;
	msg.dmabufs_before = before;
	if (write(sock, &msg, sizeof(msg)) != (ssize_t)sizeof(msg))
		status = 7;
	close(fd);
	return status;
}

FIXTURE(share) {
	int fd;
	uint8_t *map;
	struct stat st;
	struct th_stats base;
};

FIXTURE_SETUP(share)
{
	self->fd = -1;
	self->map = MAP_FAILED;
	ASSERT_EQ(0, th_stats_read(heap, &self->base));
}

FIXTURE_TEARDOWN(share)
{
	if (self->map != MAP_FAILED)
		munmap(self->map, LEN);
	if (self->fd >= 0)
		close(self->fd);
}

/* Allocate, map and fill the first half with FROM_SENDER. */
static void make_buffer(struct th_fixture_share *self,
			const struct th_heap *heap)
{
	self->fd = th_alloc(heap, LEN);
	ASSERT_GE(self->fd, 0);
	ASSERT_OK(fstat(self->fd, &self->st));
	self->map = mmap(NULL, LEN, PROT_READ | PROT_WRITE, MAP_SHARED,
			 self->fd, 0);
	ASSERT_NE(MAP_FAILED, self->map);
	ASSERT_OK(sync_buf(self->fd, DMA_BUF_SYNC_START | DMA_BUF_SYNC_WRITE));
	memset(self->map, FROM_SENDER, LEN / 2);
	ASSERT_OK(sync_buf(self->fd, DMA_BUF_SYNC_END | DMA_BUF_SYNC_WRITE));
}

/* Send the buffer over @sock, collect the reply, check both halves. */
static void send_and_check(struct th_fixture_share *self, int sock, pid_t pid)
{
	struct share_msg msg = {
		.len = LEN,
		.ino = (uint64_t)self->st.st_ino,
		.dev = (uint64_t)self->st.st_dev,
	};
	int status;

	ASSERT_OK(send_fd(sock, self->fd, &msg));
	memset(&msg, 0, sizeof(msg));
	ASSERT_EQ(sizeof(msg), read(sock, &msg, sizeof(msg)));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));

	/* The receiver had no dma-buf before ours arrived. */
	ASSERT_EQ(0, msg.dmabufs_before);
	ASSERT_EQ(0, msg.status);
	ASSERT_EQ(0, WEXITSTATUS(status));
	ASSERT_EQ(self->st.st_ino, msg.ino);
	ASSERT_EQ(self->st.st_dev, msg.dev);

	ASSERT_OK(sync_buf(self->fd, DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ));
	ASSERT_EQ(-1, th_find_not(self->map, LEN / 2, FROM_SENDER));
	ASSERT_EQ(-1, th_find_not(self->map + LEN / 2, LEN / 2, FROM_RECEIVER));
	ASSERT_OK(sync_buf(self->fd, DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ));
}

HEAP_TEST_F(share, share_fork)
{
	struct th_stats now;
	uint8_t *p;
	pid_t pid;
	int status;

	make_buffer(self, heap);
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		/* Through a mapping of its own, and through the inherited one. */
		p = mmap(NULL, LEN, PROT_READ | PROT_WRITE, MAP_SHARED,
			 self->fd, 0);
		if (p == MAP_FAILED)
			_exit(2);
		if (th_find_not(p, LEN / 2, FROM_SENDER) != -1)
			_exit(3);
		sync_buf(self->fd, DMA_BUF_SYNC_START | DMA_BUF_SYNC_WRITE);
		memset(p + LEN / 2, FROM_RECEIVER, LEN / 4);
		memset(self->map + 3 * LEN / 4, FROM_RECEIVER, LEN / 4);
		sync_buf(self->fd, DMA_BUF_SYNC_END | DMA_BUF_SYNC_WRITE);
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(0, WEXITSTATUS(status));

	ASSERT_OK(sync_buf(self->fd, DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ));
	ASSERT_EQ(-1, th_find_not(self->map, LEN / 2, FROM_SENDER));
	ASSERT_EQ(-1, th_find_not(self->map + LEN / 2, LEN / 2, FROM_RECEIVER));
	ASSERT_OK(sync_buf(self->fd, DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ));

	/* The child's exit dropped only its references. */
	ASSERT_EQ(0, th_stats_read(heap, &now));
	ASSERT_EQ(self->base.buffers + 1, now.buffers);
}

/* To a process forked before the buffer existed. */
HEAP_TEST_F(share, share_scm_rights)
{
	int sv[2];
	pid_t pid;

	ASSERT_OK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv));
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		close(sv[0]);
		_exit(receiver(sv[1]));
	}
	close(sv[1]);
	make_buffer(self, heap);
	send_and_check(self, sv[0], pid);
	close(sv[0]);
}

/* To a freshly exec'd program. */
HEAP_TEST_F(share, share_scm_rights_exec)
{
	char arg[16];
	int sv[2];
	pid_t pid;

	ASSERT_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	ASSERT_OK(fcntl(sv[0], F_SETFD, FD_CLOEXEC));
	make_buffer(self, heap);
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		/* The dma-buf fd is O_CLOEXEC: the new program does not get it. */
		snprintf(arg, sizeof(arg), "%d", sv[1]);
		execl("/proc/self/exe", "share", "--receiver", arg, (char *)NULL);
		_exit(100);
	}
	close(sv[1]);
	send_and_check(self, sv[0], pid);
	close(sv[0]);
}

/* The receiver's fd alone keeps the buffer alive. */
HEAP_TEST_F(share, share_outlives_sender)
{
	struct share_msg msg = { .len = LEN };
	struct th_stats now;
	int sv[2], fd;
	uint8_t *p;

	ASSERT_OK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv));
	make_buffer(self, heap);
	ASSERT_OK(send_fd(sv[0], self->fd, &msg));
	munmap(self->map, LEN);
	self->map = MAP_FAILED;
	close(self->fd);
	self->fd = -1;

	/* In flight: the socket holds the only reference. */
	ASSERT_EQ(0, th_stats_read(heap, &now));
	ASSERT_EQ(self->base.buffers + 1, now.buffers);

	fd = recv_fd(sv[1], &msg);
	ASSERT_GE(fd, 0);
	p = mmap(NULL, LEN, PROT_READ, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(-1, th_find_not(p, LEN / 2, FROM_SENDER));
	munmap(p, LEN);
	close(fd);
	close(sv[0]);
	close(sv[1]);
	ASSERT_STATS_BASELINE(heap, &self->base);
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "--receiver"))
		return receiver(atoi(argv[2]));
	return th_main(argc, argv);
}
