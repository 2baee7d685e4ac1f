// SPDX-License-Identifier: GPL-2.0
/*
 * users: ordinary users on opened nodes, held by per-user quotas.
 *
 * The nodes are opened as the shipped udev rule opens them (group video,
 * mode 0660); test users run as uids 1000 and 1001 in that group.  The quota
 * (/sys/module/dmaheap/parameters/user_quota_bytes) is lowered to QUOTA for
 * the test; usage is read from /sys/kernel/dmaheap/users/<uid>/.
 *
 *   user_quota_all_heaps   a user allocates from every heap, round robin,
 *                          until refused: EDQUOT once QUOTA bytes are held
 *                          over all heaps, counted in failed_allocs; a
 *                          second user is unaffected meanwhile; root is not
 *                          held by the quota; freeing gives it all back
 *   user_quota_passed_fd   a buffer passed by SCM_RIGHTS to another user
 *                          stays charged to its allocator until every fd
 *                          is closed
 *   user_quota_param       the parameter refuses junk, negatives and
 *                          overflow
 */
#include <grp.h>
#include <sys/socket.h>

#include "harness.h"

#define QUOTA_PARAM	"/sys/module/dmaheap/parameters/user_quota_bytes"
#define QUOTA		(32 * TH_MiB)
#define CHUNK		(4 * TH_MiB)
#define VIDEO_GID	44
#define USER_A		1000
#define USER_B		1001
#define MAX_HELD	64

FIXTURE(users) {
	char saved_quota[32];
	mode_t modes[TH_MAX_HEAPS];
	gid_t gids[TH_MAX_HEAPS];
};

/* Open the nodes as the udev rule does; remember how they were. */
FIXTURE_SETUP(users)
{
	int i;

	ASSERT_EQ(0, th_read_file(QUOTA_PARAM, self->saved_quota,
				  sizeof(self->saved_quota)));
	for (i = 0; i < th.nheaps; i++) {
		struct stat st;

		ASSERT_OK(stat(th.heaps[i].dev, &st));
		self->modes[i] = st.st_mode & 07777;
		self->gids[i] = st.st_gid;
		ASSERT_OK(chown(th.heaps[i].dev, 0, VIDEO_GID));
		ASSERT_OK(chmod(th.heaps[i].dev, 0660));
	}
	ASSERT_EQ(0, th_write_file(QUOTA_PARAM, "32M"));
}

FIXTURE_TEARDOWN(users)
{
	int i;

	for (i = 0; i < th.nheaps; i++) {
		if (!self->modes[i])
			continue;
		EXPECT_OK(chown(th.heaps[i].dev, 0, self->gids[i]));
		EXPECT_OK(chmod(th.heaps[i].dev, self->modes[i]));
	}
	if (self->saved_quota[0])
		EXPECT_EQ(0, th_write_file(QUOTA_PARAM, self->saved_quota));
}

/* Become @uid in group video, for good (in a forked child). */
static void become(uid_t uid)
{
	gid_t video = VIDEO_GID;

	if (setgroups(1, &video) || setresgid(uid, uid, uid) ||
	    setresuid(uid, uid, uid))
		_exit(100);
}

static uint64_t user_stat(uid_t uid, const char *what)
{
	char path[128];
	uint64_t v = 0;

	snprintf(path, sizeof(path), "/sys/kernel/dmaheap/users/%u/%s",
		 (unsigned int)uid, what);
	if (th_read_u64_path(path, &v))
		return 0;	/* no entry yet: nothing held */
	return v;
}

/*
 * As @uid: allocate CHUNK from every heap round robin until each refuses;
 * report the bytes held and how the last refusal went through @pipe_w,
 * then wait for a byte on @go_r before freeing all and exiting.
 */
static void fill_quota(uid_t uid, int pipe_w, int go_r)
{
	int fds[MAX_HELD], n = 0, i, err = 0, left = th.nheaps;
	bool done[TH_MAX_HEAPS] = { false };
	uint64_t held = 0, report[2];
	char c;

	become(uid);
	while (left > 0 && n < MAX_HELD) {
		for (i = 0; i < th.nheaps && n < MAX_HELD; i++) {
			int fd;

			if (done[i])
				continue;
			fd = th_alloc(&th.heaps[i], CHUNK);
			if (fd < 0) {
				if (!err || fd == -EDQUOT)
					err = -fd;
				done[i] = true;
				left--;
				continue;
			}
			fds[n++] = fd;
			held += CHUNK;
		}
	}
	report[0] = held;
	report[1] = err;
	if (write(pipe_w, report, sizeof(report)) != sizeof(report))
		_exit(2);
	if (read(go_r, &c, 1) != 1)
		_exit(3);
	while (n)
		close(fds[--n]);
	_exit(0);
}

TEST_F(users, user_quota_all_heaps)
{
	int rep[2], go[2], status, fd, i, fds[MAX_HELD], n = 0;
	uint64_t report[2], failed0 = user_stat(USER_A, "failed_allocs");
	pid_t a, b;

	ASSERT_OK(pipe(rep));
	ASSERT_OK(pipe(go));
	a = fork();
	ASSERT_GE(a, 0);
	if (a == 0)
		fill_quota(USER_A, rep[1], go[0]);
	ASSERT_EQ((ssize_t)sizeof(report), read(rep[0], report, sizeof(report)));
	TH_LOG("uid %d holds %" PRIu64 " MiB, then: %s", USER_A,
	       report[0] / TH_MiB, strerror((int)report[1]));
	EXPECT_EQ(QUOTA, report[0]);
	EXPECT_EQ(EDQUOT, report[1]);
	EXPECT_EQ(QUOTA, user_stat(USER_A, "bytes"));
	EXPECT_EQ(QUOTA / CHUNK, user_stat(USER_A, "buffers"));
	EXPECT_LT(failed0, user_stat(USER_A, "failed_allocs"));

	/* Another user is not held by the first one's use. */
	b = fork();
	ASSERT_GE(b, 0);
	if (b == 0) {
		become(USER_B);
		fd = th_alloc(&th.heaps[0], CHUNK);
		_exit(fd >= 0 ? 0 : 1);
	}
	ASSERT_EQ(b, waitpid(b, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);

	/* Root is held by the caps and the budget only. */
	for (i = 0; i < th.nheaps && n < MAX_HELD; i++) {
		fd = th_alloc(&th.heaps[i], QUOTA / 2 + CHUNK);
		if (fd >= 0)
			fds[n++] = fd;
	}
	EXPECT_EQ(th.nheaps, n);
	while (n)
		close(fds[--n]);

	/* Freeing gives the quota back exactly. */
	ASSERT_EQ(1, write(go[1], "x", 1));
	ASSERT_EQ(a, waitpid(a, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	EXPECT_EQ(0, user_stat(USER_A, "bytes"));
	EXPECT_EQ(0, user_stat(USER_A, "buffers"));
	a = fork();
	ASSERT_GE(a, 0);
	if (a == 0)
		fill_quota(USER_A, rep[1], go[0]);
	ASSERT_EQ((ssize_t)sizeof(report), read(rep[0], report, sizeof(report)));
	EXPECT_EQ(QUOTA, report[0]);
	ASSERT_EQ(1, write(go[1], "x", 1));
	ASSERT_EQ(a, waitpid(a, &status, 0));
	EXPECT_EQ(0, user_stat(USER_A, "bytes"));
	close(rep[0]);
	close(rep[1]);
	close(go[0]);
	close(go[1]);
}

/* Send fd @fd over @sock. */
static int send_fd(int sock, int fd)
{
	char cbuf[CMSG_SPACE(sizeof(int))] = { 0 };
	struct iovec iov = { .iov_base = "f", .iov_len = 1 };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);

	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	return sendmsg(sock, &msg, 0) == 1 ? 0 : -errno;
}

static int recv_fd(int sock)
{
	char cbuf[CMSG_SPACE(sizeof(int))], c;
	struct iovec iov = { .iov_base = &c, .iov_len = 1 };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *cm;
	int fd;

	if (recvmsg(sock, &msg, 0) != 1)
		return -errno;
	cm = CMSG_FIRSTHDR(&msg);
	if (!cm || cm->cmsg_type != SCM_RIGHTS)
		return -EPROTO;
	memcpy(&fd, CMSG_DATA(cm), sizeof(int));
	return fd;
}

TEST_F(users, user_quota_passed_fd)
{
	uint64_t a0 = user_stat(USER_A, "bytes"), b0 = user_stat(USER_B, "bytes");
	int sv[2], status;
	pid_t a, b;
	char c;

	ASSERT_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	a = fork();
	ASSERT_GE(a, 0);
	if (a == 0) {
		int fd;

		become(USER_A);
		fd = th_alloc(&th.heaps[0], CHUNK);
		if (fd < 0 || send_fd(sv[0], fd))
			_exit(1);
		close(fd);
		_exit(0);
	}
	ASSERT_EQ(a, waitpid(a, &status, 0));
	ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);

	b = fork();
	ASSERT_GE(b, 0);
	if (b == 0) {
		int fd;

		become(USER_B);
		fd = recv_fd(sv[1]);
		if (fd < 0)
			_exit(1);
		/* Tell the parent, then hold the buffer until told to stop. */
		if (write(sv[1], "r", 1) != 1 || read(sv[1], &c, 1) != 1)
			_exit(2);
		close(fd);
		_exit(0);
	}
	ASSERT_EQ(1, read(sv[0], &c, 1));
	/* The allocator has exited; the buffer is still charged to it. */
	EXPECT_EQ(a0 + CHUNK, user_stat(USER_A, "bytes"));
	EXPECT_EQ(b0, user_stat(USER_B, "bytes"));
	ASSERT_EQ(1, write(sv[0], "q", 1));
	ASSERT_EQ(b, waitpid(b, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	EXPECT_EQ(a0, user_stat(USER_A, "bytes"));
	close(sv[0]);
	close(sv[1]);
}

TEST_F(users, user_quota_param)
{
	static const char *const bad[] = {
		"x", "-1", "-5M", "18446744073709551616", "17179869184G",
		"16E", "0x100", "1.5G", "\n",
	};
	uint64_t v = 0;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		EXPECT_EQ(-EINVAL, th_write_file(QUOTA_PARAM, bad[i]));
	ASSERT_EQ(0, th_read_u64_path(QUOTA_PARAM, &v));
	EXPECT_EQ(QUOTA, v);
	EXPECT_EQ(0, th_write_file(QUOTA_PARAM, "18446744073709551615"));
	ASSERT_EQ(0, th_read_u64_path(QUOTA_PARAM, &v));
	EXPECT_EQ(UINT64_MAX, v);
}
