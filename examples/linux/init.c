// SPDX-License-Identifier: GPL-2.0
/*
 * /init of the test initramfs: loads /rust_print.ko, then restarts the
 * machine (QEMU runs with -no-reboot, so it exits).  Built with the
 * kernel's own nolibc (tools/include/nolibc), so no C library of the
 * target architecture is needed:
 *
 *   clang --target=ARCH-linux-gnu -nostdlib -static -fuse-ld=lld \
 *         -include tools/include/nolibc/nolibc.h -I BUILD/usr/include init.c
 */
#include <linux/reboot.h>

int main(void)
{
	int fd = open("/rust_print.ko", O_RDONLY);
	long ret = fd < 0 ? fd : my_syscall3(__NR_finit_module, fd, "", 0);

	if (ret)
		printf("init: loading /rust_print.ko failed: %ld\n", ret);
	else
		printf("init: /rust_print.ko loaded\n");
	reboot(LINUX_REBOOT_CMD_RESTART);
	return 1;
}
