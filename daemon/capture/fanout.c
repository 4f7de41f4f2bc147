#include "capture/fanout.h"

#include <errno.h>
#include <linux/filter.h>
#include <linux/if_packet.h>
#include <string.h>
#include <sys/socket.h>

#ifndef SOL_PACKET
#define SOL_PACKET 263
#endif

#define NET(off) (SKF_NET_OFF + (off)) /* from the network header, wherever it is */
#define LD_IND(size, off) BPF_STMT(BPF_LD | (size) | BPF_IND, (unsigned)NET(off))

/* A = the source address (IPv6: its four words xored), X = the network
 * header's offset to the IP header (4 behind a VLAN tag); then mixed
 * (the finalizer of a 32-bit integer hash: nearby addresses spread). */
static struct sock_filter by_source[] = {
	/* 0 */ BPF_STMT(BPF_LD | BPF_H | BPF_ABS, (unsigned)(SKF_AD_OFF + SKF_AD_PROTOCOL)),
	/* 1 */ BPF_STMT(BPF_LDX | BPF_W | BPF_IMM, 0),
	/* 2 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0x8100, 4, 0), /* to 7 */
	/* 3 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0x88a8, 3, 0), /* to 7 */
	/* 4 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0x0800, 7, 0), /* to 12 */
	/* 5 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0x86dd, 8, 0), /* to 14 */
	/* 6 */ BPF_STMT(BPF_RET | BPF_K, 0),
	/* 7: a tag left in the frame */
	LD_IND(BPF_H, 2),
	/* 8 */ BPF_STMT(BPF_LDX | BPF_W | BPF_IMM, 4),
	/* 9 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0x0800, 2, 0),  /* to 12 */
	/* 10 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0x86dd, 3, 0), /* to 14 */
	/* 11 */ BPF_STMT(BPF_RET | BPF_K, 0),
	/* 12: IPv4 */
	LD_IND(BPF_W, 12),
	/* 13 */ BPF_STMT(BPF_JMP | BPF_JA, 13), /* to 27 */
	/* 14: IPv6 */
	LD_IND(BPF_W, 8),
	/* 15 */ BPF_STMT(BPF_ST, 0),
	/* 16 */ LD_IND(BPF_W, 12),
	/* 17 */ BPF_STMT(BPF_ST, 1),
	/* 18 */ LD_IND(BPF_W, 16),
	/* 19 */ BPF_STMT(BPF_ST, 2),
	/* 20 */ LD_IND(BPF_W, 20),
	/* 21 */ BPF_STMT(BPF_LDX | BPF_W | BPF_MEM, 0),
	/* 22 */ BPF_STMT(BPF_ALU | BPF_XOR | BPF_X, 0),
	/* 23 */ BPF_STMT(BPF_LDX | BPF_W | BPF_MEM, 1),
	/* 24 */ BPF_STMT(BPF_ALU | BPF_XOR | BPF_X, 0),
	/* 25 */ BPF_STMT(BPF_LDX | BPF_W | BPF_MEM, 2),
	/* 26 */ BPF_STMT(BPF_ALU | BPF_XOR | BPF_X, 0),
	/* 27: mix */
	BPF_STMT(BPF_MISC | BPF_TAX, 0),
	/* 28 */ BPF_STMT(BPF_ALU | BPF_RSH | BPF_K, 16),
	/* 29 */ BPF_STMT(BPF_ALU | BPF_XOR | BPF_X, 0),
	/* 30 */ BPF_STMT(BPF_ALU | BPF_MUL | BPF_K, 0x45d9f3b),
	/* 31 */ BPF_STMT(BPF_MISC | BPF_TAX, 0),
	/* 32 */ BPF_STMT(BPF_ALU | BPF_RSH | BPF_K, 16),
	/* 33 */ BPF_STMT(BPF_ALU | BPF_XOR | BPF_X, 0),
	/* 34 */ BPF_STMT(BPF_RET | BPF_A, 0),
};

int fanout_join(int fd, int id)
{
	int arg = (id & 0xffff) | PACKET_FANOUT_CBPF << 16;
	struct sock_fprog prog;
	memset(&prog, 0, sizeof prog); /* its padding goes to the kernel too */
	prog.len = sizeof by_source / sizeof by_source[0];
	prog.filter = by_source;
	if (setsockopt(fd, SOL_PACKET, PACKET_FANOUT, &arg, sizeof arg) < 0 ||
	    setsockopt(fd, SOL_PACKET, PACKET_FANOUT_DATA, &prog, sizeof prog) < 0)
		return -errno;
	return 0;
}
