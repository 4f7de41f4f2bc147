/* fanout: one interface's packets spread over the capture workers' sockets
 * (Linux PACKET_FANOUT), all the packets of a source address to the same
 * worker: a classic-BPF program returns a hash of the source address of
 * IPv4 and IPv6 packets (behind one VLAN tag left in the frame too; the
 * kernel takes the first tag off before), the kernel takes it modulo the
 * number of sockets. Other frames go to the first worker. */
#ifndef FLOWSAD_FANOUT_H
#define FLOWSAD_FANOUT_H

/* Joins the packet socket fd (bound to an interface) to fanout group id
 * (one per interface, unique in the network namespace) with the program.
 * Returns 0, or -errno (EINVAL/EEXIST: the id is another program's group). */
int fanout_join(int fd, int id);

#endif
